"""The accounts of a workshop: names, password hashes and when the event ends.

The roster is one JSON file under ``<hub.data_dir>/workshop/`` (mode 0600),
replaced atomically on every change, so the hub process (which checks logins
against it), the ender service (which marks the end) and ``esap workshop end``
(which asks for the end) can share it without a lock. Only password hashes
are kept (scrypt, from the standard library); the clear passwords exist once,
in the CSV handed to the trainer.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

PasswordMode = Literal["per-user", "shared"]

#: scrypt cost: ~16 MiB and a few tens of milliseconds per check, so 50 people
#: logging in at once stay quick while a stolen roster stays expensive to attack.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1

ROSTER_NAME = "roster.json"


def hash_password(password: str) -> str:
    """``scrypt$<salt hex>$<hash hex>`` of ``password`` with a fresh salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` value), in constant time."""
    try:
        scheme, salt, expected = stored.split("$")
        salt_bytes, expected_bytes = bytes.fromhex(salt), bytes.fromhex(expected)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt_bytes, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return hmac.compare_digest(digest, expected_bytes)


#: A hash no password matches, checked for unknown names so that a login
#: attempt takes as long whether or not the name exists.
UNKNOWN_USER_HASH = hash_password(secrets.token_urlsafe(32))


def participant_names(count: int, prefix: str = "participant") -> list[str]:
    """``participant-01`` … ``participant-50``: readable on a slide, sorted as numbers."""
    width = max(2, len(str(count)))
    return [f"{prefix}-{number:0{width}d}" for number in range(1, count + 1)]


def new_password() -> str:
    """A generated password: 12 URL-safe characters (72 random bits)."""
    return secrets.token_urlsafe(9)


@dataclass(frozen=True)
class Roster:
    """Who may log in to a workshop, until when."""

    mode: PasswordMode
    trainer: str
    participants: list[str]
    hashes: dict[str, str]
    created_at: float
    ends_at: float
    end_requested_at: float | None = None
    ended_at: float | None = None
    removed: list[str] = field(default_factory=list)

    def is_over(self, now: float | None = None) -> bool:
        """Whether the event has ended (or its end was asked for)."""
        now = time.time() if now is None else now
        return self.ended_at is not None or self.end_requested_at is not None or now >= self.ends_at

    def may_log_in(self, name: str, now: float | None = None) -> bool:
        """The trainer always; a participant while the event runs."""
        if name == self.trainer:
            return True
        return name in self.participants and not self.is_over(now)

    def hash_for(self, name: str) -> str:
        """The stored hash that ``name``'s password must match."""
        return self.hashes.get(name, UNKNOWN_USER_HASH)


@dataclass(frozen=True)
class Account:
    """A name and its clear password, as the trainer receives them."""

    name: str
    password: str
    role: str


def create(
    count: int, hours: float, mode: PasswordMode, trainer: str
) -> tuple[Roster, list[Account]]:
    """A new roster and the clear accounts to hand out (never stored)."""
    now = time.time()
    names = participant_names(count)
    accounts = [Account(trainer, new_password(), "trainer")]
    if mode == "shared":
        event_password = new_password()
        accounts += [Account(name, event_password, "participant") for name in names]
        shared_hash = hash_password(event_password)
        hashes = dict.fromkeys(names, shared_hash)
    else:
        accounts += [Account(name, new_password(), "participant") for name in names]
        hashes = {account.name: hash_password(account.password) for account in accounts[1:]}
    hashes[trainer] = hash_password(accounts[0].password)
    roster = Roster(
        mode=mode,
        trainer=trainer,
        participants=names,
        hashes=hashes,
        created_at=now,
        ends_at=now + hours * 3600,
    )
    return roster, accounts


@dataclass(frozen=True)
class RosterFile:
    """The roster's place on disk: ``<hub.data_dir>/workshop/roster.json``."""

    directory: Path

    @property
    def path(self) -> Path:
        return self.directory / ROSTER_NAME

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> Roster:
        """The roster as last written."""
        data = json.loads(self.path.read_text())
        return Roster(**data)

    def write(self, roster: Roster) -> None:
        """Replace the roster atomically, readable by the hub's OS user only."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(roster), handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)

    def request_end(self) -> Roster:
        """Ask for the event to end now (the ender service carries it out)."""
        roster = self.read()
        if roster.end_requested_at is None:
            roster = replace(roster, end_requested_at=time.time())
            self.write(roster)
        return roster

    def mark_ended(self, removed: list[str]) -> Roster:
        """Record that the accounts are gone."""
        roster = self.read()
        roster = replace(
            roster,
            ended_at=roster.ended_at or time.time(),
            removed=sorted(set(roster.removed) | set(removed)),
        )
        self.write(roster)
        return roster


def write_accounts_csv(path: Path, accounts: list[Account], hub_url: str) -> None:
    """The trainer's sheet: name, password, role, login address (mode 0600, never overwritten)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "password", "role", "login_url"])
        for account in accounts:
            writer.writerow([account.name, account.password, account.role, hub_url])
