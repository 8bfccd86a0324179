"""The adapter contract, config side: declared options, retired keys, adapters that cannot load.

Each adapter here is defined in this file and registered the way a built-in
is (``esap.plugins.BUILTIN``, monkeypatched), so the checks run through the
real config loader, the real ``esap config check`` and the real public view,
exactly as for an adapter installed from a community package.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import Field

from esap import plugins
from esap.cli import main
from esap.config import ConfigError, EsapConfig, Problem, SecretRef, loads, public
from esap.config.options import AdapterOptions, FreeOptions, hub_only
from esap.config.public import PUBLIC_CONFIG_ENV, server_environment
from esap.data.base import DataService, Query, ServiceEntry
from esap.publish.base import Archive, ArchiveSettings
from esap.publish.settings import configured_archives
from esap.software.base import CatalogueEntry, SoftwareCatalogue, SoftwareQuery, SoftwareRecord


class ProbeOptions(AdapterOptions):
    """A data service's options: one required, one with a default, a secret, a hub-only one."""

    project: str = Field(description="The project whose rows are listed.")
    max_files: int = Field(default=100, ge=1, description="Files per row at most.")
    api_key: SecretRef | None = Field(default=None, description="The service's key.")
    audit_log: str | None = hub_only(description="Where the hub's own checks write.")


class ProbeService(DataService):
    """A data service that declares its options."""

    Options = ProbeOptions

    def search(self, query: Query) -> Any:
        raise NotImplementedError


class LooseService(DataService):
    """A data service that declares nothing: any mapping is its options."""

    def search(self, query: Query) -> Any:
        raise NotImplementedError


class ProbeCatalogueOptions(AdapterOptions):
    """A catalogue's options."""

    community: str = Field(default="escape", description="The community listed.")
    token: SecretRef | None = Field(default=None, description="The catalogue's API token.")


class ProbeCatalogue(SoftwareCatalogue):
    """A software catalogue that declares its options."""

    Options = ProbeCatalogueOptions

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        return []


class ProbeArchiveOptions(AdapterOptions):
    """An archive's options."""

    publisher: str = Field(default="ESAP", description="The publisher named in records.")
    api_key: SecretRef | None = Field(default=None, description="The archive's key.")
    max_files: int = Field(default=10, ge=1, description="Files per record at most.")


class ProbeArchive(Archive):
    """An archive that declares its options."""

    Options = ProbeArchiveOptions


#: The adapters above, by group and type name.
ADAPTERS = {
    plugins.DATA_SERVICES: {"probe": "ProbeService", "loose": "LooseService"},
    plugins.SOFTWARE_CATALOGUES: {"probe-catalogue": "ProbeCatalogue"},
    plugins.ARCHIVES: {"probe-archive": "ProbeArchive"},
}


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """This module's adapters, registered as built-ins for the test."""
    for group, adapters in ADAPTERS.items():
        for name, attribute in adapters.items():
            monkeypatch.setitem(plugins.BUILTIN[group], name, f"{__name__}:{attribute}")


@pytest.fixture
def broken_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Registered adapters whose modules cannot be imported, for two different reasons."""
    (tmp_path / "probe_raising_module.py").write_text(
        'raise RuntimeError("the probe refuses to import")\n', encoding="utf-8"
    )
    (tmp_path / "probe_needy_module.py").write_text(
        "import probe_dependency_not_installed\n\nclass Needy:\n    pass\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    data = plugins.BUILTIN[plugins.DATA_SERVICES]
    monkeypatch.setitem(data, "raising", "probe_raising_module:Raising")
    monkeypatch.setitem(data, "needy", "probe_needy_module:Needy")
    yield
    for module in ("probe_raising_module", "probe_needy_module"):
        sys.modules.pop(module, None)


def problems(text: str, **kwargs: Any) -> list[str]:
    """Every problem of ``text`` as ``esap config check`` words it (without the file name)."""
    with pytest.raises(ConfigError) as info:
        loads(text, **kwargs)
    return [str(problem) for problem in info.value.problems]


def item(type_name: str, options: Any = None, **more: Any) -> dict[str, Any]:
    """One adapter entry, named after its type."""
    written: dict[str, Any] = {"name": f"my-{type_name}", "type": type_name, **more}
    if options is not None:
        written["options"] = options
    return written


def yaml_of(**sections: list[dict[str, Any]]) -> str:
    """An esap.yaml of these sections; data services and archives get a URL if they lack one."""
    for section in ("data_services", "archives"):
        for written in sections.get(section, []):
            written.setdefault("url", "https://probe.example.org/api")
    return yaml.safe_dump(sections, sort_keys=False)


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("section", "type_name", "options", "expected"),
    [
        (
            "data_services",
            "probe",
            {"project": "p", "projcet": "p"},
            "data_services[0].options.projcet: 'p': unknown option — did you mean 'project'?",
        ),
        (
            "software_catalogues",
            "probe-catalogue",
            {"comunity": "cta"},
            "software_catalogues[0].options.comunity: 'cta': unknown option — "
            "did you mean 'community'?",
        ),
        (
            "archives",
            "probe-archive",
            {"publsher": "CTAO"},
            "archives[0].options.publsher: 'CTAO': unknown option — did you mean 'publisher'?",
        ),
    ],
)
def test_an_unknown_option_is_named_with_the_closest_one(
    section: str, type_name: str, options: dict[str, Any], expected: str
) -> None:
    assert problems(yaml_of(**{section: [item(type_name, options)]})) == [expected]


def test_an_unknown_option_far_from_any_lists_the_options() -> None:
    text = yaml_of(data_services=[item("probe", {"project": "p", "colour": "red"})])
    assert problems(text) == [
        "data_services[0].options.colour: 'red': unknown option — options of this type are: "
        "project, max_files, api_key, audit_log"
    ]


def test_an_unknown_option_that_looks_like_a_secret_is_masked() -> None:
    text = yaml_of(data_services=[item("probe", {"project": "p", "api_kye": "hunter2"})])
    assert problems(text) == [
        "data_services[0].options.api_kye: '***': unknown option — did you mean 'api_key'?"
    ]


def test_wrong_types_and_missing_options_are_named_with_their_key_path() -> None:
    found = problems(
        yaml_of(
            data_services=[item("probe", {"max_files": "lots"})],
            archives=[item("probe-archive", {"max_files": 0})],
        )
    )
    assert found == [
        "data_services[0].options.project: (missing): required key is missing — add project "
        "(the project whose rows are listed)",
        "data_services[0].options.max_files: 'lots': expected an integer, got a string — "
        "write an integer, e.g. max_files: 100",
        "archives[0].options.max_files: 0: out of range: must be 1 or more — use a value in "
        "that range, e.g. max_files: 10",
    ]


def test_options_that_are_not_a_mapping() -> None:
    assert problems(yaml_of(data_services=[item("probe", [1, 2])])) == [
        "data_services[0].options: [1, 2]: expected a mapping, got a list — write options: on a "
        "line of its own and its keys indented below it"
    ]


def test_a_secret_option_is_never_written_inline() -> None:
    text = yaml_of(data_services=[item("probe", {"project": "p", "api_key": "s3cr3t-42"})])
    [problem] = problems(text)
    assert "s3cr3t-42" not in problem
    assert problem.startswith(
        "data_services[0].options.api_key: '***': secrets are never written inline"
    )


def test_defaults_are_applied_and_reach_the_adapter() -> None:
    config = loads(
        yaml_of(
            data_services=[item("probe", {"project": "gaia"})],
            software_catalogues=[item("probe-catalogue", {})],
            archives=[item("probe-archive")],
        )
    )
    view = public(config)
    data, catalogue, archive = (
        view["data_services"][0],
        view["software_catalogues"][0],
        view["archives"][0],
    )
    assert data["options"] == {"project": "gaia", "max_files": 100}
    assert catalogue["options"] == {"community": "escape"}
    assert archive["options"] == {"publisher": "ESAP", "max_files": 10}
    # each adapter, built from the public config as a user server builds it
    service = ProbeService(ServiceEntry.from_public(data))
    assert isinstance(service.options, ProbeOptions)
    assert (service.options.project, service.options.max_files) == ("gaia", 100)
    assert service.option("max_files") == 100
    software = ProbeCatalogue(CatalogueEntry.from_public(catalogue))
    assert isinstance(software.options, ProbeCatalogueOptions)
    assert software.options.community == "escape"
    settings = ArchiveSettings(
        name=archive["name"], type=archive["type"], options=archive["options"]
    )
    assert ProbeArchive(settings).options == ProbeArchiveOptions()


def test_an_adapter_that_declares_nothing_takes_any_mapping() -> None:
    written = {"anything": [1, {"deep": True}], "Odd-Key": 3, "flag": None}
    config = loads(yaml_of(data_services=[item("loose", written)]))
    assert config.data_services[0].options == written
    [shown] = public(config)["data_services"]
    assert shown["options"] == {"anything": [1, {"deep": True}], "Odd-Key": 3}
    service = LooseService(ServiceEntry.from_public(shown))
    assert isinstance(service.options, FreeOptions)
    assert service.option("anything") == [1, {"deep": True}]
    assert service.option("Odd-Key") == 3
    assert service.option("absent", "default") == "default"


def test_config_check_prints_every_problem_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], broken_modules: None
) -> None:
    path = tmp_path / "esap.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            data_services:
              - name: gaia
                type: probe
                url: https://probe.example.org/api
                options: {projcet: gaia, max_files: lots}
              - name: exo
                type: raising
                url: https://probe.example.org/api
                token: env:EXO_TOKEN
            software_catalogues:
              - name: ossr-like
                type: probe-catalogue
                options: {comunity: cta}
            archives:
              - name: records
                type: probe-archive
                url: https://probe.example.org/api
                options: {max_files: 0}
            """
        ),
        encoding="utf-8",
    )
    code = main(["config", "check", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert [line.removeprefix(f"{path}: ").split(": ")[0] for line in err.splitlines()] == [
        "data_services[0].options.project",
        "data_services[0].options.max_files",
        "data_services[0].options.projcet",
        "data_services[1].type",
        "data_services[1].token",
        "software_catalogues[0].options.comunity",
        "archives[0].options.max_files",
    ]
    assert "Traceback" not in err
    assert "importing probe_raising_module raised RuntimeError: the probe refuses to import" in err


# --------------------------------------------------------------------------- retired keys


def test_retired_token_keys_say_what_to_use_instead() -> None:
    found = problems(
        yaml_of(
            data_services=[item("probe", {"project": "p"}, token="env:PROBE_TOKEN")],
            archives=[item("probe-archive", token="env:ARCHIVE_TOKEN")],
        )
    )
    assert found == [
        "data_services[0].token: 'env:PROBE_TOKEN': is not read by ESAP Hub: a service's "
        "credential belongs to the adapter that uses it — remove it; an adapter that needs a "
        "credential declares it as a secret option (options.<name>: env:NAME, see esap config "
        "schema), and users store their own tokens for services that take one from the Data "
        "panel",
        "archives[0].token: 'env:ARCHIVE_TOKEN': is not read by ESAP Hub: a platform-wide token "
        "would reach every user's server — remove it; each user stores their own token once "
        "(the Publish dialog, or esap publish token NAME), or the adapter declares a secret "
        "option (options.<name>: env:NAME)",
    ]


def test_a_retired_key_written_inline_is_not_echoed() -> None:
    [problem] = problems(yaml_of(archives=[item("probe-archive", token="zenodo-pat-123456")]))
    assert "zenodo-pat-123456" not in problem
    assert problem.startswith("archives[0].token: '***': is not read by ESAP Hub")


# --------------------------------------------------------------------------- unusable adapters

#: (type, what the problem says, its fix) for each way an adapter cannot be used.
UNUSABLE = [
    (
        "nonesuch",
        "unknown data service type (known: ",
        "install the package that provides it (it registers under the entry-point group "
        "esap.data_services)",
    ),
    (
        "needy",
        "cannot load the data service adapter 'needy' (probe_needy_module:Needy): it needs "
        "probe_dependency_not_installed, which is not installed",
        "install probe_dependency_not_installed (pip install probe_dependency_not_installed)",
    ),
    (
        "raising",
        "cannot load the data service adapter 'raising' (probe_raising_module:Raising): "
        "importing probe_raising_module raised RuntimeError: the probe refuses to import",
        "fix or reinstall the package that provides it, or remove the entry",
    ),
]


@pytest.mark.parametrize(("type_name", "message", "fix"), UNUSABLE, ids=[u[0] for u in UNUSABLE])
def test_an_unusable_adapter_is_a_problem_at_config_check(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    broken_modules: None,
    type_name: str,
    message: str,
    fix: str,
) -> None:
    text = yaml_of(data_services=[item(type_name)])
    [problem] = problems(text)
    assert problem.startswith(f"data_services[0].type: '{type_name}': {message}")
    assert problem.endswith(fix)
    path = tmp_path / "esap.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["config", "check", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}: {problem}\n"


#: Registered adapters whose package cannot be imported: a warning at hub start.
BROKEN = [u for u in UNUSABLE if u[0] != "nonesuch"]


def test_at_hub_start_a_type_nothing_registers_is_still_an_error() -> None:
    """A typo or a package not installed at all stops the hub, with "did you mean"."""
    [problem] = problems(yaml_of(data_services=[item("prob")]), lenient_adapters=True)
    assert problem.startswith("data_services[0].type: 'prob': unknown data service type")
    assert problem.endswith("did you mean 'probe'?")


@pytest.mark.parametrize(("type_name", "message", "fix"), BROKEN, ids=[u[0] for u in BROKEN])
def test_at_hub_start_an_unusable_adapter_is_a_warning_and_its_entry_is_marked(
    broken_modules: None, type_name: str, message: str, fix: str
) -> None:
    config = loads(
        yaml_of(
            data_services=[
                item("probe", {"project": "gaia"}),
                item(type_name, {"anything": 1}, name="exo"),
            ]
        ),
        lenient_adapters=True,
    )
    [warning] = config.adapter_warnings
    assert isinstance(warning, Problem)
    assert warning.path == "data_services[1].type"
    assert warning.value == f"'{type_name}'"
    assert warning.message.startswith(message)
    assert warning.fix == fix
    healthy, broken = public(config)["data_services"]
    assert "error" not in healthy
    assert healthy["options"] == {"project": "gaia", "max_files": 100}
    assert broken["options"] == {}
    assert repr(type_name) in broken["error"]
    assert "where the hub runs" in broken["error"]
    # a user server shows the entry broken, with the reason, beside the healthy one
    assert ServiceEntry.from_public(broken).error == broken["error"]


def test_at_hub_start_the_options_of_a_loadable_adapter_are_still_checked() -> None:
    assert problems(
        yaml_of(data_services=[item("probe", {"project": "p", "max_files": "lots"})]),
        lenient_adapters=True,
    ) == [
        "data_services[0].options.max_files: 'lots': expected an integer, got a string — "
        "write an integer, e.g. max_files: 100"
    ]


# --------------------------------------------------------------------------- public config


def full_config(secret_file: Path) -> EsapConfig:
    """One adapter of each kind with a secret option, a hub-only one, and a free mapping."""
    return loads(
        yaml_of(
            data_services=[
                item(
                    "probe",
                    {"project": "gaia", "api_key": "env:PROBE_ADMIN_KEY", "audit_log": "/srv/a"},
                ),
                item(
                    "loose",
                    {"key": f"file:{secret_file}", "plain": "env-free text"},
                    name="loose-one",
                ),
            ],
            software_catalogues=[item("probe-catalogue", {"token": "env:PROBE_CATALOGUE_TOKEN"})],
            archives=[item("probe-archive", {"api_key": "env:PROBE_ARCHIVE_KEY"})],
        )
    )


def test_public_config_keeps_secret_options_as_references_and_drops_hub_only_ones(
    tmp_path: Path,
) -> None:
    view = public(full_config(tmp_path / "loose-secret"))
    probe, loose = view["data_services"]
    assert probe["options"] == {
        "project": "gaia",
        "max_files": 100,
        "api_key": "env:PROBE_ADMIN_KEY",
    }
    assert loose["options"] == {
        "key": f"file:{tmp_path / 'loose-secret'}",
        "plain": "env-free text",
    }
    assert view["software_catalogues"][0]["options"] == {
        "community": "escape",
        "token": "env:PROBE_CATALOGUE_TOKEN",
    }
    assert view["archives"][0]["options"] == {
        "publisher": "ESAP",
        "max_files": 10,
        "api_key": "env:PROBE_ARCHIVE_KEY",
    }
    assert "/srv/a" not in json.dumps(view)
    assert "audit_log" not in json.dumps(view)


def test_for_a_spawn_secret_options_become_variables_the_hub_sets(tmp_path: Path) -> None:
    secrets: dict[str, SecretRef] = {}
    view = public(full_config(tmp_path / "loose-secret"), secrets=secrets)
    assert view["data_services"][0]["options"]["api_key"] == (
        "env:ESAP_SECRET_DATA_MY_PROBE_API_KEY"
    )
    assert view["data_services"][1]["options"] == {
        "key": "env:ESAP_SECRET_DATA_LOOSE_ONE_KEY",
        "plain": "env-free text",
    }
    assert view["software_catalogues"][0]["options"]["token"] == (
        "env:ESAP_SECRET_SOFTWARE_MY_PROBE_CATALOGUE_TOKEN"
    )
    assert view["archives"][0]["options"]["api_key"] == (
        "env:ESAP_SECRET_ARCHIVE_MY_PROBE_ARCHIVE_API_KEY"
    )
    assert secrets == {
        "ESAP_SECRET_DATA_MY_PROBE_API_KEY": "env:PROBE_ADMIN_KEY",
        "ESAP_SECRET_DATA_LOOSE_ONE_KEY": f"file:{tmp_path / 'loose-secret'}",
        "ESAP_SECRET_SOFTWARE_MY_PROBE_CATALOGUE_TOKEN": "env:PROBE_CATALOGUE_TOKEN",
        "ESAP_SECRET_ARCHIVE_MY_PROBE_ARCHIVE_API_KEY": "env:PROBE_ARCHIVE_KEY",
    }
    assert all(isinstance(reference, SecretRef) for reference in secrets.values())


def test_the_server_environment_resolves_secrets_on_the_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_ADMIN_KEY", "admin-value-1")
    monkeypatch.setenv("PROBE_ARCHIVE_KEY", "admin-value-2")
    monkeypatch.delenv("PROBE_CATALOGUE_TOKEN", raising=False)
    (tmp_path / "loose-secret").write_text("file-value-3\n", encoding="utf-8")
    environment, unresolved = server_environment(full_config(tmp_path / "loose-secret"))
    assert environment["ESAP_SECRET_DATA_MY_PROBE_API_KEY"] == "admin-value-1"
    assert environment["ESAP_SECRET_DATA_LOOSE_ONE_KEY"] == "file-value-3"
    assert environment["ESAP_SECRET_ARCHIVE_MY_PROBE_ARCHIVE_API_KEY"] == "admin-value-2"
    # what cannot be resolved is named for the hub's log and left out; the rest is set
    assert "ESAP_SECRET_SOFTWARE_MY_PROBE_CATALOGUE_TOKEN" not in environment
    assert unresolved == [
        "secret option ESAP_SECRET_SOFTWARE_MY_PROBE_CATALOGUE_TOKEN (env:PROBE_CATALOGUE_TOKEN) "
        "is not set on user servers: environment variable PROBE_CATALOGUE_TOKEN is not set"
    ]
    carried = environment[PUBLIC_CONFIG_ENV]
    assert "admin-value" not in carried
    assert "file-value" not in carried
    assert "PROBE_ADMIN_KEY" not in carried  # not even the admin's own variable name

    # a user server: the public config and the variables, nothing else of the hub's
    for variable in ("PROBE_ADMIN_KEY", "PROBE_ARCHIVE_KEY"):
        monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    view = json.loads(carried)
    service = ProbeService(ServiceEntry.from_public(view["data_services"][0]))
    assert isinstance(service.options, ProbeOptions)
    assert service.options.api_key is not None
    assert service.options.api_key.resolve() == "admin-value-1"
    [settings] = configured_archives()  # from $ESAP_PUBLIC_CONFIG, as a kernel reads it
    archive = ProbeArchive(settings)
    assert isinstance(archive.options, ProbeArchiveOptions)
    assert archive.options.api_key is not None
    assert archive.options.api_key.resolve() == "admin-value-2"
    catalogue = ProbeCatalogue(CatalogueEntry.from_public(view["software_catalogues"][0]))
    assert isinstance(catalogue.options, ProbeCatalogueOptions)
    assert catalogue.options.token is not None
    with pytest.raises(LookupError, match="ESAP_SECRET_SOFTWARE_MY_PROBE_CATALOGUE_TOKEN"):
        catalogue.options.token.resolve()
