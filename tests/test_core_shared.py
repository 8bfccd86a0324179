"""What core shares with every capability: the user's state folder and the public config reader.

One reader serves the REST API, the notebook API, the commands and the
publisher; each answers a missing or broken config with the same error,
and only publishing, which has a default (a local archive), falls back.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from esap.core.errors import EsapError
from esap.core.public_config import BadConfig, BadPublicConfig, NotConfigured, public_config
from esap.core.state import state_dir
from esap.core.tokens import TokenStore
from esap.data.base import user_tokens
from esap.publish.settings import DEFAULT_ARCHIVE, configured_archives

CONFIG = """\
data_services:
  - {name: gavo, type: tap, url: "https://dc.g-vo.org/tap"}
archives:
  - {name: shelf, type: local, path: shelf}
"""


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A process no hub started and no esap.yaml names, in an empty folder."""
    for variable in ("ESAP_PUBLIC_CONFIG", "ESAP_CONFIG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ------------------------------------------------------------------ the state folder


def test_the_state_folder_is_made_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("ESAP_STATE_DIR", raising=False)
    made = state_dir()
    assert made == tmp_path / ".esap"
    assert _mode(made) == 0o700


def test_the_state_folder_follows_the_environment_unless_a_home_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "elsewhere" / "state"))
    assert state_dir() == tmp_path / "elsewhere" / "state"
    assert _mode(tmp_path / "elsewhere" / "state") == 0o700
    assert state_dir(tmp_path / "home") == tmp_path / "home" / ".esap"
    assert _mode(tmp_path / "home" / ".esap") == 0o700


def test_users_service_tokens_are_kept_owner_only_in_their_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    user_tokens().set("zoo", "s3cret")
    stored = tmp_path / "state" / "service-tokens.json"
    assert _mode(stored) == 0o600
    assert user_tokens().get("zoo") == "s3cret"
    # the archives' tokens are another file of the same store
    assert TokenStore(tmp_path / "state").get("zoo") is None


# ------------------------------------------------------------- the public config


def test_the_hubs_public_config_is_read_and_each_caller_gets_its_own_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offered = {"archives": [{"name": "shelf", "type": "local", "path": "/srv/shelf"}]}
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps(offered))
    first = public_config()
    first["archives"].clear()
    assert public_config() == offered
    assert [archive.name for archive in configured_archives()] == ["shelf"]


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ('{"archives": [', "$ESAP_PUBLIC_CONFIG is not valid JSON (Expecting value at 14)"),
        ("[1, 2]", "$ESAP_PUBLIC_CONFIG is not a JSON object"),
    ],
)
def test_a_broken_public_config_is_an_error_for_every_reader(
    monkeypatch: pytest.MonkeyPatch, raw: str, said: str
) -> None:
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", raw)
    with pytest.raises(BadPublicConfig) as caught:
        public_config()
    assert (caught.value.status, caught.value.code) == (500, "bad_public_config")
    assert caught.value.message == said
    assert "restart the server from the hub" in caught.value.fix
    # publishing does not hide it behind its default archive
    with pytest.raises(BadPublicConfig):
        configured_archives()


def test_an_esap_yaml_is_read_from_the_environment_and_again_when_edited(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = no_config / "esap.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("ESAP_CONFIG", str(path))
    assert [entry["name"] for entry in public_config()["data_services"]] == ["gavo"]
    path.write_text(CONFIG.replace("gavo", "gavo-dc"), encoding="utf-8")
    assert [entry["name"] for entry in public_config()["data_services"]] == ["gavo-dc"]
    [archive] = configured_archives()
    assert (archive.name, archive.path) == ("shelf", str(no_config.resolve() / "shelf"))


def test_a_named_esap_yaml_comes_before_the_hubs_config(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (no_config / "mine.yaml").write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps({"archives": []}))
    assert [entry["name"] for entry in public_config("mine.yaml")["archives"]] == ["shelf"]
    assert [archive.name for archive in configured_archives("mine.yaml")] == ["shelf"]


def test_a_broken_esap_yaml_names_its_problem_and_the_file_to_fix(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = no_config / "esap.yaml"
    path.write_text("data_services:\n  - {name: gavo, type: tap}\n", encoding="utf-8")
    monkeypatch.setenv("ESAP_CONFIG", str(path))
    with pytest.raises(BadConfig) as caught:
        public_config()
    assert (caught.value.status, caught.value.code) == (500, "bad_config")
    assert "data_services[0].url" in caught.value.message
    assert caught.value.fix == f"fix {path} (check it with `esap config check`)"


def test_without_any_config_only_publishing_has_a_default(no_config: Path) -> None:
    (no_config / "esap.yaml").write_text(CONFIG, encoding="utf-8")  # no reader guesses it
    with pytest.raises(NotConfigured) as caught:
        public_config()
    error = caught.value
    assert isinstance(error, EsapError)
    assert (error.status, error.code) == (503, "not_configured")
    assert error.message == (
        "this process was not started by an ESAP hub, so it has no ESAP configuration"
    )
    assert error.fix == "start it from an ESAP hub, or set ESAP_CONFIG to the path of an esap.yaml"
    assert configured_archives() == [DEFAULT_ARCHIVE]


def test_esap_search_falls_back_on_the_esap_yaml_of_the_folder(no_config: Path) -> None:
    from esap.data.command import _catalog

    with pytest.raises(NotConfigured):
        _catalog(None)
    (no_config / "esap.yaml").write_text(CONFIG, encoding="utf-8")
    assert _catalog(None).names() == ["gavo"]
