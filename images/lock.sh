#!/usr/bin/env bash
# Regenerate the images' locked requirements: esap-hub's dependencies from
# pyproject.toml with every extra (`all`: the hub, Kubernetes, Dask and every
# adapter's library) plus each image's own requirements.in, resolved by uv for
# Python 3.11 on linux/amd64 (the images' base). `make test` installs the
# single-user lock as constraints, so what is tested is what ships.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
for image in hub singleuser; do
  "$UV" pip compile pyproject.toml --extra all "images/$image/requirements.in" \
    --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --custom-compile-command "images/lock.sh" --quiet \
    -o "images/$image/requirements.txt"
done
