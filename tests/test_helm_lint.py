"""Helm's own lint on ``helm/esap-hub``, with the values ``esap helm values esap.yaml`` writes.

Helm runs as a library (helm-python-sdk). The chart's dependencies, the
zero-to-jupyterhub and dask-gateway charts, come from chart repositories that
cannot be reached here, so:

- the chart as shipped is linted, and Helm's only finding above "info" must
  be that those two dependencies are missing from ``charts/``;
- a copy of the chart without its ``dependencies:`` is linted strictly
  (warnings count as errors): Chart.yaml, values.yaml, values.schema.json
  against the generated values, and every template rendered with them.

Not linted here: the upstream charts' templates and their own values
schemas applied by Helm (``test_helm_chart.py`` validates the values ESAP
writes for them against those schemas with jsonschema instead).
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "helm" / "esap-hub"
KUBE_VERSION = "v1.30.0"
INFO = 1


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    """What `esap helm values esap.yaml` writes for the repository's own esap.yaml."""
    result = subprocess.run(
        [sys.executable, "-m", "esap", "helm", "values", str(REPO / "esap.yaml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


@pytest.fixture(scope="module")
def chart_without_dependencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The chart as shipped, minus the dependencies no repository can supply here."""
    copy_dir = tmp_path_factory.mktemp("lint") / CHART.name
    shutil.copytree(CHART, copy_dir, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    meta = yaml.safe_load((copy_dir / "Chart.yaml").read_text())
    assert meta.pop("dependencies"), "Chart.yaml declares the upstream charts"
    (copy_dir / "Chart.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
    return copy_dir


def lint(chart: Path, values: dict[str, Any]) -> dict[str, Any]:
    return dict(helm.lint(chart, values, strict=True, namespace="esap", kube_version=KUBE_VERSION))


def findings(report: dict[str, Any]) -> list[str]:
    """Everything above info, as ``path: message``."""
    return [f"{m['path']}: {m['error']}" for m in report["messages"] if m["severity"] > INFO]


def test_the_shipped_chart_lacks_only_the_upstream_charts(values: dict[str, Any]) -> None:
    report = lint(CHART, values)
    assert report["total_charts_linted"] == 1
    found = findings(report)
    assert len(found) == 1, found
    assert "missing these dependencies: jupyterhub,dask-gateway" in found[0]


def test_the_chart_lints_clean_with_the_generated_values(
    chart_without_dependencies: Path, values: dict[str, Any]
) -> None:
    report = lint(chart_without_dependencies, values)
    assert findings(report) == []
    assert report["errors"] == []


def test_lint_reports_values_the_chart_schema_refuses(
    chart_without_dependencies: Path, values: dict[str, Any]
) -> None:
    """The clean result above can fail: a broken config in the values is an error."""
    broken = copy.deepcopy(values)
    broken["esap"]["config"]["profiles"] = [{"name": "standard", "memory": "lots"}]
    found = findings(lint(chart_without_dependencies, broken))
    assert any("/esap/config/profiles/0/memory" in message for message in found), found


def test_the_chart_lints_clean_with_its_example_and_the_probe_alerts(
    chart_without_dependencies: Path,
) -> None:
    """examples/esap.yaml through `esap helm values`, then examples/values.yaml (the alerts)."""
    examples = CHART / "examples"
    result = subprocess.run(
        [sys.executable, "-m", "esap", "helm", "values", str(examples / "esap.yaml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    values = yaml.safe_load(result.stdout)
    values["esap"].update(yaml.safe_load((examples / "values.yaml").read_text())["esap"])
    assert values["esap"]["alerts"]["enabled"] is True
    report = lint(chart_without_dependencies, values)
    assert findings(report) == []
