"""Unit tests of esap.config: loading, error messages, public view, JSON Schema, plugins."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from esap import __version__, plugins
from esap.config import (
    ConfigError,
    EsapConfig,
    Problem,
    SecretRef,
    json_schema,
    load,
    loads,
    public,
)
from esap.config.errors import render_path, render_value

FULL = textwrap.dedent(
    """\
    hub:
      title: Astro Hub
      port: 8010
      data_dir: state
      admin_users: [alice]
      cookie_secret: env:ESAP_COOKIE_SECRET
      home_quota: 10Gi
      services:
        - name: monitor
          token: file:/run/secrets/monitor-token
          scopes: [admin:users]
    auth:
      type: oidc
      password: env:ESAP_SHARED_PASSWORD
      admin_password: file:/run/secrets/admin-password
      oidc:
        issuer: https://iam.example.org/
        client_id: esap-hub
        client_secret: env:ESAP_OIDC_CLIENT_SECRET
        admin_groups: [esap-admins]
    profiles:
      - name: small
        display_name: Small (2 cores)
        memory: 4G
        cpu: 2
        default: true
      - name: gpu
        memory: 16Gi
        gpu: 1
    data_services:
      - name: gavo
        title: GAVO Data Center
        type: tap
        url: https://dc.g-vo.org/tap
        description: German Astrophysical Virtual Observatory
        options: {table: ivoa.obscore}
      - name: cds-sia
        type: sia2
        url: https://alasky.cds.unistra.fr/sia2
        enabled: false
      - name: registry
        type: registry
        url: https://reg.g-vo.org/tap
    software_catalogues:
      - name: ossr
        type: ossr
        url: https://zenodo.org/api
        options: {community: escape2020}
      - name: local-codemeta
        type: codemeta
        path: catalogue
    archives:
      - name: zenodo
        type: zenodo
        url: https://zenodo.org/api
        community: escape2020
        options: {timeout: 60}
      - name: bags
        type: local
        path: ~/esap-bags
    dask:
      enabled: true
      worker_memory: 4G
      limits: {max_clusters: 2, max_cores: 8, max_memory: 32G}
      group_limits:
        power-users: {max_cores: 64}
    workshop:
      material: https://github.com/escape2020/school2021
      users: 30
    """
)

SECRET_REFS = [
    "env:ESAP_COOKIE_SECRET",
    "file:/run/secrets/monitor-token",
    "env:ESAP_SHARED_PASSWORD",
    "file:/run/secrets/admin-password",
    "env:ESAP_OIDC_CLIENT_SECRET",
]


def problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        loads(text)
    return info.value.problems


# --------------------------------------------------------------------------- loading


def test_full_config_loads() -> None:
    config = loads(FULL)
    assert config.hub.title == "Astro Hub"
    assert config.auth.oidc is not None
    assert config.auth.oidc.client_secret == "env:ESAP_OIDC_CLIENT_SECRET"
    assert isinstance(config.auth.oidc.client_secret, SecretRef)
    assert [s.name for s in config.data_services] == ["gavo", "cds-sia", "registry"]
    assert config.dask.group_limits["power-users"].max_cores == 64


def test_empty_document_is_all_defaults() -> None:
    for text in ("", "\n", "# nothing yet\n", "dask:\n"):
        config = loads(text)
        assert config == EsapConfig()
    assert config.hub.port == 8000
    assert config.auth.type == "shared-password"


def test_load_resolves_relative_paths_against_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "esap.yaml").write_text(FULL, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    config = load(Path("..") / "site" / "esap.yaml")

    base = site.resolve()
    assert config.hub.data_dir == base / "state"
    assert config.software_catalogues[1].path == base / "catalogue"
    assert config.archives[1].path == tmp_path / "home" / "esap-bags"
    assert config.software_catalogues[0].path is None


def test_default_data_dir_is_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_text("", encoding="utf-8")
    assert load(tmp_path / "esap.yaml").hub.data_dir == tmp_path.resolve() / ".esap-hub"


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_text("hub:\n  data_dir: /srv/esap\n", encoding="utf-8")
    assert load(tmp_path / "esap.yaml").hub.data_dir == Path("/srv/esap")


def test_loads_keeps_relative_paths_unless_given_a_base(tmp_path: Path) -> None:
    text = "hub:\n  data_dir: state\n"
    assert loads(text).hub.data_dir == Path("state")
    assert loads(text, base_dir=tmp_path).hub.data_dir == tmp_path / "state"


def test_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load(missing)
    assert info.value.source == str(missing)
    [problem] = info.value.problems
    assert problem.path == "(file)"
    assert problem.message == "file not found"


def test_all_problems_are_reported_at_once_in_file_order() -> None:
    found = problems(
        textwrap.dedent(
            """\
            workshop:
              users: -1
            hub:
              port: 0
              titel: x
            data_services:
              - name: A
                type: tapp
                url: nope
            """
        )
    )
    assert [p.path for p in found] == [
        "workshop.users",
        "hub.port",
        "hub.titel",
        "data_services[0].name",
        "data_services[0].type",
        "data_services[0].url",
    ]


def test_problem_and_error_rendering() -> None:
    problem = Problem("hub.port", "70000", "out of range", "use 8000")
    assert str(problem) == "hub.port: 70000: out of range — use 8000"
    error = ConfigError([problem, Problem("(file)", "'x'", "bad", "fix it")], "esap.yaml")
    assert str(error) == (
        "esap.yaml: hub.port: 70000: out of range — use 8000\nesap.yaml: (file): 'x': bad — fix it"
    )
    assert str(ConfigError([problem])) == "hub.port: 70000: out of range — use 8000"
    with pytest.raises(AttributeError):
        problem.path = "other"  # type: ignore[misc]


def test_loads_names_the_source() -> None:
    with pytest.raises(ConfigError) as info:
        loads("hub: 1\n", source="site.yaml")
    assert str(info.value).startswith("site.yaml: hub: 1: expected a mapping")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hub:\n  titel: x\n", "hub.titel: 'x': unknown key — did you mean 'title'?"),
        ("hub:\n  mode: kubernets\n", "did you mean 'kubernetes'?"),
        ("hub:\n  port: 70000\n", "must be between 1 and 65535"),
        ("hub:\n  port: 0\n", "hub.port: 0: out of range"),
        ("hub:\n  port: x\n", "expected an integer, got a string"),
        ("profiles:\n  - name: a\n    memory: 4 GB\n", "write memory: 4G"),
        ("auth:\n  type: oidc\n", "auth.oidc: (missing): auth.type is oidc"),
        ("data_services:\n  - name: a\n    type: tap\n", "add url"),
        (
            "data_services:\n  - name: a\n    type: tap\n    url: /tap\n",
            "it must be http(s) with a host — write the full address, "
            "e.g. url: https://example.org/tap",
        ),
        ("archives:\n  - name: a\n    type: zenodoo\n", "did you mean 'zenodo'?"),
        ("software_catalogues:\n  - name: a\n    type: codemeta2\n", "did you mean 'codemeta'?"),
        ("hub: [1]\n", "expected a mapping, got a list"),
        ("hub:\n  port: 1\n  port: 2\n", "written twice (lines 2 and 3)"),
        ("a: [\n", "(file): line 2, column 1: YAML syntax error"),
        ("just text\n", "(file): 'just text': the top level must be a mapping"),
    ],
)
def test_messages(text: str, expected: str) -> None:
    rendered = "\n".join(str(p) for p in problems(text))
    assert expected in rendered


def test_inline_secrets_are_never_echoed() -> None:
    secret = "s3cr3t-Value-42"
    text = textwrap.dedent(
        f"""\
        hub:
          cookie_secret: {secret}
          cookie_secrt: {secret}
          services:
            - name: bot
              token: {secret}
        auth:
          password: {secret}
          password: {secret}
        archives:
          - name: z
            type: zenodo
            token: {secret}
            url: https://user:{secret}@zenodo.org/api
        data_services:
          - name: t
            type: tap
            url: https://dc.g-vo.org/tap
            token: 12345
        """
    )
    with pytest.raises(ConfigError) as info:
        loads(text)
    rendered = str(info.value)
    assert secret not in rendered
    assert "12345" not in rendered
    assert rendered.count("'***'") >= 5
    assert "secrets are never written inline — put it in an environment variable and write " in (
        rendered
    )
    assert "'https://user:***@zenodo.org/api'" in rendered


def test_malformed_references_are_shown_since_they_hold_no_secret() -> None:
    [problem] = problems("auth:\n  password: env:my-var\n")
    assert problem.value == "'env:my-var'"
    assert problem.message == "not a valid secret reference"


# --------------------------------------------------------------------------- rendering


def test_render_path() -> None:
    assert render_path(()) == "(file)"
    assert render_path(("data_services", 2, "url")) == "data_services[2].url"
    assert render_path(("dask", "group_limits", "power-users", "max_cores")) == (
        "dask.group_limits.power-users.max_cores"
    )
    assert render_path(("dask", "group_limits", "a b")) == "dask.group_limits['a b']"


def test_render_value() -> None:
    assert render_value("x") == "'x'"
    assert render_value(True) == "true"
    assert render_value(None) == "null"
    assert render_value(8000) == "8000"
    assert render_value([1, "a"]) == "[1, 'a']"
    assert render_value({"password": "hunter2"}) == "{password: ...}"
    assert render_value("hunter2", secret=True) == "'***'"
    assert render_value("env:X", secret=True) == "'env:X'"
    assert len(render_value("x" * 500)) < 70


# --------------------------------------------------------------------------- secrets


def test_secret_ref_resolves_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    ref = SecretRef("env:ESAP_TEST_SECRET")
    monkeypatch.setenv("ESAP_TEST_SECRET", "value")
    assert ref.resolve() == "value"
    monkeypatch.delenv("ESAP_TEST_SECRET")
    with pytest.raises(LookupError, match="environment variable ESAP_TEST_SECRET is not set"):
        ref.resolve()


def test_secret_ref_resolves_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("  abc123\n", encoding="utf-8")
    assert SecretRef(f"file:{secret}").resolve() == "abc123"
    with pytest.raises(LookupError, match="cannot read secret file"):
        SecretRef(f"file:{tmp_path / 'absent'}").resolve()


def test_secret_refs_validate_through_the_models() -> None:
    config = loads("auth:\n  password: env:PW\n")
    assert isinstance(config.auth.password, SecretRef)
    assert problems("auth:\n  password: file:relative/path\n")[0].message == (
        "not a valid secret reference"
    )


# --------------------------------------------------------------------------- public


def _walk(value: Any) -> list[str]:
    """Every key and string value anywhere in a JSON-like structure."""
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [str(key), *_walk(item)]]
    if isinstance(value, list):
        return [s for item in value for s in _walk(item)]
    return [value] if isinstance(value, str) else []


def test_public_has_the_documented_shape() -> None:
    config = loads(FULL)
    view = public(config)
    assert json.loads(json.dumps(view)) == view
    assert set(view) == {
        "title",
        "version",
        "data_services",
        "software_catalogues",
        "archives",
        "profiles",
        "dask",
        "resolver",
        "sky_view",
        "fetch",
        "all_vo",
        "home_quota",
    }
    assert view["title"] == "Astro Hub"
    assert view["version"] == __version__
    gavo = dict(view["data_services"][0])
    # the adapter's own model decides which options go (its defaults may add some)
    options = gavo.pop("options")
    assert options.items() >= {"table": "ivoa.obscore"}.items()
    assert gavo == {
        "name": "gavo",
        "title": "GAVO Data Center",
        "type": "tap",
        "description": "German Astrophysical Virtual Observatory",
        "enabled": True,
        "url": "https://dc.g-vo.org/tap",
        "timeout": 30.0,
    }
    assert view["data_services"][1]["title"] == "cds-sia"
    assert view["data_services"][1]["enabled"] is False
    assert set(view["software_catalogues"][0]) == {
        "name",
        "title",
        "type",
        "description",
        "enabled",
        "url",
        "path",
        "options",
    }
    assert view["software_catalogues"][0]["options"].items() >= {"community": "escape2020"}.items()
    assert view["software_catalogues"][1]["url"] is None
    assert set(view["archives"][0]) == {
        "name",
        "title",
        "type",
        "description",
        "url",
        "path",
        "community",
        "options",
    }
    assert view["archives"][0]["options"].items() >= {"timeout": 60}.items()
    # every adapter is installed here: no entry is marked broken
    for section in ("data_services", "software_catalogues", "archives"):
        assert all("error" not in entry for entry in view[section])
    assert view["profiles"] == [
        {"name": "small", "display_name": "Small (2 cores)", "description": "", "default": True},
        {"name": "gpu", "display_name": "gpu", "description": "", "default": False},
    ]
    # the user's server shows its Dask use against these (memory in bytes, as the gateway has it)
    assert view["dask"] == {
        "enabled": True,
        "limits": {"max_clusters": 2, "max_cores": 8, "max_memory": 32 * 10**9},
        "group_limits": {
            "power-users": {"max_clusters": None, "max_cores": 64, "max_memory": None}
        },
    }
    assert view["home_quota"] == 10 * 2**30
    assert public(loads("hub: {title: T}"))["home_quota"] is None
    assert view["resolver"] == {"type": "sesame", "targets": {}, "timeout": 10.0}


def test_public_never_carries_a_secret() -> None:
    view = public(loads(FULL))
    strings = _walk(view)
    for ref in SECRET_REFS:
        assert all(ref not in s for s in strings), ref
    assert all(not s.startswith(("env:", "file:")) for s in strings)
    for section in ("data_services", "software_catalogues", "archives"):
        for entry in view[section]:
            entry.pop("options")
    text = json.dumps(view)
    for word in ("token", "password", "secret", "options", "cookie", "client"):
        assert word not in text


# --------------------------------------------------------------------------- schema


def _properties(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [("EsapConfig", name, prop) for name, prop in schema["properties"].items()]
    for model, definition in schema.get("$defs", {}).items():
        found += [(model, name, prop) for name, prop in definition.get("properties", {}).items()]
    return found


def test_json_schema_header() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "ESAP Hub configuration (esap.yaml)"
    assert schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_field_in_the_schema_has_a_description() -> None:
    schema = json_schema()
    properties = _properties(schema)
    assert len(properties) > 60
    undocumented = [
        f"{model}.{name}" for model, name, prop in properties if not prop.get("description")
    ]
    assert undocumented == []
    for model, definition in schema["$defs"].items():
        assert definition.get("description"), model


def test_schema_accepts_what_the_models_accept() -> None:
    import yaml

    validator = jsonschema.Draft202012Validator(json_schema())
    validator.validate(yaml.safe_load(FULL))
    validator.validate({})
    errors = list(validator.iter_errors({"hub": {"port": 0, "titel": "x"}}))
    assert len(errors) == 2


def test_adapter_types_are_offered_as_examples_in_the_schema() -> None:
    defs = json_schema()["$defs"]
    assert defs["DataServiceEntry"]["properties"]["type"]["examples"] == [
        "tap",
        "sia2",
        "scs",
        "ssa",
        "registry",
        "rucio",
        "zooniverse",
    ]


# --------------------------------------------------------------------------- plugins


def test_builtin_adapter_names() -> None:
    assert plugins.names(plugins.DATA_SERVICES)[:5] == ["tap", "sia2", "scs", "ssa", "registry"]
    assert plugins.names(plugins.SOFTWARE_CATALOGUES)[:2] == ["codemeta", "ossr"]
    assert plugins.names(plugins.ARCHIVES)[:3] == ["local", "zenodo", "invenio-rdm"]
    assert plugins.groups() == ("esap.data_services", "esap.software_catalogues", "esap.archives")
    with pytest.raises(ValueError, match="unknown adapter group"):
        plugins.names("esap.nothing")


def test_names_import_nothing() -> None:
    before = set(sys.modules)
    for group in plugins.groups():
        plugins.names(group)
    loaded = {name for name in set(sys.modules) - before if name.startswith("esap.")}
    assert not loaded & {"esap.data.tap", "esap.software.ossr", "esap.publish.zenodo"}


def test_load_unknown_name_suggests() -> None:
    with pytest.raises(plugins.AdapterNotFoundError, match="did you mean 'tap'"):
        plugins.load(plugins.DATA_SERVICES, "tapp")


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution registering adapters, as a package on sys.path would."""
    (tmp_path / "exo_adapter.py").write_text("class ExoService:\n    pass\n", encoding="utf-8")
    (tmp_path / "exo_broken.py").write_text(
        "import exo_dependency_not_installed\n\nclass Broken:\n    pass\n", encoding="utf-8"
    )
    info = tmp_path / "exo_adapter-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: exo-adapter\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[esap.data_services]\n"
        "exo = exo_adapter:ExoService\n"
        "broken = exo_broken:Broken\n"
        "tap = exo_adapter:ExoService\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    plugins.refresh()
    yield tmp_path
    for module in ("exo_adapter", "exo_broken"):
        sys.modules.pop(module, None)
    monkeypatch.undo()
    plugins.refresh()


def test_entry_points_add_adapters(third_party: Path) -> None:
    names = plugins.names(plugins.DATA_SERVICES)
    assert "exo" in names
    assert "exo_adapter" not in sys.modules
    assert plugins.load(plugins.DATA_SERVICES, "exo").__name__ == "ExoService"
    config = loads("data_services:\n  - name: exo\n    type: exo\n    url: https://exo.example/\n")
    assert config.data_services[0].type == "exo"


def test_builtins_win_over_entry_points_of_the_same_name(third_party: Path) -> None:
    assert plugins.targets(plugins.DATA_SERVICES)["tap"] == "esap.data.tap:TapService"


def test_missing_dependency_says_what_to_install(third_party: Path) -> None:
    with pytest.raises(plugins.AdapterImportError) as info:
        plugins.load(plugins.DATA_SERVICES, "broken")
    assert "install exo_dependency_not_installed" in str(info.value)
    assert info.value.name == "exo_dependency_not_installed"


def test_builtin_whose_module_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(plugins.BUILTIN[plugins.ARCHIVES], "ghost", "esap.config.ghost:Ghost")
    with pytest.raises(plugins.AdapterImportError, match=r"esap\.config\.ghost is not installed"):
        plugins.load(plugins.ARCHIVES, "ghost")
