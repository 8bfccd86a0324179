"""The software REST API through the real hub: catalogues, search, details, Open in my lab."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

import httpx

from harness.software_hub import BINDERHUB, SoftwareHub


def wait_for(api: httpx.Client, job_id: str, rounds: int = 1200) -> dict[str, Any]:
    """Poll a launch until it has ended (a count of polls, not a wall-clock limit)."""
    for _ in range(rounds):
        job: dict[str, Any] = api.get(f"jobs/launch/{job_id}").raise_for_status().json()
        if job["state"] not in ("pending", "running"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"launch {job_id} still running: {job}")


def test_catalogues_search_and_details(software_hub: SoftwareHub) -> None:
    with software_hub.client() as api:
        listed = api.get("software/catalogues").raise_for_status().json()["catalogues"]
        assert [(c["name"], c["binderhub"]) for c in listed] == [
            ("curated", True),
            ("down", False),
        ]

        found = api.get("software/search", params={"q": "gamma-ray"}).raise_for_status().json()
        assert [h["name"] for h in found["hits"]] == ["gammapy"]
        assert set(found["errors"]) == {"down"}
        assert "127.0.0.1:9" in found["errors"]["down"]
        gammapy = found["hits"][0]
        assert gammapy["binder_url"] == f"{BINDERHUB}/v2/gh/gammapy/gammapy/v1.0.1?urlpath=lab"
        assert "codemeta" not in gammapy
        assert gammapy["basket_item"]["kind"] == "software"

        python_mit = api.get(
            "software/search",
            params={"language": "python", "license": "mit", "catalogues": "curated"},
        ).raise_for_status()
        assert [h["identifier"] for h in python_mit.json()["hits"]] == ["esap-demo"]
        assert python_mit.json()["errors"] == {}
        linux = api.get("software/search", params={"runtime": "linux", "catalogues": "curated"})
        assert sorted(h["name"] for h in linux.json()["hits"]) == ["esap-demo", "gammapy"]

        unknown = api.get("software/search", params={"catalogues": "curated,nope"})
        assert unknown.status_code == 400
        assert unknown.json()["error"]["field"] == "catalogues"
        assert "'nope'" in unknown.json()["error"]["message"]

        details = api.get("software/records/curated/esap-demo").raise_for_status().json()
        assert details["authors"] == ["Ada Demo"]
        assert details["licence"] == "MIT"
        assert details["runtimes"] == ["Python 3", "Linux"]
        assert details["publications"] == ["https://doi.org/10.0000/esap-demo"]
        assert details["repository"] == software_hub.repository
        assert details["codemeta"]["name"] == "esap-demo"

        missing = api.get(f"software/records/curated/{quote('no/such', safe='')}")
        assert missing.status_code == 404
        assert "no software 'no/such'" in missing.json()["error"]["message"]
        assert missing.json()["error"]["code"] == "not_found"
        nowhere = api.get("software/records/nowhere/x")
        assert nowhere.status_code == 404
        assert "no software catalogue 'nowhere'" in nowhere.json()["error"]["message"]


def test_open_in_my_lab_builds_a_kernel_and_survives_a_restart(
    software_hub: SoftwareHub,
) -> None:
    with software_hub.client() as api:
        bad = api.post("jobs/launch", json={"ref": "main"})
        assert bad.status_code == 400
        assert bad.json()["error"]["field"] == "repository"

        started = api.post(
            "jobs/launch", json={"repository": software_hub.repository, "ref": "main"}
        )
        assert started.status_code == 202, started.text
        job = wait_for(api, started.json()["id"])
        assert job["state"] == "done", json.dumps(job, indent=1)
        assert [s["state"] for s in job["result"]["steps"]] == ["done"] * 5
        assert job["progress"]["done"] == job["progress"]["total"] == 5
        assert job["result"]["kernel"] == "esap-esap-demo"
        assert job["result"]["notebook"] == "software/esap-demo/demo.ipynb"
        assert (software_hub.home / job["result"]["notebook"]).is_file()

        kernels = api.get(
            f"{software_hub.hub.url}/user/{software_hub.user}/api/kernelspecs"
        ).raise_for_status()
        assert "esap-esap-demo" in kernels.json()["kernelspecs"]

        outside = api.post("jobs/launch", json={"repository": "file:///nowhere/at/all"})
        assert outside.status_code == 400, outside.text
        assert "repository outside your home" in outside.json()["error"]["message"]
        missing = software_hub.repository.rsplit("/", 1)[0] + "/nowhere-at-all"
        broken = api.post("jobs/launch", json={"repository": missing})
        failed = wait_for(api, broken.raise_for_status().json()["id"])
        assert failed["state"] == "error"
        assert failed["result"]["failed"] == "pull"
        assert "not a git repository" in failed["error"]["message"]
        assert not (software_hub.home / "software" / "nowhere-at-all").exists()

    software_hub.hub.stop_server(software_hub.user)
    software_hub.hub.start_server(software_hub.user)
    with software_hub.client() as api:
        again = api.get(f"jobs/launch/{job['id']}").raise_for_status().json()
        assert again["state"] == "done"
        assert again["result"]["kernel"] == "esap-esap-demo"
        listed = api.get("jobs/launch").raise_for_status().json()["jobs"]
        assert [j["id"] for j in listed][:2] == [failed["id"], job["id"]]
