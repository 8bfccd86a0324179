"""The publish REST API through a real hub and a real user server."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import bagit
import httpx
import pytest
from standins.fixtures import PublishHub

pytestmark = pytest.mark.hub

METADATA = {
    "title": "Crab nebula spectra",
    "creators": [{"name": "Doe, Jane", "affiliation": "CTAO", "orcid": "0000-0002-1825-0097"}],
    "description": "Spectra from a notebook.",
    "license": "CC-BY-4.0",
}


@pytest.fixture(scope="module")
def api(publish_hub: PublishHub) -> httpx.Client:
    home = publish_hub.home
    (home / "spectra").mkdir(parents=True, exist_ok=True)
    (home / "spectra" / "crab.csv").write_text("energy,flux\n1,2\n")
    (home / "analysis.ipynb").write_text('{"cells": [], "metadata": {}}')
    return publish_hub.hub.user_api(publish_hub.user, publish_hub.token)


def _wait(api: httpx.Client, publication: str) -> dict[str, Any]:
    for _ in range(600):
        body = api.get(f"publish/publications/{publication}").json()
        if not body["running"] and (body["published"] or body["error"]):
            return body
        time.sleep(0.1)
    raise AssertionError(f"publication {publication} still running: {body}")


def test_validate_names_each_field_and_why(api: httpx.Client) -> None:
    bad = {
        "title": "",
        "creators": [{"name": "Doe, Jane", "orcid": "0000-0002-1825-0098"}],
        "description": "x",
        "license": "GPL-9",
    }
    answer = api.post("publish/validate", json={"metadata": bad})
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is False
    fields = {p["field"]: p["message"] for p in body["problems"]}
    assert set(fields) == {"title", "creators[0].orcid", "license"}
    assert "check digit" in fields["creators[0].orcid"]
    assert all(p["fix"] for p in body["problems"]), body
    ok = api.post("publish/validate", json={"metadata": METADATA}).json()
    assert ok == {"valid": True, "problems": []}


@pytest.mark.parametrize("path", ["/etc/passwd", "../other", "spectra/../../x"])
def test_paths_outside_the_home_are_refused_before_upload(api: httpx.Client, path: str) -> None:
    answer = api.post(
        "publish/publications", json={"files": [path], "metadata": METADATA, "archive": "local"}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_publication"
    assert error["problems"][0]["field"] == "files"
    assert path in error["problems"][0]["message"]
    # the first problem is the error's own field, message and fix
    assert {key: error[key] for key in ("field", "message", "fix")} == error["problems"][0]


def test_preview_lists_the_package_and_its_crate(api: httpx.Client) -> None:
    answer = api.post(
        "publish/preview",
        json={"files": ["analysis.ipynb", "spectra"], "metadata": METADATA, "archive": "local"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [f["name"] for f in body["files"]] == ["analysis.ipynb", "spectra/crab.csv"]
    assert body["package"][-2:] == ["environment.lock.txt", "ro-crate-metadata.json"]
    ids = {item["@id"] for item in body["crate"]["@graph"]}
    assert {"analysis.ipynb", "spectra/crab.csv", "#analysis"} <= ids
    assert body["needs_token"] is False


def test_publish_to_the_local_archive_as_a_job(api: httpx.Client, publish_hub: PublishHub) -> None:
    answer = api.post(
        "publish/publications",
        json={"files": ["analysis.ipynb", "spectra"], "metadata": METADATA, "archive": "local"},
    )
    assert answer.status_code == 202, answer.text
    started = answer.json()
    done = _wait(api, started["id"])
    assert done["published"] is True, done
    bag_dir = Path(done["record"]["url"].removeprefix("file://"))
    assert bag_dir.parent == publish_hub.archive_dir
    bagit.Bag(str(bag_dir)).validate(fast=False)
    listed = api.get("publish/publications").json()["publications"]
    assert started["id"] in [p["id"] for p in listed]
    # the same request again is the same publication, not a second record
    again = api.post(
        "publish/publications",
        json={"files": ["analysis.ipynb", "spectra"], "metadata": METADATA, "archive": "local"},
    )
    assert again.status_code == 200
    assert again.json()["id"] == started["id"]
    # its run is a job of kind publish; running it again is refused: it is published
    run = api.get(f"jobs/publish/{started['id']}").json()
    assert (run["state"], run["params"]) == ("done", {"publication": started["id"]})
    retried = api.post("jobs/publish", json={"publication": started["id"]})
    assert retried.status_code == 409, retried.text
    assert "published already" in retried.json()["error"]["message"]
    unknown = api.post("jobs/publish", json={"publication": "0" * 32})
    assert unknown.status_code == 404


def test_zenodo_token_is_write_only_and_publishing_streams_progress(
    api: httpx.Client, publish_hub: PublishHub
) -> None:
    request = {"files": ["spectra/crab.csv"], "metadata": METADATA, "archive": "zenodo-test"}
    # start from "no token stored", whatever ran before on the session's hub
    api.delete("publish/tokens/zenodo-test").raise_for_status()
    tokens = api.get("publish/tokens").json()["archives"]
    assert {"archive": "zenodo-test", "needs_token": True, "has_token": False} in tokens
    refused = api.post("publish/publications", json=request)
    assert refused.status_code == 422
    assert refused.json()["error"]["field"] == "token"
    assert refused.json()["error"]["problems"][0]["field"] == "token"

    secret = "pia-" + publish_hub.zenodo.token[:8]
    publish_hub.zenodo.state.tokens[secret] = "pia"
    stored = api.put("publish/tokens/zenodo-test", json={"token": secret})
    assert stored.status_code == 204
    assert stored.content == b""
    token_file = publish_hub.home / ".esap" / "archive-tokens.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert {"archive": "zenodo-test", "needs_token": True, "has_token": True} in api.get(
        "publish/tokens"
    ).json()["archives"]

    started = api.post("publish/publications", json=request)
    assert started.status_code == 202, started.text
    events = []
    with api.stream("GET", f"jobs/publish/{started.json()['id']}/events") as stream:
        for line in stream.iter_lines():
            if line:
                events.append(json.loads(line))
    assert events[-1]["type"] == "done"
    assert {event["type"] for event in events[:-1]} <= {"progress"}
    final = events[-1]
    assert (final["kind"], final["id"], final["state"]) == ("publish", started.json()["id"], "done")
    assert final["result"]["published"] is True, final
    assert final["result"]["record"]["doi"].startswith("10.5072/zenodo.")
    everything = json.dumps(events) + api.get("publish/publications").text
    assert secret not in everything
    hub_log = publish_hub.hub.log_path.read_text(errors="replace")
    assert secret not in hub_log


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"files": [".esap"]}, "files", "where ESAP keeps your state"),
        ({"files": [".esap/archive-tokens.json"]}, "files", "where ESAP keeps your state"),
        ({"files": ["spectra/\u0000.csv"]}, "files", "control character"),
        ({"files": ["x" * 300]}, "files", "longer than 255 bytes"),
        (
            {"files": ["analysis.ipynb"], "version_of": "../../outside/fakebag"},
            "version_of",
            "is not an id",
        ),
        ({"files": ["analysis.ipynb"], "version_of": "a/b"}, "version_of", "is not an id"),
    ],
    ids=["state-folder", "token-file", "nul", "long-name", "version-traversal", "version-slash"],
)
def test_attacks_on_publishing_are_refused_by_field(
    api: httpx.Client, publish_hub: PublishHub, body: dict[str, Any], field: str, words: str
) -> None:
    (publish_hub.home / ".esap").mkdir(exist_ok=True)
    request = {"metadata": METADATA, "archive": "local", **body}
    # a preview takes no version_of; every other attack is refused by both
    routes = ["publish/publications"] + ([] if "version_of" in body else ["publish/preview"])
    for route in routes:
        answer = api.post(route, json=request)
        assert answer.status_code == 422, (route, answer.text)
        problems = answer.json()["error"]["problems"]
        assert problems[0]["field"] == field, (route, problems)
        assert words in problems[0]["message"], (route, problems)
