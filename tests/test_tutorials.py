"""Every shipped tutorial runs from top to bottom against the local services.

The tutorials are copied into a fresh home exactly as the lab's Tutorials
entry copies them, then executed (papermill, on nbclient) with the hub's
config pointing at the DaCHS archive, the Dask Gateway (through the
environment a user server gets) and the local archive on this machine:
a tutorial that breaks fails here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import papermill
import pytest
import yaml

from esap.tutorials import HOME_FOLDER, copy_tutorials, shipped_dir, shipped_files
from harness.dachs import DachsService

pytestmark = pytest.mark.dachs

NOTEBOOKS = sorted(path.name for path in shipped_files(shipped_dir()) if path.suffix == ".ipynb")


def test_every_capability_has_a_tutorial() -> None:
    topics = ("discover-data", "basket-and-analyse", "scale-out-on-dask", "publish")
    for topic in topics:
        assert any(topic in name for name in NOTEBOOKS), f"no tutorial for {topic}"


@pytest.fixture(scope="module")
def tutorial_home(
    tmp_path_factory: pytest.TempPathFactory, dachs: DachsService
) -> tuple[Path, Path]:
    """A home with the tutorials copied in, and an esap.yaml for the local services."""
    home = tmp_path_factory.mktemp("home")
    config: dict[str, Any] = {
        "data_services": [
            {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
            {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
        ],
        "resolver": {"type": "table", "targets": {"M31": [10.6847, 41.269]}},
        "archives": [{"name": "local", "type": "local", "path": str(home / "archive")}],
    }
    config_path = home / "esap.yaml"
    config_path.write_text(yaml.safe_dump(config))
    report = copy_tutorials(home)
    assert sorted(Path(name).name for name in report.copied if name.endswith(".ipynb")) == (
        NOTEBOOKS
    )
    return home, config_path


def use_the_gateway(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment a user server of a hub with Dask Gateway gives its kernels."""
    from esap.config import load
    from esap.hub.gateway import user_environment

    dask_hub = request.getfixturevalue("dask_hub")
    for name, value in user_environment(load(dask_hub.hub.config_path)).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", dask_hub.hub.token_for("tutor"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_tutorial_runs(
    notebook: str,
    tutorial_home: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    home, config_path = tutorial_home
    if "dask" in notebook:
        use_the_gateway(request, monkeypatch)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ESAP_CONFIG", str(config_path))
    monkeypatch.delenv("ESAP_PUBLIC_CONFIG", raising=False)
    folder = home / HOME_FOLDER
    executed = papermill.execute_notebook(
        str(folder / notebook),
        str(folder / f"executed-{notebook}"),
        kernel_name="python3",
        cwd=str(folder),
        progress_bar=False,
        execution_timeout=300,
    )
    errors = [
        output
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors
