"""Software catalogues: OSSR on a Zenodo records-API stand-in, codemeta folders, Binder links."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standins.server import running
from tornado import web

from esap.software import get, search
from esap.software.base import SoftwareQuery, SoftwareRecord
from esap.software.binder import BinderError, launch_url
from esap.software.codemeta import CodemetaCatalogue
from esap.software.ossr import OssrCatalogue

DATA = Path(__file__).parent / "data" / "zenodo"


class Records(web.RequestHandler):
    """``GET /api/records``: Zenodo's search (communities, type, q, size), as documented."""

    def initialize(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def get(self) -> None:
        community = self.get_argument("communities", None)
        kind = self.get_argument("type", None)
        words = self.get_argument("q", "").lower().split()
        size = int(self.get_argument("size", "10"))
        hits = [
            r
            for r in self.records
            if (community is None or {"id": community} in r["metadata"].get("communities", []))
            and (kind is None or r["metadata"]["resource_type"]["type"] == kind)
            and all(w in json.dumps(r["metadata"]).lower() for w in words)
        ]
        self.write({"hits": {"hits": hits[:size], "total": len(hits)}, "aggregations": {}})


class Record(web.RequestHandler):
    def initialize(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def get(self, record_id: str) -> None:
        for record in self.records:
            if str(record["id"]) == record_id:
                self.write(record)
                return
        self.set_status(404)
        self.write({"status": 404, "message": "PID does not exist."})


class Codemeta(web.RequestHandler):
    def get(self, record_id: str) -> None:
        self.write((DATA / "codemeta-gammapy.json").read_text())


@pytest.fixture(scope="module")
def zenodo() -> Iterator[str]:
    records: list[dict[str, Any]] = []
    app = web.Application(
        [
            (r"/api/records", Records, {"records": records}),
            (r"/api/records/(\d+)", Record, {"records": records}),
            (r"/api/records/(\d+)/files/codemeta.json/content", Codemeta),
        ]
    )
    with running(app) as server:
        text = (DATA / "records.json").read_text().replace("{base}", server.url)
        records.extend(json.loads(text))
        yield f"{server.url}/api"


def test_ossr_search_and_details(zenodo: str) -> None:
    ossr = OssrCatalogue({"name": "ossr", "type": "ossr", "url": zenodo})
    everything = ossr.search(SoftwareQuery())
    assert [r.name.split(":")[0] for r in everything] == ["gammapy", "ctapipe"]
    found = ossr.search(SoftwareQuery(text="gamma-ray"))
    assert [r.identifier for r in found] == ["7400000"]
    record = found[0]
    assert record.licence == "bsd-3-clause"
    assert record.repository == "https://github.com/gammapy/gammapy/tree/v1.0.1"
    assert record.doi == "10.5281/zenodo.7400000"
    python = ossr.search(SoftwareQuery(language="python"))
    assert [r.identifier for r in python] == ["7400000"]  # only gammapy has codemeta
    details = ossr.get("7400000")
    assert details.languages == ["Python"]
    assert details.runtimes == ["Python 3.9", "Linux"]
    assert details.repository == "https://github.com/gammapy/gammapy"
    assert details.publications == ["https://doi.org/10.1051/0004-6361/202346488"]
    with pytest.raises(LookupError):
        ossr.get("1")


def test_codemeta_folder_and_the_notebook_search(tmp_path: Path, zenodo: str) -> None:
    folder = tmp_path / "curated"
    folder.mkdir()
    shutil.copy(DATA / "codemeta-gammapy.json", folder / "codemeta.json")
    config = {
        "software_catalogues": [
            {"name": "curated", "type": "codemeta", "path": str(folder), "options": {}},
            {"name": "ossr", "type": "ossr", "url": zenodo, "options": {}},
            {"name": "down", "type": "ossr", "url": "http://127.0.0.1:9/api", "options": {}},
        ]
    }
    curated = CodemetaCatalogue(config["software_catalogues"][0])
    assert [r.name for r in curated.search(SoftwareQuery(licence="bsd", runtime="linux"))] == [
        "gammapy"
    ]
    assert curated.search(SoftwareQuery(language="julia")) == []
    table = search("gamma-ray", config=config)
    assert sorted(table["catalogue"]) == ["curated", "ossr"]
    assert get("ossr", "7400000", config=config).languages == ["Python"]


def test_binder_links_follow_binderhub_providers() -> None:
    def record(repository: str | None, ref: str | None = "v1.0", doi: str | None = None) -> Any:
        return SoftwareRecord("c", "x", "x", repository=repository, ref=ref, doi=doi)

    hub = "https://binder.example.org/"
    assert (
        launch_url(hub, record("https://github.com/gammapy/gammapy.git"))
        == "https://binder.example.org/v2/gh/gammapy/gammapy/v1.0?urlpath=lab"
    )
    assert (
        launch_url(hub, record("https://gitlab.com/group/sub/repo"), "lab/tree/demo.ipynb")
        == "https://binder.example.org/v2/gl/group%2Fsub%2Frepo/v1.0?urlpath=lab/tree/demo.ipynb"
    )
    assert launch_url(hub, record("https://git.example.org/x/y.git", None)) == (
        "https://binder.example.org/v2/git/https%3A%2F%2Fgit.example.org%2Fx%2Fy.git/HEAD?urlpath=lab"
    )
    assert launch_url(hub, record(None, doi="10.5281/zenodo.7400000")) == (
        "https://binder.example.org/v2/zenodo/10.5281/zenodo.7400000?urlpath=lab"
    )
    with pytest.raises(BinderError, match="codeRepository"):
        launch_url(hub, record(None))
    for private in ("http://127.0.0.1:8080/demo", "https://10.1.2.3/x/y.git", "git://localhost/r"):
        with pytest.raises(BinderError, match="cannot reach"):
            launch_url(hub, record(private))


def test_binderhub_is_configured_per_catalogue(tmp_path: Path) -> None:
    from esap.config import load, public
    from esap.software import binder_url, offered

    (tmp_path / "esap.yaml").write_text(
        "software_catalogues:\n"
        "  - name: curated\n    type: codemeta\n    path: curated\n"
        "    options:\n      binderhub_url: https://binder.example.org\n"
        "      binderhub_urlpath: lab/tree/x\n"
        "  - name: plain\n    type: codemeta\n    path: curated\n"
    )
    with_binder, without = offered(public(load(tmp_path / "esap.yaml")))
    record = SoftwareRecord("curated", "x", "x", repository="https://github.com/o/r", ref="main")
    assert binder_url(with_binder, record) == (
        "https://binder.example.org/v2/gh/o/r/main?urlpath=lab/tree/x"
    )
    assert binder_url(without, record) is None


@pytest.mark.parametrize(
    "identifier", ["../files/x", "..%2F..%2Ffiles%2Fx", "7400000/files", "1\n"]
)
def test_an_ossr_record_id_is_never_a_path_on_the_catalogue(identifier: str) -> None:
    asked: list[str] = []

    class Anything(web.RequestHandler):
        def get(self, path: str) -> None:
            asked.append(self.request.path)
            self.write({"id": 1, "metadata": {"title": "should not be asked"}})

    with running(web.Application([(r"/(.*)", Anything)])) as server:
        ossr = OssrCatalogue({"name": "ossr", "type": "ossr", "url": f"{server.url}/api"})
        with pytest.raises(LookupError, match="not a Zenodo record id"):
            ossr.get(identifier)
    assert asked == []
