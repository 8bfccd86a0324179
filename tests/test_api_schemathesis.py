"""schemathesis over every operation of openapi.yaml: no server error, the document kept.

Each operation is fuzzed on the hub whose upstreams it needs: data, basket,
SAMP, jobs, config, tutorials and usage on the data hub (the real archive and the
fault server), publishing on the publish hub (the local archive and the
Zenodo stand-in), software on the software hub (the curated catalogue). On
each hub the requests go through the real proxy to a server of their own
user, so the generated baskets, jobs and tokens never meet another test's.

Valid (positive) and invalid (negative) requests are generated, derandomised,
and every answer is checked against the document: no 5xx except a documented
502/504 that reports a remote service's own failure, status codes, content
types, bodies and headers as documented, valid requests accepted and invalid
ones refused. Every mismatch of every operation is gathered, then reported
at once, grouped by kind. Left out, each for a reason written beside it: adding
a service (``POST data/services``), and valid requests to the two operations
that would fetch from generated hosts (``INVALID_ONLY``); valid requests that
name what must exist (a service, a file in the home) are expected to be
refused as the answer says (``REFUSALS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from esap.server.openapi_handlers import openapi_document

pytestmark = [pytest.mark.hub, pytest.mark.dachs]

#: The verbs of the document's operations.
VERBS = ("get", "post", "put", "patch", "delete")
#: The fuzzing user on every hub: its own home, basket and jobs.
USER = "fuzz"
#: Error codes of a remote service's failure (what 502/504 answers carry).
REMOTE_FAILURES = {
    "service_error",
    "timed_out",
    "name_not_resolved",
    "connection_refused",
    "connection_failed",
    "tls_failure",
    "http_status",
    "bad_answer",
}
#: What every answer is checked for, besides "no server error" (done here, see ``REMOTE_FAILURES``).
CHECKS = [
    ignored_auth,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
#: Examples per operation and mode: enough to reach every documented answer, bounded in time.
EXAMPLES = 10
#: Operations that wait on remote services or spawn work get fewer.
SLOW = {
    ("POST", "/data/search"): 3,
    ("POST", "/data/adql"): 3,
    ("POST", "/jobs/query"): 3,
    ("POST", "/jobs/run"): 3,
    ("POST", "/publish/publications"): 3,
    ("POST", "/jobs/publish"): 3,
}

#: Operations sent invalid requests only: a valid one starts work that reaches
#: hosts outside the test (both are run for real in their own tests).
INVALID_ONLY = {
    # a launch clones the generated repository, and git reads "host:path" as an ssh host
    ("POST", "/jobs/launch"),
    # a download fetches the basket's data items, which fuzzing gave random access URLs
    ("POST", "/jobs/download"),
    # a view job fetches the product's URL, which fuzzing makes up
    ("POST", "/jobs/view"),
    # a reproduction reads the record a generated DOI or URL names from its archive
    ("POST", "/jobs/reproduce"),
}

#: Valid requests the server rightly refuses, by operation: (status, what its
#: answer says, why the document cannot rule the request out). Each names
#: something that must exist on the hub or in the home, or a rule across
#: fields that OpenAPI cannot state.
LISTED = "a name must be one the hub lists"
IN_HOME = "paths must name files in the user's home (and not its .esap folder)"
CONTENT = "the metadata's rules (SPDX licences, ORCID checksums, ...) and the files' existence"
VOTABLE = "a string schema cannot say what a VOTable is"
TAKEN = "an item's id is unique in the basket: one the schema allows may be taken"
REFUSALS: dict[str, list[tuple[int, str, str]]] = {
    "POST /data/search": [
        (400, "unknown service", LISTED),
        (400, "min is larger than max", "OpenAPI cannot order two items of an array"),
        (400, "not a date", "a schema can only approximate the ISO 8601 dates astropy reads"),
        (400, '"field": "target"', "a target must be a name the hub's resolver knows"),
        (400, "missing while", "ra and dec go together: a rule across fields (if/then)"),
        (400, "not with all_vo", "all_vo excludes services and params: a rule across fields"),
    ],
    "POST /data/adql": [(400, "unknown service", LISTED)],
    "POST /data/crossmatch": [(400, "unknown service", LISTED)],
    "POST /jobs/query": [(400, "unknown service", LISTED)],
    "GET /software/search": [(400, "no catalogue", LISTED)],
    "GET /data/registry": [
        (400, '"field": "keywords"', "OpenAPI cannot require one of several query parameters")
    ],
    "POST /samp/received": [(400, "not a VOTable", VOTABLE)],
    "POST /basket": [(400, "an item's id is already", TAKEN)],
    "POST /basket/import": [(400, "not a readable VOTable", VOTABLE), (400, "an item's id", TAKEN)],
    "POST /jobs/run": [(400, '"field": "notebook"', IN_HOME)],
    "POST /jobs/cutout": [
        (
            400,
            '"code": "bad_region"',
            "exactly one of radius and box, and low < high in a "
            "range: rules across fields and items that OpenAPI cannot state",
        ),
        (400, '"field": "to"', IN_HOME),
    ],
    "POST /data/cutouts/options": [
        (400, '"code": "bad_item"', "an item must name a product (a service and its DID)"),
        (400, '"code": "no_soda"', "an item must name a product an archive of the hub holds"),
    ],
    **{
        operation: [
            (400, '"field": "path"', IN_HOME),
            (400, "give either path", "OpenAPI cannot require exactly one of two query parameters"),
        ]
        for operation in (
            "GET /view/info",
            "GET /view/limits",
            "GET /view/tile",
            "GET /view/world",
            "GET /view/grid",
            "POST /view/overlay",
            "POST /view/region",
        )
    },
    "POST /jobs/publish": [
        (404, "no publish job", "a publication id must be one the journal holds")
    ],
    "POST /publish/preview": [(422, "invalid_publication", CONTENT), (400, '"files', IN_HOME)],
    "POST /publish/publications": [
        (422, "invalid_publication", CONTENT),
        (400, '"files', IN_HOME),
    ],
}

#: Which hub serves which paths.
HUB_PATHS = {
    "data_hub": "^/(data|basket|samp|jobs|config|openapi|tutorials|usage|view|projects|shares)",
    "publish_hub": "^/publish/",
    "software_hub": "^/software/",
}


@dataclass
class Mismatch:
    """One answer that is not what the document says."""

    operation: str
    kind: str
    title: str
    curl: str


@dataclass
class Fuzzed:
    """A hub's fuzzing user and the document's operations it serves."""

    base: str
    headers: dict[str, str]
    schema: Any
    log_path: Path


def _document(client: httpx.Client) -> dict[str, Any]:
    """The served document, which is exactly the packaged one."""
    served = client.get("openapi.json")
    assert served.status_code == 200
    document: dict[str, Any] = served.json()
    assert document["paths"] == openapi_document()["paths"]
    return document


@pytest.fixture(params=sorted(HUB_PATHS))
def fuzzed(request: pytest.FixtureRequest) -> Iterator[Fuzzed]:
    """The fuzzing user's server on one hub, and the operations that hub serves."""
    hub = request.getfixturevalue(request.param).hub
    hub.start_server(USER)
    try:
        token = hub.token_for(USER)
        with hub.user_api(USER, token) as client:
            document = _document(client)
        schema = schemathesis.openapi.from_dict(document).include(
            path_regex=HUB_PATHS[request.param]
        )
        # The token is sent with every request (not a generated header), and an
        # unknown query parameter is ignored, as HTTP APIs do: OpenAPI cannot
        # forbid one, so a request that only adds one is not invalid.
        schema.config.generation.update(
            allow_extra_parameters=False, with_security_parameters=False
        )
        # Adding a service makes later generated searches query its random URL,
        # a host outside the test (adding and removing are in test_data_api).
        schema = schema.exclude(method="POST", path="/data/services")
        yield Fuzzed(
            f"{hub.url}/user/{USER}/esap/api/v1",
            {"Authorization": f"token {token}"},
            schema,
            hub.log_path,
        )
    finally:
        hub.stop_server(USER)


def _server_error(response: Any) -> str | None:
    """Why a 5xx is a fault, or None when it is a documented remote failure (or no 5xx)."""
    if response.status_code < 500:
        return None
    if response.status_code in (502, 504):
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code in REMOTE_FAILURES:
            return None
    return f"{response.status_code}: {response.text[:300]}"


def _rightly_refused(label: str, failure: BaseException, response: Any) -> bool:
    """Whether ``failure`` is a valid request refused for a reason listed in ``REFUSALS``."""
    if type(failure).__name__ != "RejectedPositiveData":
        return False
    return any(
        response.status_code == status and said in response.text
        for status, said, _why in REFUSALS.get(label, [])
    )


def _fuzz(fuzzed: Fuzzed, operation: Any, mode: GenerationMode, found: list[Mismatch]) -> None:
    """Generate ``operation``'s requests in ``mode`` and gather every mismatch in ``found``."""
    examples = SLOW.get((operation.method.upper(), operation.path), EXAMPLES)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzzed.base, headers=fuzzed.headers, timeout=120)
        curl = case.as_curl_command()
        fault = _server_error(response)
        if fault:
            found.append(Mismatch(operation.label, "ServerError", fault, curl))
        try:
            case.validate_response(response, checks=CHECKS, headers=fuzzed.headers)
        except BaseExceptionGroup as group:
            failures = list(group.exceptions)
        except AssertionError as failure:
            failures = [failure]
        else:
            failures = []
        answer = f"{response.status_code} {response.text[:200]}"
        for failure in failures:
            if _rightly_refused(operation.label, failure, response):
                continue
            title = f"{str(failure)[:300]}\n    answer: {answer}"
            found.append(Mismatch(operation.label, type(failure).__name__, title, curl))

    try:
        check()
    except Unsatisfiable:
        # an operation without parameters or body has no invalid request to send
        assert mode == GenerationMode.NEGATIVE, operation.label


def _report(found: list[Mismatch]) -> str:
    """The mismatches grouped by kind and operation, one example each."""
    first: dict[tuple[str, str], Mismatch] = {}
    counts: dict[tuple[str, str], int] = {}
    for mismatch in found:
        key = (mismatch.kind, mismatch.operation)
        first.setdefault(key, mismatch)
        counts[key] = counts.get(key, 0) + 1
    lines = [f"{len(found)} mismatches, {len(first)} distinct (kind, operation):"]
    for key in sorted(first):
        example = first[key]
        lines.append(f"- {key[0]} x{counts[key]} in {key[1]}: {example.title}\n    {example.curl}")
    return "\n".join(lines)


def test_every_operation_answers_as_documented(fuzzed: Fuzzed) -> None:
    """Every operation this hub serves, valid and invalid requests, every check."""
    operations = [result.ok() for result in fuzzed.schema.get_all_operations()]
    assert operations
    offset = fuzzed.log_path.stat().st_size
    found: list[Mismatch] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode == GenerationMode.POSITIVE and (
                (operation.method.upper(), operation.path) in INVALID_ONLY
            ):
                continue
            _fuzz(fuzzed, operation, mode, found)
    assert not found, _report(found)
    # every refused request is one log line: no traceback unless the server is at fault
    log = fuzzed.log_path.read_bytes()[offset:].decode(errors="replace")
    assert "Traceback" not in log, log[max(0, log.index("Traceback") - 2000) :][:6000]


def test_every_operation_is_fuzzed_on_one_hub() -> None:
    """A new path that no hub's pattern takes would go unfuzzed: name its hub in HUB_PATHS."""
    for path in openapi_document()["paths"]:
        hubs = [hub for hub, pattern in HUB_PATHS.items() if re.search(pattern, path)]
        assert len(hubs) == 1, (path, hubs)


def _concrete(path: str) -> str:
    """``path`` with each parameter replaced by a value its route pattern takes."""
    filled = path.replace("{link_file}", "a" * 16 + ".vot")
    return re.sub(r"\{\w+\}", "0" * 32, filled).lstrip("/")


def test_an_undocumented_verb_is_a_405_naming_the_allowed_ones(data_hub: Any) -> None:
    """Every path, one verb it does not serve: a JSON 405 whose Allow lists the documented verbs."""
    with data_hub.client() as client:
        for path, operations in openapi_document()["paths"].items():
            documented = sorted(verb.upper() for verb in operations if verb in VERBS)
            verb = next(v for v in ("PATCH", "PUT", "DELETE", "POST") if v not in documented)
            response = client.request(verb, _concrete(path))
            assert response.status_code == 405, (verb, path, response.text[:200])
            assert sorted(response.headers["Allow"].split(", ")) == documented, path
            assert response.json()["error"]["fix"] == (
                "use one of the methods the Allow header lists"
            )


@pytest.mark.parametrize(
    ("verb", "path"),
    [
        ("GET", "no/such/path"),
        ("POST", "data"),
        ("GET", "basket/items/not%20an%20id"),
        ("DELETE", "publish/publications/not-hex"),
        ("GET", "samp/tables/short.vot"),
    ],
)
def test_a_path_no_route_takes_is_a_json_404(data_hub: Any, verb: str, path: str) -> None:
    """Under the API prefix, a path that misses every route is the API's 404, not Jupyter's page."""
    with data_hub.client() as client:
        response = client.request(verb, path)
    assert response.status_code == 404, response.text[:200]
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert path.split("/")[0] in error["message"]
    assert "openapi.json" in error["fix"]


def test_items_sharing_an_id_are_a_400_and_add_nothing(data_hub: Any) -> None:
    """Found by fuzzing: two items sent with one id were a 500 (the store's unique id)."""
    items = [
        {"kind": "service", "service": "twin-a", "id": "twin"},
        {"kind": "service", "service": "twin-b", "id": "twin"},
    ]
    with data_hub.client() as client:
        before = client.get("basket").json()["total"]
        added = client.post("basket", json={"items": items})
        imported = client.post(
            "basket/import?name=twins.json", json={"format": "esap-basket", "items": items}
        )
        after = client.get("basket").json()["total"]
    assert added.status_code == 400, added.text
    assert added.json()["error"]["field"] == "items"
    assert added.json()["error"]["message"].startswith("an item's id is already")
    assert imported.status_code == 400, imported.text
    assert imported.json()["error"]["field"] == "body"
    assert imported.json()["error"]["message"].startswith("twins.json: an item's id")
    assert after == before


def test_a_size_past_what_the_basket_stores_is_a_400(data_hub: Any) -> None:
    """Found by fuzzing: a data item's size past 2**63 - 1 was a 500 (SQLite's integer)."""
    items = [
        {"kind": "service", "service": "small"},
        {"kind": "data", "service": "huge", "access_url": "https://x.example/f", "size": 2**63},
    ]
    with data_hub.client() as client:
        before = client.get("basket").json()["total"]
        added = client.post("basket", json={"items": items})
        imported = client.post("basket/import?name=huge.json", json=items)
        after = client.get("basket").json()["total"]
    assert added.status_code == 400, added.text
    assert added.json()["error"]["field"] == "items[1].size"
    assert added.json()["error"]["message"].startswith("larger than")
    assert imported.status_code == 400, imported.text
    assert imported.json()["error"]["field"] == "body"
    assert imported.json()["error"]["message"].startswith("huge.json: an item's size is larger")
    assert after == before
