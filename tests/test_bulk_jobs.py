"""Headless notebook runs: through the user's REST API on the real hub, and ``esap run``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from harness.dask_hub import DaskHub

pytestmark = pytest.mark.hub

USER = "grace"


def write_notebook(path: Path, *cells: str, parameters: str = "") -> None:
    """A notebook with a ``parameters`` cell (papermill's convention) and ``cells``."""
    notebook = nbformat.v4.new_notebook()
    tagged = nbformat.v4.new_code_cell(parameters)
    tagged.metadata["tags"] = ["parameters"]
    notebook.cells = [tagged, *(nbformat.v4.new_code_cell(source) for source in cells)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def outputs(notebook: Path) -> str:
    """Every stream output of an executed notebook, joined."""
    executed = nbformat.read(notebook, as_version=4)
    return "".join(
        output.get("text", "")
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def wait_finished(dask_hub: DaskHub, token: str, job_id: str, timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    with dask_hub.hub.user_api(USER, token) as api:
        while time.monotonic() < deadline:
            job = api.get(f"jobs/run/{job_id}").json()
            if job["state"] in ("done", "error", "cancelled"):
                return job
            time.sleep(0.5)
    raise TimeoutError(f"job {job_id} still {job['state']} after {timeout}s")


@pytest.fixture(scope="module")
def grace(dask_hub: DaskHub) -> tuple[str, Path]:
    """grace's token and home, her server running."""
    dask_hub.hub.start_server(USER)
    dask_hub.started.add(USER)
    return dask_hub.hub.token_for(USER), dask_hub.hub.data_dir / "homes" / USER


def test_a_run_with_parameters_outlives_its_server(
    dask_hub: DaskHub, grace: tuple[str, Path]
) -> None:
    token, home = grace
    write_notebook(
        home / "analysis" / "reduce.ipynb",
        "import time\ntime.sleep(pause)",
        "result = threshold * 2\nprint('result', result, label)\n"
        "open('result.txt', 'w').write(str(result))",
        parameters="threshold = 1\nlabel = 'default'\npause = 0",
    )
    with dask_hub.hub.user_api(USER, token) as api:
        started = api.post(
            "jobs/run",
            json={
                "notebook": "analysis/reduce.ipynb",
                "parameters": {"threshold": 21, "label": "abc", "pause": 3},
            },
        )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("pending", "running")
    assert job["params"]["notebook"] == "analysis/reduce.ipynb"
    # the lab goes away while the run goes on; the record is there when it comes back
    dask_hub.hub.stop_server(USER)
    dask_hub.hub.start_server(USER)
    done = wait_finished(dask_hub, token, job["id"])
    assert done["state"] == "done", done
    assert done["result"]["executed_notebook"] == f"analysis/reduce-runs/{job['id']}/reduce.ipynb"
    executed = home / done["result"]["executed_notebook"]
    assert "result 42 abc" in outputs(executed)
    injected = [
        cell.source
        for cell in nbformat.read(executed, as_version=4).cells
        if "injected-parameters" in cell.metadata.get("tags", [])
    ]
    assert injected
    assert "threshold = 21" in injected[0]
    assert (home / "analysis" / "result.txt").read_text() == "42"
    assert json.loads((executed.parent / "parameters.json").read_text())["label"] == "abc"
    assert "result 42 abc" in (home / done["result"]["log"]).read_text()
    with dask_hub.hub.user_api(USER, token) as api:
        listed = api.get("jobs/run").json()["jobs"]
    assert job["id"] in [entry["id"] for entry in listed]


def test_a_failing_cell_fails_the_job_with_its_error(
    dask_hub: DaskHub, grace: tuple[str, Path]
) -> None:
    token, home = grace
    write_notebook(
        home / "broken.ipynb",
        "print('before')",
        "raise ValueError(f'bad input {n}')",
        "print('never')",
        parameters="n = 0",
    )
    with dask_hub.hub.user_api(USER, token) as api:
        job = api.post("jobs/run", json={"notebook": "broken.ipynb", "parameters": {"n": 7}}).json()
    done = wait_finished(dask_hub, token, job["id"])
    assert done["state"] == "error"
    assert done["error"]["code"] == "cell_failed"
    assert done["error"]["message"] == "ValueError: bad input 7"
    failed = done["result"]["cell"]
    assert (failed["ename"], failed["evalue"]) == ("ValueError", "bad input 7")
    assert failed["cell"] == 4  # parameters, injected parameters, print, raise
    assert "cell [4]" in done["error"]["fix"]
    text = outputs(home / done["result"]["executed_notebook"])
    assert "before" in text
    assert "never" not in text


def test_bad_requests_name_the_field(dask_hub: DaskHub, grace: tuple[str, Path]) -> None:
    token, home = grace
    (home / "notes.txt").write_text("not a notebook")
    with dask_hub.hub.user_api(USER, token) as api:
        outside = api.post("jobs/run", json={"notebook": "../../secrets/x.ipynb"})
        missing = api.post("jobs/run", json={"notebook": "nowhere.ipynb"})
        not_notebook = api.post("jobs/run", json={"notebook": "notes.txt"})
        bad_name = api.post(
            "jobs/run", json={"notebook": "broken.ipynb", "parameters": {"not a name": 1}}
        )
        unknown = api.get("jobs/run/20000101T000000-000000")
        nul = api.post("jobs/run", json={"notebook": "a\u0000.ipynb"})
        state = api.post("jobs/run", json={"notebook": ".esap/x.ipynb"})
    assert outside.status_code == 400
    assert "outside your home" in outside.json()["error"]["message"]
    for refused, words in ((nul, "control character"), (state, "inside .esap")):
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["field"] == "notebook"
        assert words in refused.json()["error"]["message"]
    assert missing.status_code == 400
    assert "nowhere.ipynb" in missing.json()["error"]["message"]
    assert not_notebook.status_code == 400
    assert ".ipynb" in not_notebook.json()["error"]["message"]
    assert bad_name.status_code == 400
    assert bad_name.json()["error"]["field"] == "parameters"
    assert unknown.status_code == 404


def test_esap_run_on_the_command_line(tmp_path: Path) -> None:
    notebook = tmp_path / "fit.ipynb"
    write_notebook(
        notebook,
        "print('fit', type(order).__name__, order + 1, flag)",
        parameters="order = 1\nflag = False",
    )
    env = {**os.environ, "ESAP_STATE_DIR": str(tmp_path / "state")}
    run = subprocess.run(
        [sys.executable, "-m", "esap", "run", str(notebook), "-p", "order=5", "-p", "flag=true"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert re.search(r"^job \S+: done$", run.stdout, re.MULTILINE), run.stdout
    executed = next((tmp_path / "fit-runs").glob("*/fit.ipynb"))
    assert "fit int 6 True" in outputs(executed)
    listed = subprocess.run(
        [sys.executable, "-m", "esap", "run", "--list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert [job["state"] for job in json.loads(listed.stdout)] == ["done"]
    bad = subprocess.run(
        [sys.executable, "-m", "esap", "run", str(notebook), "-p", "order"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2
    assert "name=value" in bad.stderr


def test_a_running_job_is_cancelled_with_its_kernel(
    dask_hub: DaskHub, grace: tuple[str, Path]
) -> None:
    token, home = grace
    write_notebook(
        home / "long.ipynb",
        "import os\nopen('long.pid', 'w').write(str(os.getpid()))",
        "import time\ntime.sleep(600)",
    )
    with dask_hub.hub.user_api(USER, token) as api:
        job = api.post("jobs/run", json={"notebook": "long.ipynb"}).json()
        deadline = time.monotonic() + 120
        while (
            not (home / "long.pid").exists()
            or api.get(f"jobs/run/{job['id']}").json()["state"] != "running"
        ):
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.3)
        kernel_pid = int((home / "long.pid").read_text())
        assert api.delete(f"jobs/run/{job['id']}").status_code == 204
        assert api.get(f"jobs/run/{job['id']}").json()["state"] == "cancelled"
    # the notebook's kernel goes with the run
    deadline = time.monotonic() + 60
    while True:
        try:
            os.kill(kernel_pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the cancelled run's kernel is still running"
        time.sleep(0.3)
