#!/usr/bin/env bash
# Install, with apt and only where missing, the Debian packages of the real
# servers the tests talk to: Chromium (browser tests), PostgreSQL and GAVO
# DaCHS (TAP/SIA/SCS). Safe to run again: it does nothing when all are there.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
command -v dachs >/dev/null || missing+=(gavodachs2-server)

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-system-packages: need root to install: ${missing[*]}" >&2
  echo "  run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# DaCHS sets up its database while it installs: PostgreSQL must run first.
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  "${sudo[@]}" apt-get install -y -qq postgresql >/dev/null
fi
if [[ " ${missing[*]} " == *" gavodachs2-server "* ]]; then
  "${sudo[@]}" pg_ctlcluster 15 main start 2>/dev/null || true
fi
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
