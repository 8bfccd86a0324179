"""Request bodies are decoded in one place: bad bytes or bad JSON are a 400 that says so.

Every operation of ``openapi.yaml`` that takes a body is sent bytes that are
not UTF-8 and text that is not JSON, on a real user server. None may answer
5xx, and the server's log gets one line per refused request, not a
traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.hub import RunningHub

pytestmark = pytest.mark.hub

OPENAPI = Path(__file__).parents[1] / "extensions" / "esap" / "server" / "openapi.yaml"

#: Values for path parameters: they name nothing, which a handler may refuse (404) before
#: it reads the body; what it may never do is answer 5xx.
_PARAMS = {
    "job_id": "0" * 32,
    "item_id": "0" * 32,
    "publication": "0" * 32,
}


def _operations() -> list[tuple[str, str, bool]]:
    """(method, path with parameters filled, whether the path has parameters) taking JSON."""
    document = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if method in {"post", "put", "patch"} and "application/json" in content:
                filled = re.sub(
                    r"\{(\w+)\}", lambda m: _PARAMS.get(m.group(1), "nosuch"), path.lstrip("/")
                )
                found.append((method.upper(), filled, "{" in path))
    return found


OPERATIONS = _operations()


def _log_since(hub: RunningHub, offset: int) -> str:
    return hub.log_path.read_bytes()[offset:].decode(errors="replace")


def test_the_document_has_operations_with_bodies() -> None:
    assert len(OPERATIONS) >= 15, OPERATIONS


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"items": [\xff\xfe]}', "UTF-8"),
        (b'{"items": [', "JSON"),
    ],
    ids=["not-utf8", "not-json"],
)
def test_a_body_that_cannot_be_read_is_a_400_never_a_500(
    hub: RunningHub, alice: str, body: bytes, message: str
) -> None:
    offset = hub.log_path.stat().st_size
    answers: dict[str, Any] = {}
    with hub.user_api("alice", alice) as api:
        for method, path, has_params in OPERATIONS:
            response = api.request(
                method, path, content=body, headers={"Content-Type": "application/json"}
            )
            answers[f"{method} {path}"] = response.status_code
            assert response.status_code < 500, (method, path, response.text)
            error = response.json()["error"]
            assert error["fix"], (method, path, error)
            if not has_params:
                assert response.status_code == 400, (method, path, response.text)
                assert error["field"] == "body", (method, path, error)
                assert message in error["message"], (method, path, error)
    refused = [key for key, status in answers.items() if status == 400]
    assert len(refused) >= 15, answers
    log = _log_since(hub, offset)
    assert "Traceback" not in log, log[-4000:]
    assert "Uncaught exception" not in log, log[-4000:]


def test_a_body_of_the_wrong_json_type_names_it(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        response = api.post("basket", json=[1, 2])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "body"
    assert error["message"] == "a JSON array, not an object"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("data/results/nosuch?offset=9223372036854775808", "offset"),
        ("data/results/nosuch?offset=-1", "offset"),
        ("data/results/nosuch?limit=1e3", "limit"),
        ("basket?offset=99999999999999999999999", "offset"),
        ("basket?limit=x", "limit"),
    ],
)
def test_a_number_out_of_range_is_a_400_naming_it(
    hub: RunningHub, alice: str, path: str, name: str
) -> None:
    with hub.user_api("alice", alice) as api:
        response = api.get(path)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == name, error
    assert not error["message"].startswith(f"{name}: "), error  # the field is not repeated
