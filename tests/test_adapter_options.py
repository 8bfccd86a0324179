"""The built-in adapters declare their options, and the schemas carry each type's options.

``esap config schema`` (editors) and the chart's ``values.schema.json`` are
checked the way their readers use them: with ``jsonschema`` against configs
an admin could write. A small adapter package written into ``tmp_path`` (a
real distribution with entry points, found by ``importlib.metadata``) stands
for a third party: its options join ``esap config schema``, never the
committed chart schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError
from test_dachs import M31, inside

from esap import plugins
from esap.config import json_schema, load, public
from esap.config.models import EsapConfig
from esap.config.options import HUB_ONLY, SECRET, AdapterOptions, FreeOptions
from esap.data.base import Query, ServiceEntry
from esap.data.catalog import Catalog
from esap.data.rucio import RucioService
from esap.data.tap import TapOptions, TapService
from esap.helm.schema import SCHEMA_PATH, render_schema
from harness.dachs import csv_rows

REPO = Path(__file__).resolve().parent.parent

BUILTINS = [(group, name) for group, names in plugins.BUILTIN.items() for name in names]

#: A config an admin could write, one entry per built-in type, each with valid options.
SAMPLE = textwrap.dedent(
    """\
    data_services:
      - {name: obscore, type: tap, url: "https://tap.example.org/tap",
         options: {table: ivoa.obscore, text_columns: [obs_title, target_name]}}
      - {name: sources, type: tap, url: "https://tap.example.org/tap",
         options: {table: cat.sources, ra_column: raj2000, dec_column: dej2000}}
      - {name: images, type: sia2, url: "https://sia.example.org/sia2"}
      - {name: cone, type: scs, url: "https://scs.example.org/scs", options: {}}
      - {name: spectra, type: ssa, url: "https://ssa.example.org/ssa"}
      - {name: reg, type: registry, url: "https://reg.example.org/tap"}
      - {name: lake, type: rucio, url: "https://rucio.example.org",
         options: {audience: rucio, scope: user.alice, rse: LAB_DISK, mount: /lake,
                   rule_lifetime: 86400, vo: def, account: alice,
                   auth_url: "https://rucio-auth.example.org"}}
      - {name: zoo, type: zooniverse, url: "https://www.zooniverse.org",
         options: {page_size: 50}}
    software_catalogues:
      - {name: curated, type: codemeta, path: software,
         options: {urls: ["https://example.org/codemeta.json"],
                   binderhub_url: "https://mybinder.org"}}
      - {name: ossr, type: ossr, url: "https://zenodo.org/api",
         options: {community: escape2020, timeout: 20, binderhub_urlpath: lab/tree/README.md}}
    archives:
      - {name: bags, type: local, path: bags}
      - {name: zenodo, type: zenodo, url: "https://sandbox.zenodo.org/api",
         options: {timeout: 120}}
      - {name: rdm, type: invenio-rdm, url: "https://rdm.example.org/api",
         options: {publisher: CTAO, timeout: 30.5}}
    auth:
      type: oidc
      oidc:
        issuer: https://iam.example.org/
        client_id: esap
        client_secret: env:OIDC_CLIENT_SECRET
        audiences: {rucio: https://rucio.example.org}
    """
)


def sample() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SAMPLE)
    return loaded


def esap(
    *args: str, cwd: Path, pythonpath: list[Path] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m esap ARGS`` with this source tree first on the path (and ``pythonpath``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [
            str(REPO / "extensions"),
            *map(str, pythonpath or []),
            *filter(None, [env.get("PYTHONPATH")]),
        ]
    )
    return subprocess.run(
        [sys.executable, "-m", "esap", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def errors_of(
    schema: dict[str, Any], instance: Any, draft: type = jsonschema.Draft202012Validator
) -> list[tuple[list[Any], str]]:
    """Every (key path, message) the schema finds wrong with ``instance``."""
    validator = draft(schema)
    found = []
    for error in validator.iter_errors(instance):
        for leaf in error.context or [error]:
            found.append((list(leaf.absolute_path), leaf.message))
    return sorted(found, key=str)


# ------------------------------------------------------------------ the models


@pytest.mark.parametrize(("group", "name"), BUILTINS, ids=[n for _, n in BUILTINS])
def test_every_builtin_declares_its_options(group: str, name: str) -> None:
    adapter = plugins.load(group, name)
    model = vars(adapter).get("Options")
    assert isinstance(model, type), f"{adapter.__qualname__} declares no Options of its own"
    assert issubclass(model, AdapterOptions)
    assert model is not FreeOptions
    assert model.model_config.get("extra") == "forbid", f"{name} accepts unknown options"
    for field, info in model.model_fields.items():
        assert info.description, f"{name} option {field} has no description for the admin"
    defaults = model()  # every built-in works with no options at all
    with pytest.raises(ValidationError, match="no_such_option"):
        model.model_validate({"no_such_option": 1})
    assert type(defaults).model_json_schema()["additionalProperties"] is False


def test_adapter_modules_import_without_pyvo_or_astropy() -> None:
    probe = (
        "import json, sys\n"
        "from esap import plugins\n"
        "for group, names in plugins.BUILTIN.items():\n"
        "    for name in names:\n"
        "        plugins.load(group, name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pyvo', 'astropy', 'rucio', 'panoptes_client'))))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "extensions"))
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_tap_reads_its_typed_options_and_a_search_overrides_them() -> None:
    entry = ServiceEntry(
        name="cat",
        type="tap",
        url="https://tap.example.org/tap",
        options={"table": "cat.sources", "text_columns": ["name", "kind"]},
    )
    service = TapService(entry)
    assert isinstance(service.options, TapOptions)
    assert service.options.ra_column is None
    adql = service.adql_for(Query(ra=10.0, dec=41.0, radius=0.5, text="Gal_axy%"))
    assert adql == (
        "SELECT * FROM cat.sources WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
        "CIRCLE('ICRS', 10.0, 41.0, 0.5)) AND "
        "(LOWER(name) LIKE '%galaxy%' OR LOWER(kind) LIKE '%galaxy%')"
    )
    searched = service.adql_for(
        Query(ra=1.0, dec=2.0, radius=0.1, params={"table": "ivoa.obscore"}, maxrec=5)
    )
    assert searched.startswith("SELECT TOP 5 * FROM ivoa.obscore WHERE ")
    assert "POINT('ICRS', s_ra, s_dec)" in searched
    # an empty list turns text matching off, where None means "the table's default"
    quiet = TapService(
        ServiceEntry(
            name="q", type="tap", url="https://t.example.org", options={"text_columns": []}
        )
    )
    assert quiet.adql_for(Query(text="m31")) == "SELECT * FROM ivoa.obscore"
    default = TapService(ServiceEntry(name="d", type="tap", url="https://t.example.org"))
    assert "LOWER(obs_title) LIKE '%m31%' OR LOWER(target_name)" in default.adql_for(
        Query(text="m31")
    )


def test_rucio_reads_its_typed_options() -> None:
    entry = ServiceEntry(
        name="lake",
        type="rucio",
        url="https://rucio.example.org",
        options={"audience": "lake_one", "scope": "lofar", "rule_lifetime": 3600},
    )
    service = RucioService(entry)
    assert service.token_variable() == "ESAP_ACCESS_TOKEN_LAKE_ONE"
    assert service.options.rule_lifetime == 3600
    assert RucioService(ServiceEntry("l", "rucio", "https://r.example.org")).token_variable() == (
        "ESAP_ACCESS_TOKEN"
    )


def test_config_check_names_a_mistyped_builtin_option(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_text(
        textwrap.dedent(
            """\
            data_services:
              - {name: gavo, type: tap, url: "https://dc.g-vo.org/tap", options: {tabel: x.y}}
              - {name: zoo, type: zooniverse, url: "https://www.zooniverse.org",
                 options: {page_size: 500}}
            software_catalogues:
              - {name: ossr, type: ossr, options: {timeout: soon}}
            archives:
              - {name: rdm, type: invenio-rdm, url: "https://rdm.example.org/api",
                 options: {timeout: 0}}
            """
        ),
        encoding="utf-8",
    )
    result = esap("config", "check", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    assert any(
        "data_services[0].options.tabel: 'x.y': unknown option" in line
        and "did you mean 'table'?" in line
        for line in lines
    ), result.stderr
    assert any("data_services[1].options.page_size: 500: out of range" in line for line in lines)
    assert any("software_catalogues[0].options.timeout: 'soon'" in line for line in lines)
    assert any("archives[0].options.timeout: 0: out of range" in line for line in lines)
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------ esap config schema


def test_config_schema_has_each_types_options_under_its_type(tmp_path: Path) -> None:
    result = esap("config", "schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    definitions = schema["$defs"]
    branches = {
        branch["if"]["properties"]["type"]["const"]: branch
        for branch in definitions["DataServiceEntry"]["allOf"]
    }
    tap = branches["tap"]
    assert tap["if"]["required"] == ["type"]
    assert tap["then"] == {"properties": {"options": {"$ref": "#/$defs/TapOptions"}}}
    table = definitions["TapOptions"]["properties"]["table"]
    assert table["default"] == "ivoa.obscore"
    assert table["type"] == "string"
    assert table["description"]
    assert definitions["TapOptions"]["additionalProperties"] is False
    for group, (entry, _) in {
        plugins.DATA_SERVICES: ("DataServiceEntry", 0),
        plugins.SOFTWARE_CATALOGUES: ("SoftwareCatalogueEntry", 0),
        plugins.ARCHIVES: ("ArchiveEntry", 0),
    }.items():
        listed = [b["if"]["properties"]["type"]["const"] for b in definitions[entry]["allOf"]]
        assert listed[: len(plugins.BUILTIN[group])] == list(plugins.BUILTIN[group])
    names = {"invenio-rdm": "InvenioRdmOptions", "sia2": "Sia2Options", "ossr": "OssrOptions"}
    for type_name, name in names.items():
        assert name in definitions, f"no definition {name} for {type_name}"


def test_a_config_is_checked_against_the_schema_as_an_editor_would() -> None:
    schema = json_schema()
    config = sample()
    assert errors_of(schema, config) == []
    EsapConfig.model_validate(config)  # the models agree that it is valid

    config["data_services"][0]["options"]["table"] = 5
    config["data_services"][1]["options"]["text_columns"] = "name"
    config["data_services"][2]["options"] = {"table": "ivoa.obscore"}
    config["data_services"][7]["options"]["page_size"] = 0
    config["software_catalogues"][1]["options"]["timeout"] = "soon"
    config["archives"][2]["options"]["publisher"] = ["CTAO"]
    found = errors_of(schema, config)
    paths = [path for path, _ in found]
    assert ["data_services", 0, "options", "table"] in paths, found
    assert ["data_services", 1, "options", "text_columns"] in paths, found
    assert ["data_services", 2, "options"] in paths, found  # sia2 takes no options
    assert ["data_services", 7, "options", "page_size"] in paths, found
    assert ["software_catalogues", 1, "options", "timeout"] in paths, found
    assert ["archives", 2, "options", "publisher"] in paths, found
    assert not [p for p in paths if p[:2] in (["data_services", 3], ["archives", 0])], found


def test_the_chart_schema_checks_builtin_options_too() -> None:
    schema = json.loads((REPO / SCHEMA_PATH).read_text(encoding="utf-8"))
    values = {"esap": {"config": sample()}}
    assert errors_of(schema, values, jsonschema.Draft7Validator) == []
    values["esap"]["config"]["data_services"][0]["options"]["ra_column"] = "s ra"
    values["esap"]["config"]["archives"][1]["options"]["timeout"] = -1
    paths = [path for path, _ in errors_of(schema, values, jsonschema.Draft7Validator)]
    assert ["esap", "config", "data_services", 0, "options", "ra_column"] in paths
    assert ["esap", "config", "archives", 1, "options", "timeout"] in paths


# ------------------------------------------------------------------ a third party

THIRD_PARTY = '''\
"""A community's adapters, as a package of its own would ship them."""

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from esap.config.models import SecretRef
from esap.config.options import AdapterOptions, hub_only
from esap.data.base import DataService


class Profile(BaseModel):
    """Named like a section of the config's own schema, on purpose."""

    model_config = ConfigDict(extra="forbid")
    depth: int = Field(ge=1, description="How deep to look.")


class LakeOptions(AdapterOptions):
    project: str = Field(description="The project whose files are listed.")
    api_key: SecretRef | None = Field(default=None, description="The lake's key, by reference.")
    audit: str | None = hub_only(description="Checked by the hub only.")
    profile: Profile | None = Field(default=None, description="How to search.")


class LakeService(DataService):
    Options: ClassVar[type[AdapterOptions]] = LakeOptions


class FreeService(DataService):
    """Declares no options: any mapping is accepted."""
'''


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A distribution in ``tmp_path/site`` registering three data services, one broken."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "lakeadapters.py").write_text(THIRD_PARTY, encoding="utf-8")
    (site / "lakeadapters_broken.py").write_text(
        'raise RuntimeError("this package is broken")\n', encoding="utf-8"
    )
    info = site / "lakeadapters-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: lakeadapters\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[esap.data_services]\n"
        "lake = lakeadapters:LakeService\n"
        "free-form = lakeadapters:FreeService\n"
        "broken = lakeadapters_broken:Nothing\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    plugins.refresh()
    try:
        yield site
    finally:
        monkeypatch.undo()
        for module in ("lakeadapters", "lakeadapters_broken"):
            sys.modules.pop(module, None)
        plugins.refresh()


def test_a_third_partys_options_join_the_schema(third_party: Path, tmp_path: Path) -> None:
    assert {"lake", "free-form", "broken"} <= set(plugins.names(plugins.DATA_SERVICES))
    schema = json_schema()
    definitions = schema["$defs"]
    branches = {
        b["if"]["properties"]["type"]["const"]: b["then"]["properties"]["options"]
        for b in definitions["DataServiceEntry"]["allOf"]
    }
    assert branches["lake"] == {"$ref": "#/$defs/LakeOptions"}
    assert branches["free-form"]["type"] == "object"  # a free mapping, inline
    assert "broken" not in branches  # cannot be imported here: left out, no crash
    lake = definitions["LakeOptions"]
    assert lake["properties"]["api_key"][SECRET] is True
    assert lake["properties"]["audit"][HUB_ONLY] is True
    assert SECRET not in lake["properties"]["project"]
    # its own Profile does not replace the config's Profile: it is merged under another name
    assert definitions["Profile"] == EsapConfig.model_json_schema()["$defs"]["Profile"]
    nested = json.dumps(lake["properties"]["profile"])
    assert '"#/$defs/LakeOptionsProfile"' in nested
    assert definitions["LakeOptionsProfile"]["properties"]["depth"]["minimum"] == 1

    entry = {"name": "lake", "type": "lake", "url": "https://lake.example.org"}
    good = {"data_services": [{**entry, "options": {"project": "x", "profile": {"depth": 2}}}]}
    assert errors_of(schema, good) == []
    bad = {"data_services": [{**entry, "options": {"project": 5, "profile": {"depth": 0}}}]}
    paths = [path for path, _ in errors_of(schema, bad)]
    assert ["data_services", 0, "options", "project"] in paths
    assert ["data_services", 0, "options", "profile", "depth"] in paths
    anything = {"data_services": [{**entry, "type": "broken", "options": {"any": [1]}}]}
    assert errors_of(schema, anything) == []

    # the command an admin runs sees the same package
    result = esap("config", "schema", cwd=tmp_path, pythonpath=[third_party])
    assert result.returncode == 0, result.stderr
    assert "LakeOptions" in json.loads(result.stdout)["$defs"]


def test_the_chart_schema_ignores_installed_third_parties(third_party: Path) -> None:
    builtin = json_schema(builtin_only=True)
    assert "LakeOptions" not in builtin["$defs"]
    listed = [
        b["if"]["properties"]["type"]["const"]
        for b in builtin["$defs"]["DataServiceEntry"]["allOf"]
    ]
    assert listed == list(plugins.BUILTIN[plugins.DATA_SERVICES])
    assert render_schema() == (REPO / SCHEMA_PATH).read_text(encoding="utf-8")


# ------------------------------------------------------------------ end to end


@pytest.mark.dachs
@pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning")
@pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning")
def test_tap_options_from_esap_yaml_reach_the_search(dachs: Any, tmp_path: Path) -> None:
    """A non-ObsCore table named in esap.yaml, through the public config, to real rows."""
    path = tmp_path / "esap.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "data_services": [
                    {
                        "name": "sources",
                        "type": "tap",
                        "url": dachs.tap_url,
                        "timeout": 60,
                        "options": {"table": dachs.sources_table, "text_columns": ["kind"]},
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    offered = public(load(path))
    assert offered["data_services"][0]["options"] == {
        "table": dachs.sources_table,
        "text_columns": ["kind"],
    }
    adapter = Catalog(offered).adapter("sources")
    assert isinstance(adapter, TapService)
    table = adapter.search(Query(ra=M31[0], dec=M31[1], radius=1.0, text="Galaxy"))
    expected = [
        r
        for r in inside(csv_rows(dachs.sources_csv), "ra", "dec", M31, 1.0)
        if r["kind"] == "galaxy"
    ]
    assert 0 < len(expected) < len(inside(csv_rows(dachs.sources_csv), "ra", "dec", M31, 1.0))
    assert sorted(str(v) for v in table["source_id"]) == sorted(r["source_id"] for r in expected)
