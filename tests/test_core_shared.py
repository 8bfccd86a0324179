"""What core shares with every capability: the user's state folder and the public config reader.

One reader serves the REST API, the notebook API, the commands and the
publisher; each answers a broken named config with the same error. Where
nothing names a config (no hub, no esap.yaml given), the user's own file
in a Jupyter config folder is read, else the default shipped in the
package; a user file with problems is set aside, with warnings, for the
default.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

import esap
from esap.core.errors import EsapError
from esap.core.public_config import (
    DEFAULT_CONFIG,
    BadConfig,
    BadPublicConfig,
    NotConfigured,
    UserConfigWarning,
    config_in_use,
    public_config,
    user_config_file,
    user_config_folders,
)
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


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A process no hub started and no esap.yaml names, in an empty folder, with a fresh home."""
    for variable in ("ESAP_PUBLIC_CONFIG", "ESAP_CONFIG", "JUPYTER_CONFIG_PATH"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "home" / ".jupyter"))
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
    # a user file is never a way round a named file's problems
    _user_file(no_config, CONFIG)
    with pytest.raises(BadConfig) as caught:
        public_config()
    error = caught.value
    assert (error.status, error.code) == (500, "bad_config")
    assert error.message == f"{path} has 1 problem"
    [problem] = error.problems
    assert problem.field == "data_services[0].url"
    assert problem.message == "(missing): required key is missing"
    assert "add url" in problem.fix
    assert error.fix == f"fix {path} (check it with `esap config check`)"
    assert str(error) == f"{path} has 1 problem: {problem}"


# ------------------------------------ no hub, no named file: the user's file, else the default


def _user_file(no_config: Path, text: str) -> Path:
    """Write ``text`` as ``~/.jupyter/esap.yaml`` in the home ``no_config`` set up."""
    path = no_config.parent / "home" / ".jupyter" / "esap.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_any_config_the_default_is_used(no_config: Path) -> None:
    (no_config / "esap.yaml").write_text(CONFIG, encoding="utf-8")  # no reader guesses it
    found = config_in_use()
    assert (found.source, found.warnings) == ("default", ())
    assert found.config == public_config()
    assert found.config["title"] == "ESAP"
    assert "gavo" not in [entry["name"] for entry in found.config["data_services"]]
    # the local archive in the home, the one publishing offered before there was a default
    home = no_config.parent / "home"
    [archive] = configured_archives()
    assert (archive.name, archive.type, archive.path) == (
        "local",
        "local",
        str(home / ".esap/archive"),
    )
    assert archive.path == str(Path(DEFAULT_ARCHIVE.path or "").expanduser())
    # a caller with a default of its own asks for a named config only, and hears there is none
    with pytest.raises(NotConfigured) as caught:
        public_config(defaults=False)
    error = caught.value
    assert isinstance(error, EsapError)
    assert (error.status, error.code) == (503, "not_configured")
    assert error.message == "this process was not started by an ESAP hub and no esap.yaml is named"
    assert error.fix == "start it from an ESAP hub, or set ESAP_CONFIG to the path of an esap.yaml"


def test_the_default_offers_the_public_services_of_the_example_esap_yaml() -> None:
    """The default is the example's services, catalogues and sky view: one list to keep.

    But for an entry whose adapter needs a library of an extra (zooniverse):
    the default runs in a lean install, where that entry could not load.
    """
    from esap import plugins
    from esap.config import load, public

    example = public(load(REPO / "esap.yaml"))
    default = public(load(DEFAULT_CONFIG))
    for section, group in (
        ("data_services", plugins.DATA_SERVICES),
        ("software_catalogues", plugins.SOFTWARE_CATALOGUES),
    ):
        lean = [entry for entry in example[section] if (group, entry["type"]) not in plugins.NEEDS]
        assert default[section] == lean, section
    assert [
        entry["type"] for entry in example["data_services"] if entry not in default["data_services"]
    ] == ["zooniverse"]
    for section in ("sky_view", "resolver", "fetch"):
        assert default[section] == example[section], section
    assert DEFAULT_CONFIG.is_relative_to(Path(esap.__file__).parent)  # shipped in the package


def test_where_the_config_comes_from_first_found_wins(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named file > the hub's > $ESAP_CONFIG > the user file > the default, peeled one by one."""

    def config(name: str) -> str:
        return f"archives:\n  - {{name: {name}, type: local, path: {name}}}\n"

    named = no_config / "named.yaml"
    named.write_text(config("named"), encoding="utf-8")
    hub = {"archives": [{"name": "hub", "type": "local", "path": "/srv/hub"}]}
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps(hub))
    environment = no_config / "environment.yaml"
    environment.write_text(config("environment"), encoding="utf-8")
    monkeypatch.setenv("ESAP_CONFIG", str(environment))
    user = _user_file(no_config, config("user"))

    def archive_and_source(path: Path | None = None) -> tuple[str, str]:
        found = config_in_use(path)
        assert found.warnings == ()
        return found.config["archives"][0]["name"], found.source

    assert archive_and_source(named) == ("named", f"file:{named}")
    assert archive_and_source() == ("hub", "hub")
    monkeypatch.delenv("ESAP_PUBLIC_CONFIG")
    assert archive_and_source() == ("environment", f"file:{environment}")
    monkeypatch.delenv("ESAP_CONFIG")
    assert archive_and_source() == ("user", f"file:{user}")
    user.unlink()
    assert archive_and_source() == ("local", "default")


def test_the_user_file_is_looked_for_along_jupyters_config_path(
    no_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """~/.jupyter by default; a folder of $JUPYTER_CONFIG_PATH first, as Jupyter reads its own."""
    home_file = _user_file(no_config, "archives: [{name: home, type: local, path: a}]\n")
    assert user_config_file() == home_file
    assert no_config.parent / "home" / ".jupyter" in user_config_folders()
    shared = no_config.parent / "shared"
    shared.mkdir()
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(shared))
    assert user_config_file() == home_file  # a folder without an esap.yaml is passed over
    (shared / "esap.yaml").write_text("archives: [{name: shared, type: local, path: b}]\n")
    assert user_config_file() == shared / "esap.yaml"
    assert [entry["name"] for entry in public_config()["archives"]] == ["shared"]


def test_a_user_file_replaces_only_the_sections_it_writes(no_config: Path) -> None:
    user = _user_file(
        no_config,
        "hub: {title: My ESAP}\n"
        "data_services:\n  - {name: mine, type: scs, url: 'http://127.0.0.1:9/scs'}\n",
    )
    found = config_in_use()
    assert found.source == f"file:{user}"
    default = public_config(DEFAULT_CONFIG)
    assert found.config["title"] == "My ESAP"
    assert [entry["name"] for entry in found.config["data_services"]] == ["mine"]
    for section in ("software_catalogues", "archives", "sky_view"):
        assert found.config[section] == default[section], section
    # edited, it is read again
    user.write_text("software_catalogues: []\n", encoding="utf-8")
    found = config_in_use()
    assert found.config["software_catalogues"] == []
    assert found.config["data_services"] == default["data_services"]


def test_a_broken_user_file_is_set_aside_with_its_problems_and_the_default_used(
    no_config: Path,
) -> None:
    user = _user_file(
        no_config,
        "data_services:\n  - {name: mine, type: tap}\nsky_view: {max_sources: -1}\n",
    )
    with pytest.warns(UserConfigWarning, match="data_services\\[0\\].url") as said:
        found = config_in_use()
    assert len(said) == 1
    assert found.source == "default"
    assert found.config == public_config(DEFAULT_CONFIG)
    [warning] = found.warnings
    assert warning["code"] == "bad_user_config"
    assert warning["file"] == str(user)
    assert warning["message"] == f"{user} has 2 problems, so the default configuration is used"
    assert f"esap config check {user}" in warning["fix"]
    assert [problem["field"] for problem in warning["problems"]] == [
        "data_services[0].url",
        "sky_view.max_sources",
    ]
    assert warning["problems"][1]["message"] == "-1: out of range: must be between 1 and 100000"
    assert warning["problems"][1]["fix"] == "use a value in that range, e.g. max_sources: 2000"
    # a file that is not even YAML is set aside the same way
    user.write_text("data_services: [\n", encoding="utf-8")
    with pytest.warns(UserConfigWarning):
        [warning] = config_in_use().warnings
    assert warning["problems"][0]["field"] == "(file)"
    assert "YAML syntax error" in warning["problems"][0]["message"]
    # fixed, it is used
    user.write_text("archives: []\n", encoding="utf-8")
    assert (config_in_use().source, config_in_use().warnings) == (f"file:{user}", ())


def test_esap_search_falls_back_on_the_esap_yaml_of_the_folder(no_config: Path) -> None:
    """`esap search` tries ./esap.yaml (its own default) before the user file and the default."""
    from esap.data.command import _catalog

    default = [entry["name"] for entry in public_config(DEFAULT_CONFIG)["data_services"]]
    assert _catalog(None).names() == default
    _user_file(no_config, CONFIG.replace("gavo", "users-gavo"))
    assert _catalog(None).names() == ["users-gavo"]
    (no_config / "esap.yaml").write_text(CONFIG, encoding="utf-8")
    assert _catalog(None).names() == ["gavo"]
