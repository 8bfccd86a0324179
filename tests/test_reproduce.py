"""Reproducing publications: from a DOI back to a re-run notebook, its outputs compared.

Every shipped tutorial is run as a user would (each in a fresh lab state),
published with its outputs to the local archive and to the Zenodo stand-in,
then reproduced — its record fetched and checked, its environment rebuilt
from its lock with uv (uv's own cache, shared by the session, so a package
is fetched from the index at most once), its inputs fetched again from the
DaCHS archive, its notebook re-run by the runner of ``esap run`` — and must
be reported as matching. A notebook reading a CSV from a real HTTP server
on loopback is reproduced after its input changed (through the REST API of
a real jupyter-server, left and come back to), after the input is gone
(with ``esap reproduce``: the notebook fails, a named step), and with a
package version changed on purpose; each is reported as the difference it
makes. The bad cases — a record ESAP Hub did not publish, a checksum that
does not match (local and Zenodo), an archive that is down, a DOI no
archive knows, a lock that does not resolve (and the nearest environment
asked for) — are each a named step of the report, never a traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nbformat
import numpy as np
import papermill
import pytest
import yaml
from PIL import Image
from playwright.sync_api import Page, expect
from standins.fixtures import RunningArchive

from esap.core.jobs import CANCELLED, JobStore
from esap.publish.base import ArchiveSettings
from esap.publish.engine import Publisher
from esap.publish.journal import Entry
from esap.publish.metadata import parse_metadata
from esap.publish.package import CRATE_NAME, ENVIRONMENT_NAME, basket_inputs, build_crate
from esap.publish.reproduction import Reproduction, jobs, reproduce
from esap.publish.reproduction.compare import Tolerance, compare_text, image_difference
from esap.publish.reproduction.environment import parse_lock
from esap.publish.reproduction.files import compare_tables
from esap.publish.reproduction.report import render_html
from esap.tutorials import HOME_FOLDER, copy_tutorials, shipped_dir, shipped_files
from harness.dachs import DachsService
from harness.hub import esap_env
from harness.ports import free_port

pytestmark = pytest.mark.dachs

TUTORIALS = sorted(p.name for p in shipped_files(shipped_dir()) if p.suffix == ".ipynb")
ARCHIVES = ("local", "zenodo-test")
LAB_TOKEN = "reproduce-test-token"
#: States a cell of a reproduced notebook may be in when it is reported as matching.
MATCHING = {"match", "within_tolerance", "skipped"}


def metadata(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "creators": [{"name": "Doe, Jane", "affiliation": "ESAP"}],
        "description": f"{title}, published to be reproduced.",
        "license": "CC-BY-4.0",
    }


@dataclass
class Lab:
    """A user's home on an esap.yaml (DaCHS, the local archive, the Zenodo stand-in)."""

    home: Path
    config: Path
    zenodo: RunningArchive
    files: ThreadingHTTPServer
    served: Path
    entries: dict[tuple[str, str], Entry] = field(default_factory=dict)

    def publisher(self) -> Publisher:
        return Publisher(self.home)

    @property
    def files_url(self) -> str:
        return f"http://127.0.0.1:{self.files.server_address[1]}"


def uv_cache() -> str:
    """uv's cache of this machine's user, shared by every home of the session."""
    if os.environ.get("UV_CACHE_DIR"):
        return os.environ["UV_CACHE_DIR"]
    uv = Path(sys.executable).with_name("uv")
    done = subprocess.run([str(uv), "cache", "dir"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory,
    dachs: DachsService,
    zenodo_standin: RunningArchive,
    request: pytest.FixtureRequest,
) -> Iterator[Lab]:
    """The home, its config and environment, and a file server on loopback for one input."""
    home = tmp_path_factory.mktemp("reproduce-home")
    config = home / "esap.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_services": [
                    {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                    {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
                ],
                "resolver": {"type": "table", "targets": {"M31": [10.6847, 41.269]}},
                "archives": [
                    {"name": "local", "type": "local", "path": str(home / "archive")},
                    {"name": "zenodo-test", "type": "zenodo", "url": zenodo_standin.api},
                ],
            }
        )
    )
    served = home / "served"
    served.mkdir()
    handler = partial(_QuietFiles, directory=str(served))
    files = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=files.serve_forever, daemon=True).start()
    from esap.config import load
    from esap.hub.gateway import user_environment

    dask_hub = request.getfixturevalue("dask_hub")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UV_CACHE_DIR", uv_cache())
        for name, value in user_environment(load(dask_hub.hub.config_path)).items():
            patch.setenv(name, value)
        patch.setenv("JUPYTERHUB_API_TOKEN", dask_hub.hub.token_for("tutor"))
        patch.setenv("HOME", str(home))
        patch.setenv("ESAP_CONFIG", str(config))
        patch.delenv("ESAP_PUBLIC_CONFIG", raising=False)
        patch.delenv("ESAP_STATE_DIR", raising=False)
        running = Lab(home, config, zenodo_standin, files, served)
        running.publisher().tokens.set("zenodo-test", zenodo_standin.token)
        try:
            yield running
        finally:
            files.shutdown()
            files.server_close()


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def run_notebook(lab: Lab, notebook: Path, state: str) -> None:
    """Run ``notebook`` in place as a user does in a fresh lab (its own ESAP state)."""
    env = {"ESAP_STATE_DIR": str(lab.home / "lab-states" / state)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        papermill.execute_notebook(
            str(notebook),
            str(notebook),
            kernel_name="python3",
            cwd=str(notebook.parent),
            progress_bar=False,
            execution_timeout=300,
        )


@pytest.fixture(scope="module")
def published(lab: Lab) -> Lab:
    """Every tutorial run with its outputs, published to the local archive and to Zenodo."""
    copy_tutorials(lab.home)
    publisher = lab.publisher()
    for name in TUTORIALS:
        stem = Path(name).stem
        folder = lab.home / "published" / stem
        folder.mkdir(parents=True)
        shutil.copyfile(lab.home / HOME_FOLDER / name, folder / name)
        run_notebook(lab, folder / name, stem)
        files = [str(folder / name)]
        if (folder / "results").is_dir():
            files.append(str(folder / "results"))
        # what the user's basket held when they published (tutorials 2 and 3 fill it)
        inputs = basket_inputs(lab.home / "lab-states" / stem)
        for archive in ARCHIVES:
            entry = publisher.publish(
                files, metadata(f"Tutorial {stem}"), archive, inputs=inputs, base=folder
            )
            assert entry.published, entry.error
            lab.entries[(name, archive)] = entry
    return lab


def code_cells(notebook: Path) -> int:
    document = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(1 for cell in document["cells"] if cell["cell_type"] == "code")


def failing(result: Reproduction) -> str:
    """What to show when a reproduction did not go as expected: its steps and cells."""
    report = result.report()
    steps = [(s["name"], s["state"], s["message"], s["details"][:3]) for s in report["steps"]]
    cells = [(c["index"], c["state"], c["details"][:2]) for c in report["cells"]]
    return json.dumps({"summary": report["summary"], "steps": steps, "cells": cells}, indent=1)


# ------------------------------------------------------------------ every tutorial


@pytest.mark.parametrize("archive", ARCHIVES)
@pytest.mark.parametrize("tutorial", TUTORIALS)
def test_every_tutorial_is_reproduced(published: Lab, tutorial: str, archive: str) -> None:
    entry = published.entries[(tutorial, archive)]
    record = entry.record or {}
    # a local record by its publication id, a Zenodo one by its DOI (the first by its page)
    source = (
        entry.id
        if archive == "local"
        else (record["url"] if tutorial == TUTORIALS[0] else record["doi"])
    )
    result = reproduce(source, publisher=published.publisher(), progress=False)
    report = result.report()
    assert result.verdict == "reproduced", failing(result)
    assert report["record"]["archive"] == archive
    assert report["record"]["id"] == record["id"]
    assert [s["state"] for s in report["steps"]] == ["done"] * 8, failing(result)
    # every file of the record was checked against the archive's checksum
    names = {f["name"] for f in report["files"]}
    assert {tutorial, CRATE_NAME, ENVIRONMENT_NAME} <= names
    assert {f["state"] for f in report["files"]} == {"verified"}
    # a fresh environment from the lock, at the lock's Python, nothing missing
    environment = report["environment"]
    assert environment["mode"] == "rebuilt"
    assert environment["unavailable"] == []
    assert environment["changed"] == []
    assert environment["python_version"] == environment["locked_python"]
    # every code cell compared (and matching), every input the same bytes as published
    folder = published.home / "published" / Path(tutorial).stem
    assert len(report["cells"]) == code_cells(folder / tutorial)
    assert {c["state"] for c in report["cells"]} <= MATCHING, failing(result)
    assert len(report["inputs"]) == len(entry.inputs)
    assert {i["state"] for i in report["inputs"]} <= {"unchanged"}
    if (folder / "results").is_dir():
        assert [o["name"] for o in report["outputs"]] == ["results/summary.csv"]
        assert report["outputs"][0]["state"] == "match"
    # the run is a job of kind run, and the report is a page that runs nothing
    assert report["run"]["job"]
    html = result.report_html.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "reproduced" in html
    if archive == "zenodo-test" and tutorial == TUTORIALS[-1]:
        # the report, attached as a record of its own that supplements the reproduced one
        attached = result.attach(
            archive="local",
            metadata={"creators": [{"name": "Roe, Richard"}]},
            publisher=published.publisher(),
        )
        assert attached.published
        related = attached.metadata["related_identifiers"]
        assert related == [{"identifier": record["doi"], "relation": "IsSupplementTo"}]
        bag = published.home / "archive" / (attached.record or {})["id"] / "data"
        assert json.loads((bag / "report.json").read_text())["verdict"] == "reproduced"


# ------------------------------------------------------------------ a small analysis


STARS = "name,flux\nalpha,1.5\nbeta,2.25\ngamma,3.125\n"


def analysis_notebook(url: str, extra: list[str] | None = None) -> nbformat.NotebookNode:
    """A notebook that reads a CSV from ``url``, prints a mean and writes a table."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["esap"] = {
        "inputs": [
            {"service": "test-files", "access_url": url, "query": "stars.csv", "title": "stars"}
        ],
        "reproduce": {"rtol": 1e-6},
    }
    notebook.cells = [
        nbformat.v4.new_code_cell(f"url = {url!r}"),
        nbformat.v4.new_code_cell(
            "import urllib.request\n"
            "from astropy.table import Table\n"
            "stars = Table.read(urllib.request.urlopen(url).read().decode(), format='ascii.csv')\n"
            "print(f\"{len(stars)} stars, mean flux {stars['flux'].mean():.4f}\")"
        ),
        nbformat.v4.new_code_cell(
            "from pathlib import Path\n"
            "Path('results').mkdir(exist_ok=True)\n"
            "stars['double'] = stars['flux'] * 2\n"
            "stars.write('results/summary.csv', format='ascii.csv', overwrite=True)"
        ),
        *(nbformat.v4.new_code_cell(source) for source in extra or []),
    ]
    return notebook


def publish_analysis(lab: Lab, name: str, extra: list[str] | None = None) -> Entry:
    """Serve the stars, run the analysis on them, publish it to the local archive."""
    (lab.served / f"{name}.csv").write_text(STARS)
    folder = lab.home / "analyses" / name
    folder.mkdir(parents=True)
    notebook = folder / "analysis.ipynb"
    nbformat.write(analysis_notebook(f"{lab.files_url}/{name}.csv", extra), notebook)
    run_notebook(lab, notebook, name)
    entry = lab.publisher().publish(
        [str(notebook), str(folder / "results")], metadata(f"Stars {name}"), "local", base=folder
    )
    assert entry.published, entry.error
    return entry


@dataclass
class LabServer:
    """A lab (jupyter-server with the ESAP extension) running as the test's user."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/esap/api/v1/",
            headers={"Authorization": f"token {LAB_TOKEN}"},
            timeout=60,
        )


@pytest.fixture(scope="module")
def lab_server(lab: Lab) -> Iterator[LabServer]:
    """The user's lab on loopback, in its own process group (stopped, children too)."""
    port = free_port()
    log = lab.home.parent / "lab-server.log"
    root = ["--allow-root"] if os.geteuid() == 0 else []
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", *root, "--no-browser", f"--port={port}",
             "--ip=127.0.0.1", f"--IdentityProvider.token={LAB_TOKEN}",
             "--LabApp.expose_app_in_browser=True",
             f"--ServerApp.root_dir={lab.home}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=lab.home,
            env=esap_env(SLEEP="300"),
            start_new_session=True,
        )  # fmt: skip
    server = LabServer(f"http://127.0.0.1:{port}", process, log)
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the lab exited:\n{log.read_text()[-3000:]}")
            try:
                with server.api() as api:
                    if api.get("config").status_code == 200:
                        break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"the lab did not answer:\n{log.read_text()[-3000:]}")
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def follow(api: httpx.Client, job_id: str) -> dict[str, Any]:
    """The job's event stream to its end: its last line (a progress line for each change)."""
    lines = []
    with api.stream("GET", f"jobs/reproduce/{job_id}/events", timeout=300) as answer:
        assert answer.status_code == 200
        for line in answer.iter_lines():
            if line:
                lines.append(json.loads(line))
    assert lines[-1]["type"] == "done"
    # progress lines while it ran: the notebook's run, cell by cell
    assert any(line["progress"]["message"].startswith("run:") for line in lines), lines
    return lines[-1]


def test_a_changed_input_is_reported_with_the_difference_it_makes(
    lab: Lab, lab_server: LabServer
) -> None:
    entry = publish_analysis(lab, "changed")
    # the archive reprocessed the data: one flux is not what the analysis read
    (lab.served / "changed.csv").write_text(STARS.replace("2.25", "2.75"))
    with lab_server.api() as api:
        started = api.post("jobs/reproduce", json={"source": entry.id})
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["kind"] == "reproduce"
        assert job["state"] in ("pending", "running")
        # leave, then come back: the job went on without anyone watching
        time.sleep(1)
        done = follow(api, job["id"])
        again = api.get(f"jobs/reproduce/{job['id']}").json()
    assert done["state"] == again["state"] == "done", done
    result = again["result"]
    assert result["verdict"] == "differs", result
    report = json.loads((lab.home / result["report_json"]).read_text())
    [stars] = report["inputs"]
    assert stars["state"] == "changed"
    assert stars["recorded_sha256"] == hashlib.sha256(STARS.encode()).hexdigest()
    cells = {c["index"]: c for c in report["cells"]}
    mean = cells[2]
    assert mean["state"] == "differ"
    assert "2.2917 became 2.4583" in " ".join(mean["details"])
    [summary] = report["outputs"]
    assert (summary["name"], summary["state"], summary["method"]) == (
        "results/summary.csv",
        "differ",
        "table",
    )
    assert any("column flux" in line and "1 of 3" in line for line in summary["details"])
    assert any("column double" in line for line in summary["details"])
    html = (lab.home / result["report_html"]).read_text()
    assert "changed" in html
    assert "2.2917 became 2.4583" in html


def test_a_gone_input_fails_the_notebook_as_a_named_step(lab: Lab) -> None:
    entry = publish_analysis(lab, "gone")
    (lab.served / "gone.csv").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "esap", "reproduce", entry.id],
        capture_output=True,
        text=True,
        cwd=lab.home,
        env=esap_env(),
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "failed" in done.stdout
    assert "cell [2]" in done.stdout
    store = JobStore()
    try:
        [job] = [j for j in store.list(jobs.KIND) if j.params["source"] == entry.id]
    finally:
        store.close()
    assert job.state == "error"
    assert job.error is not None
    assert job.error["code"] == "notebook_failed"
    report = json.loads((lab.home / job.result["report_json"]).read_text())
    assert report["verdict"] == "failed"
    assert [i["state"] for i in report["inputs"]] == ["gone"]
    states = {s["name"]: s["state"] for s in report["steps"]}
    assert states["run"] == "failed"
    assert states["inputs"] == "warning"
    assert states["compare"] == "done"
    assert states["report"] == "done"
    cells = {c["index"]: c["state"] for c in report["cells"]}
    assert cells[1] == "match"
    assert cells[2] == "differ"  # an HTTP 404 where the stars were printed
    assert cells[3] == "not_run"


def test_a_changed_package_version_is_reported_with_the_difference_it_makes(lab: Lab) -> None:
    entry = publish_analysis(lab, "package", ["import six\nprint('six', six.__version__)"])
    published = json.loads((lab.home / "analyses" / "package" / "analysis.ipynb").read_text())
    locked = "".join(published["cells"][-1]["outputs"][0]["text"])
    result = reproduce(
        entry.id, packages=["six==1.16.0"], publisher=lab.publisher(), progress=False
    )
    report = result.report()
    assert result.verdict == "differs", failing(result)
    [changed] = report["environment"]["changed"]
    assert changed == {
        "name": "six",
        "locked": changed["locked"],
        "used": "1.16.0",
        "why": "asked for",
    }
    assert changed["locked"] in locked
    cells = {c["index"]: c for c in report["cells"]}
    assert [cells[i]["state"] for i in (1, 2, 3)] == ["match", "match", "match"]
    assert cells[4]["state"] == "differ"
    assert "1.16" in " ".join(cells[4]["details"])
    assert report["outputs"][0]["state"] == "match"
    # the report, attached to the author's own record as its new version
    version = result.attach("version", publisher=lab.publisher())
    assert version.published
    assert version.version_of == (entry.record or {})["id"]
    bag = lab.home / "archive" / (version.record or {})["id"]
    assert (bag / "data" / "reproduction" / "report.html").is_file()
    assert (bag / "data" / "analysis.ipynb").read_bytes() == (
        lab.home / "analyses" / "package" / "analysis.ipynb"
    ).read_bytes()


def test_a_reproduction_is_cancelled_with_its_run(lab: Lab, lab_server: LabServer) -> None:
    # published, the notebook did not wait; in the lab below it waits long enough to be cancelled
    entry = publish_analysis(
        lab,
        "slow",
        [
            "import os, time\nopen('kernel.pid', 'w').write(str(os.getpid()))",
            "time.sleep(float(os.environ.get('SLEEP', '0')))",
        ],
    )
    with lab_server.api() as api:
        job = api.post("jobs/reproduce", json={"source": entry.id}).json()
        pid_file = lab.home / "esap-reproductions" / job["id"] / "run" / "kernel.pid"
        for _ in range(1200):
            current = api.get(f"jobs/reproduce/{job['id']}").json()
            if pid_file.is_file() and current["progress"]["message"].startswith("run: cell"):
                break
            assert current["state"] in ("pending", "running"), current
            time.sleep(0.1)
        else:
            raise AssertionError(f"the notebook's kernel never started: {current}")
        run_id = current["result"]["run_job"]
        assert api.delete(f"jobs/reproduce/{job['id']}").status_code == 204
        ended = api.get(f"jobs/reproduce/{job['id']}").json()
        assert ended["state"] == CANCELLED
        for _ in range(300):
            run = api.get(f"jobs/run/{run_id}").json()
            if run["state"] != "running":
                break
            time.sleep(0.1)
    assert run["state"] == CANCELLED, run
    # the notebook's kernel went with the run
    kernel = int(pid_file.read_text())
    for _ in range(600):
        try:
            os.kill(kernel, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the cancelled reproduction's kernel {kernel} is still running")


# ------------------------------------------------------------------ bad input


def reproduce_failing(lab: Lab, source: str, **options: Any) -> tuple[Reproduction, dict[str, Any]]:
    result = reproduce(source, publisher=lab.publisher(), progress=False, **options)
    assert result.error is not None, result
    report = result.report()
    assert report["verdict"] == "failed"
    assert "Traceback" not in json.dumps(report)
    return result, report


def failed_step(report: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in report["steps"] if s["state"] == "failed"]
    return step


def deposit(lab: Lab, files: dict[str, bytes]) -> str:
    """A record made at the Zenodo stand-in by hand (not by ESAP Hub); its DOI."""
    api = httpx.Client(
        base_url=lab.zenodo.api, headers={"Authorization": f"Bearer {lab.zenodo.token}"}
    )
    with api:
        created = api.post(
            "deposit/depositions",
            json={
                "metadata": {
                    "upload_type": "dataset",
                    "title": "Made by hand",
                    "creators": [{"name": "Roe, Richard"}],
                    "description": "Not from ESAP Hub.",
                    "access_right": "open",
                    "license": "cc-by-4.0",
                    "publication_date": "2026-01-01",
                }
            },
        ).json()
        for name, content in files.items():
            api.put(f"{created['links']['bucket']}/{name}", content=content).raise_for_status()
        published = api.post(created["links"]["publish"])
        published.raise_for_status()
        return str(published.json()["doi"])


def test_a_record_not_published_by_esap_hub_says_what_is_missing(lab: Lab) -> None:
    doi = deposit(lab, {"analysis.ipynb": b'{"cells": []}', "data.csv": b"a\n1\n"})
    result, report = reproduce_failing(lab, f"https://doi.org/{doi}")
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("package", "not_published_by_esap")
    assert CRATE_NAME in step["message"]
    assert ENVIRONMENT_NAME in step["message"]
    assert "esap run" in step["fix"]
    # what the user can still do: the files are there, checked
    assert sorted(f["name"] for f in report["files"]) == ["analysis.ipynb", "data.csv"]
    assert {f["state"] for f in report["files"]} == {"verified"}
    assert (result.folder / "record" / "data.csv").read_text() == "a\n1\n"


def test_a_checksum_mismatch_is_named_in_each_archive(published: Lab) -> None:
    name = TUTORIALS[0]
    local = published.entries[(name, "local")]
    bag = published.home / "archive" / local.record["id"] / "data" / name
    original = bag.read_bytes()
    bag.write_bytes(original + b" ")
    try:
        _result, report = reproduce_failing(published, local.id)
    finally:
        bag.write_bytes(original)
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("files", "checksum_mismatch")
    assert name in step["message"]
    [wrong] = [f for f in report["files"] if f["state"] == "mismatch"]
    assert wrong["name"] == name

    remote = published.entries[(name, "zenodo-test")]
    deposition = published.zenodo.state.depositions[int(remote.record["id"])]
    stored = Path(deposition.files[name]["path"])
    original = stored.read_bytes()
    stored.write_bytes(original.replace(b'"cells"', b'"cellz"', 1))
    try:
        result, report = reproduce_failing(published, remote.record["doi"])
    finally:
        stored.write_bytes(original)
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("files", "checksum_mismatch")
    assert (result.folder / "record" / f"{name}.mismatch").is_file()
    assert not (result.folder / "record" / name).exists()


def test_an_archive_that_is_down_and_an_unknown_doi_are_named(published: Lab) -> None:
    remote = published.entries[(TUTORIALS[0], "zenodo-test")]
    published.zenodo.state.faults.arm("record", "error500")
    _result, report = reproduce_failing(published, remote.record["doi"])
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("record", "archive_unavailable")
    assert "zenodo-test" in step["message"]
    assert step["fix"]

    _result, report = reproduce_failing(published, "10.5072/zenodo.999999")
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("record", "record_not_found")
    assert "999999" in step["message"]

    _result, report = reproduce_failing(published, "not a record")
    assert failed_step(report)["code"] == "no_source"


def crafted_record(lab: Lab, lock: str) -> str:
    """An ESAP-like record at the Zenodo stand-in whose lock says ``lock``; its DOI."""
    notebook = analysis_notebook("http://127.0.0.1:1/unused.csv")
    notebook.metadata["esap"] = {}
    notebook.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    text = nbformat.writes(notebook).encode()
    crate = build_crate(
        parse_metadata(metadata("Crafted")),
        [],
        notebook="analysis.ipynb",
        runtime={"kernel": {"name": "python3"}, "python": ".".join(map(str, sys.version_info[:3]))},
    )
    return deposit(
        lab,
        {
            "analysis.ipynb": text,
            ENVIRONMENT_NAME: lock.encode(),
            CRATE_NAME: json.dumps(crate).encode(),
        },
    )


def test_a_lock_that_does_not_resolve_names_each_package(lab: Lab) -> None:
    python = ".".join(map(str, sys.version_info[:3]))
    import six

    lock = (
        f"# Python {python} (cpython) on Linux x86_64; written by esap-hub 0.1.0\n"
        f"six=={six.__version__}\nnosuchpkg-esap-reproduce==1.0\n"
    )
    doi = crafted_record(lab, lock)
    _result, report = reproduce_failing(lab, doi)
    step = failed_step(report)
    assert (step["name"], step["code"]) == ("environment", "lock_unresolvable")
    assert step["details"] == ["nosuchpkg-esap-reproduce==1.0"]
    assert "--nearest" in step["fix"]

    # asked for, the nearest environment (this lab's) runs it, and says what differs
    result = reproduce(doi, nearest=True, publisher=lab.publisher(), progress=False)
    report = result.report()
    assert result.verdict == "reproduced", failing(result)
    environment = report["environment"]
    assert environment["mode"] == "nearest"
    assert environment["unavailable"] == ["nosuchpkg-esap-reproduce==1.0"]
    assert {c["name"] for c in environment["changed"]} == {"nosuchpkg-esap-reproduce"}
    assert {s["name"]: s["state"] for s in report["steps"]}["environment"] == "warning"


# ------------------------------------------------------------------ the comparisons


def test_text_is_compared_exactly_but_numbers_within_the_tolerance() -> None:
    exact = Tolerance()
    assert compare_text("127 rows in 0.5 s", "127 rows in 0.5 s", exact) == ("match", "")
    state, detail = compare_text("mean 0.30000000000000004", "mean 0.3", exact)
    assert state == "within_tolerance"
    assert "largest difference" in detail
    state, detail = compare_text("mean 1.5", "mean 1.6", exact)
    assert state == "differ"
    assert "1.5 became 1.6" in detail
    assert compare_text("mean 1.5", "mean 1.6", Tolerance(rtol=0.1))[0] == "within_tolerance"
    assert compare_text("M31 at 10.68", "M33 at 10.68", Tolerance(rtol=1))[0] == "differ"
    ignoring = Tolerance(ignore=(r"in [0-9.]+ s",))
    assert compare_text("3 rows in 0.5 s", "3 rows in 0.9 s", ignoring)[0] == "match"
    assert compare_text("1 2", "1 2 3", exact)[0] == "differ"


def _png(pixels: Any) -> str:
    import base64

    buffer = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_images_are_compared_by_a_perceptual_difference() -> None:
    gradient = np.tile(np.arange(0, 256, 2), (128, 1))
    assert image_difference(_png(gradient), _png(gradient)) == 0
    # one changed pixel is below any sensible threshold, a changed half is not
    spot = gradient.copy()
    spot[5, 5] = 255 - spot[5, 5]
    assert image_difference(_png(gradient), _png(spot)) < 0.001
    flipped = gradient.copy()
    flipped[:, :64] = 255 - flipped[:, :64]
    assert image_difference(_png(gradient), _png(flipped)) > 0.2


def test_tables_are_compared_by_content(tmp_path: Path) -> None:
    from astropy.table import Table

    first = Table({"name": ["a", "b"], "flux": [1.0, 2.0]})
    first.write(tmp_path / "a.fits")
    first["flux"][1] = 2.0000001
    first.write(tmp_path / "b.fits")
    first["flux"][1] = 3.0
    first.write(tmp_path / "c.fits")
    assert compare_tables(tmp_path / "a.fits", tmp_path / "a.fits", "fits", Tolerance())[0] == (
        "match"
    )
    loose = Tolerance(rtol=1e-6)
    state, _ = compare_tables(tmp_path / "a.fits", tmp_path / "b.fits", "fits", loose)
    assert state == "within_tolerance"
    state, details = compare_tables(tmp_path / "a.fits", tmp_path / "c.fits", "fits", loose)
    assert state == "differ"
    assert "column flux: 1 of 2" in details[0]


def test_a_lock_is_read_with_its_python_and_its_local_packages() -> None:
    lock = parse_lock(
        "# Python 3.11.7 (cpython) on Linux x86_64; written by esap-hub 0.1.0\n"
        "Astropy==8.0.1\nesap-hub==0.1.0  # local, editable\nnot a pin\n"
    )
    assert lock.python == "3.11.7"
    assert lock.pins["astropy"].version == "8.0.1"
    assert not lock.pins["astropy"].local
    assert lock.pins["esap-hub"].local
    assert lock.skipped == ["not a pin"]


def test_the_html_report_escapes_what_the_record_says() -> None:
    hostile = "<script>alert(1)</script>"
    page = render_html(
        {
            "format": "esap-reproduction/1",
            "version": "0",
            "source": hostile,
            "record": {"title": hostile, "archive": "local", "id": "x"},
            "verdict": "differs",
            "summary": hostile,
            "started": "",
            "finished": "",
            "steps": [{"name": "run", "state": "done", "message": hostile, "fix": None,
                       "details": [hostile], "seconds": 1.0}],
            "cells": [{"index": 1, "execution_count": 1, "source": hostile, "state": "differ",
                       "details": [hostile], "recorded": [hostile], "reproduced": [hostile]}],
            "outputs": [{"name": hostile, "state": "differ", "method": "sha256",
                         "details": [hostile]}],
            "inputs": [{"service": hostile, "url": hostile, "query": hostile,
                        "state": "changed", "message": hostile}],
            "environment": None,
            "files": [],
            "tolerances": None,
        }
    )  # fmt: skip
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_record_page_of_a_site_the_hub_does_not_configure_is_read_by_its_api(lab: Lab) -> None:
    from esap.publish.reproduction.source import resolve

    source = resolve("https://zenodo.example/records/123", lab.publisher())
    assert source.record_id == "123"
    assert source.archive == ArchiveSettings(
        name="zenodo.example",
        type="zenodo",
        title="zenodo.example",
        url="https://zenodo.example/api",
    )


def test_an_invenio_rdm_record_is_found_by_its_doi_and_fetched_checked(
    tmp_path: Path, rdm_standin: RunningArchive
) -> None:
    from esap.publish.reproduction.crate import read_package
    from esap.publish.reproduction.fetch import fetch_files
    from esap.publish.reproduction.source import reader, resolve

    settings = ArchiveSettings(name="rdm", type="invenio-rdm", url=rdm_standin.api, title="RDM")
    author = tmp_path / "author"
    author.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(notebook, author / "sum.ipynb")
    publisher = Publisher(author, archives=[settings])
    publisher.tokens.set("rdm", rdm_standin.token)
    entry = publisher.publish([str(author / "sum.ipynb")], metadata("Sum"), "rdm", inputs=[])
    doi = str((entry.record or {})["doi"])
    # a reader of the paper: another home, no journal that knows the record, no token
    reader_home = tmp_path / "reader"
    reader_home.mkdir()
    source = resolve(doi, Publisher(reader_home, archives=[settings]))
    assert (source.archive.name, source.record_id) == ("rdm", (entry.record or {})["id"])
    archive = reader(Publisher(reader_home, archives=[settings]), source.archive)
    try:
        record = archive.published(source.record_id)
        fetched = fetch_files(archive, record, tmp_path / "record")
    finally:
        archive.close()
    assert sorted(f.name for f in fetched) == sorted(["sum.ipynb", ENVIRONMENT_NAME, CRATE_NAME])
    assert {f.state for f in fetched} == {"verified"}
    package = read_package(tmp_path / "record", [f.name for f in fetched], "record")
    assert (package.notebook, package.lock) == ("sum.ipynb", ENVIRONMENT_NAME)


@pytest.mark.browser
def test_a_publication_is_reproduced_from_my_publications(
    lab: Lab, lab_server: LabServer, page: Page
) -> None:
    """In Chromium: My publications → Reproduce → the verdict in the row → Open report."""
    entry = publish_analysis(lab, "browser")
    page.goto(f"{lab_server.url}/lab?token={LAB_TOKEN}")
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    # the command the palette lists as "ESAP: My publications", run once the lab has started
    page.wait_for_function("window.jupyterapp !== undefined")
    page.evaluate(
        "window.jupyterapp.started.then("
        "() => window.jupyterapp.commands.execute('esap:publications'))"
    )
    row = page.locator(f'.esap-Publications-row[data-id="{entry.id}"]')
    expect(row).to_be_visible()
    row.locator(".esap-Reproduction-start").click()
    # the row follows the reproduction (a job on the server) to its verdict
    expect(row.locator(".esap-Reproduction-status")).to_contain_text("reproduced", timeout=120_000)
    row.locator(".esap-Reproduction-report").click()
    tab = page.locator(".lm-TabBar-tab", has_text="report.html")
    expect(tab).to_be_visible()
    frame = page.frame_locator(".jp-HTMLViewer iframe").first
    expect(frame.locator(".verdict")).to_contain_text("reproduced")
