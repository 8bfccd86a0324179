"""Workshop accounts and links, without a hub: hashing, the end, the CSV, nbgitpuller links."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from esap.workshop.link import hub_link
from esap.workshop.roster import (
    RosterFile,
    check_password,
    create,
    hash_password,
    write_accounts_csv,
)


def test_passwords_are_stored_as_salted_hashes() -> None:
    first, second = hash_password("swordfish-42"), hash_password("swordfish-42")
    assert first != second  # a fresh salt each time
    assert "swordfish" not in first
    assert check_password("swordfish-42", first)
    assert not check_password("swordfish-43", first)
    assert not check_password("swordfish-42", "md5$00$00")


def test_shared_mode_gives_every_participant_one_password() -> None:
    roster, accounts = create(3, hours=1, mode="shared", trainer="trainer")
    passwords = {account.password for account in accounts if account.role == "participant"}
    assert len(passwords) == 1
    trainer = next(account for account in accounts if account.role == "trainer")
    assert trainer.password not in passwords
    assert check_password(passwords.pop(), roster.hash_for("participant-02"))


def test_participants_are_refused_after_the_end(tmp_path: Path) -> None:
    roster, _ = create(2, hours=1, mode="per-user", trainer="lead")
    assert roster.may_log_in("participant-01")
    assert not roster.may_log_in("participant-01", now=roster.ends_at + 1)
    assert roster.may_log_in("lead", now=roster.ends_at + 1)
    assert not roster.may_log_in("someone-else")
    store = RosterFile(tmp_path / "workshop")
    store.write(roster)
    assert (store.path.stat().st_mode & 0o777) == 0o600
    store.request_end()
    assert not store.read().may_log_in("participant-02", now=time.time())


def test_the_accounts_sheet_is_never_overwritten(tmp_path: Path) -> None:
    _, accounts = create(1, hours=1, mode="per-user", trainer="trainer")
    sheet = tmp_path / "accounts.csv"
    write_accounts_csv(sheet, accounts, "http://127.0.0.1:8000")
    with pytest.raises(FileExistsError):
        write_accounts_csv(sheet, accounts, "http://127.0.0.1:8000")


def test_link_carries_nbgitpuller_parameters() -> None:
    link = hub_link(
        "https://hub.example.org/", "https://git.example.org/org/course.git", "week-2", "intro"
    )
    parts = urlsplit(link)
    assert parts.path == "/hub/user-redirect/git-pull"
    assert parse_qs(parts.query) == {
        "repo": ["https://git.example.org/org/course.git"],
        "branch": ["week-2"],
        "urlpath": ["lab/tree/course.git/intro"],
    }


def test_link_command_names_a_bad_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "esap", "workshop", "link", "course-material", "--hub", "http://h"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not a git URL" in result.stderr
    assert "Traceback" not in result.stderr
