"""A Panoptes (Zooniverse) API stand-in, written from the public API document.

Panoptes is a Rails application with its own PostgreSQL, Redis, Sidekiq and
blob storage; it cannot run on a test machine, so the ``zooniverse`` data
service is tested against this stand-in of the parts it uses
(https://zooniverse.github.io/panoptes/):

* JSON-API answers (``application/vnd.api+json``); a request to ``/api``
  whose ``Accept`` is not ``application/vnd.api+json; version=1`` is
  answered 406, as Panoptes does;
* ``GET /api/projects`` (``search=`` full text over name and description,
  ``page``, ``page_size``), ``GET /api/projects/{id}``;
* ``GET /api/workflows?project_id=``, ``GET /api/subject_sets?project_id=``,
  ``GET /api/subjects?subject_set_id=``;
* ``GET /api/projects/{id}/classifications_export``: the export's media
  resource (``src``, ``content_type``, ``metadata.state``); its ``src`` is a
  plain download URL (on Zooniverse, a signed blob-storage URL), served here
  under ``/media/``;
* paging: ``meta.<type>.page``, ``page_count``, ``count``, ``next_href``;
* errors: ``{"errors": [{"message": ...}]}`` with 404 for a resource that does
  not exist or that the caller may not see (a private project without its
  collaborator's bearer token), 401 for an unknown bearer token.

``state.fail_with_500`` makes every ``/api`` request answer 500 (the service
is down) until it is cleared.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tornado import web

MEDIA_TYPE = "application/vnd.api+json"
ACCEPT = "application/vnd.api+json; version=1"


@dataclass
class PanoptesState:
    """Projects (with their workflows, subject sets, exports), users' tokens, the fault switch."""

    tokens: dict[str, str]
    projects: list[dict[str, Any]] = field(default_factory=list)
    workflows: list[dict[str, Any]] = field(default_factory=list)
    subject_sets: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[dict[str, Any]] = field(default_factory=list)
    exports: dict[str, dict[str, Any]] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    fail_with_500: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)


def errors(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


class Api(web.RequestHandler):
    """Base: Accept check, bearer tokens, visibility of private projects, JSON-API answers."""

    def initialize(self, state: PanoptesState) -> None:
        self.state = state

    def fail(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", f"{MEDIA_TYPE}; charset=utf-8")
        self.finish(json.dumps(errors(message)))
        raise web.Finish()

    def prepare(self) -> None:
        header = self.request.headers.get("Authorization", "")
        self.state.requests.append((self.request.path, header or None))
        if self.state.fail_with_500:
            self.fail(500, "Internal server error")
        accept = self.request.headers.get("Accept", "")
        if ACCEPT not in accept:
            self.fail(406, f"Not Acceptable: send Accept: {ACCEPT}")
        self.user: str | None = None
        if header:
            if not header.startswith("Bearer "):
                self.fail(401, "Authorization must be a Bearer token")
            self.user = self.state.tokens.get(header.removeprefix("Bearer ").strip())
            if self.user is None:
                self.fail(401, "Token is invalid or has expired")

    def visible(self, project: dict[str, Any]) -> bool:
        return not project["private"] or self.user in project["collaborators"]

    def project(self, project_id: str) -> dict[str, Any]:
        for project in self.state.projects:
            if project["id"] == project_id and self.visible(project):
                return project
        self.fail(404, f"Could not find project with id='{project_id}'")
        raise AssertionError  # unreachable

    def public(self, project: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in project.items() if k != "collaborators"}
        shown["links"] = {
            "workflows": [w["id"] for w in self.state.workflows if w["project"] == project["id"]],
            "subject_sets": [
                s["id"] for s in self.state.subject_sets if s["project"] == project["id"]
            ],
        }
        return shown

    def page(self, kind: str, resources: list[dict[str, Any]]) -> None:
        """One page of ``resources`` with Panoptes' paging meta."""
        try:
            page = int(self.get_query_argument("page", "1"))
            size = int(self.get_query_argument("page_size", "20"))
        except ValueError:
            self.fail(422, "page and page_size must be integers")
        size = max(1, min(size, 100))
        count = len(resources)
        page_count = max(1, math.ceil(count / size))
        base = f"/{kind}"

        def href(number: int) -> str:
            args = {k: self.get_query_argument(k) for k in self.request.query_arguments}
            args.update(page=str(number), page_size=str(size))
            return f"{base}?{urlencode(args)}"

        meta = {
            "page": page,
            "page_size": size,
            "count": count,
            "include": [],
            "page_count": page_count,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if page < page_count else None,
            "first_href": href(1),
            "previous_href": href(page - 1) if page > 1 else None,
            "next_href": href(page + 1) if page < page_count else None,
            "last_href": href(page_count),
        }
        body = {kind: resources[(page - 1) * size : page * size], "links": {}, "meta": {kind: meta}}
        self.answer(body)

    def answer(self, body: dict[str, Any]) -> None:
        self.set_header("Content-Type", f"{MEDIA_TYPE}; charset=utf-8")
        self.finish(json.dumps(body))


class Projects(Api):
    def get(self) -> None:
        words = (self.get_query_argument("search", "") or "").lower().split()
        wanted = self.get_query_argument("id", None)
        found = []
        for project in self.state.projects:
            if not self.visible(project) or (wanted and project["id"] != wanted):
                continue
            text = f"{project['display_name']} {project['description']}".lower()
            if all(word in text for word in words):
                found.append(self.public(project))
        self.page("projects", found)


class Project(Api):
    def get(self, project_id: str) -> None:
        self.answer({"projects": [self.public(self.project(project_id))], "links": {}, "meta": {}})


class ByProject(Api):
    """Workflows or subject sets, filtered by ``project_id`` (only projects the caller sees)."""

    kind = ""

    def get(self) -> None:
        project_id = self.get_query_argument("project_id", None)
        visible = {p["id"] for p in self.state.projects if self.visible(p)}
        items = [
            {k: v for k, v in item.items() if k != "project"}
            | {"links": {"project": item["project"]}}
            for item in getattr(self.state, self.kind)
            if item["project"] in visible and (project_id is None or item["project"] == project_id)
        ]
        self.page(self.kind, items)


class Workflows(ByProject):
    kind = "workflows"


class SubjectSets(ByProject):
    kind = "subject_sets"


class Subjects(Api):
    def get(self) -> None:
        set_id = self.get_query_argument("subject_set_id", None)
        visible = {p["id"] for p in self.state.projects if self.visible(p)}
        sets = {s["id"]: s["project"] for s in self.state.subject_sets}
        items = [
            s
            for s in self.state.subjects
            if sets.get(s["subject_set"]) in visible
            and (set_id is None or s["subject_set"] == set_id)
        ]
        self.page("subjects", items)


class ClassificationsExport(Api):
    def get(self, project_id: str) -> None:
        self.project(project_id)
        export = self.state.exports.get(project_id)
        if export is None:
            self.fail(404, f"No classifications_export exists for project {project_id}")
        media = dict(export)
        media["src"] = f"{self.request.protocol}://{self.request.host}/media/{export['src']}"
        self.answer({"media": [media], "links": {}, "meta": {}})


class Media(web.RequestHandler):
    """The export file itself (on Zooniverse, a signed blob-storage URL: no API headers)."""

    def initialize(self, state: PanoptesState) -> None:
        self.state = state

    def get(self, name: str) -> None:
        body = self.state.media.get(name)
        if body is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "text/csv")
        self.finish(body)


def make_app(state: PanoptesState) -> web.Application:
    """The stand-in's routes, all under ``/api`` except the export files."""
    args = {"state": state}
    return web.Application(
        [
            (r"/api/projects", Projects, args),
            (r"/api/projects/([0-9]+)", Project, args),
            (r"/api/projects/([0-9]+)/classifications_export", ClassificationsExport, args),
            (r"/api/workflows", Workflows, args),
            (r"/api/subject_sets", SubjectSets, args),
            (r"/api/subjects", Subjects, args),
            (r"/media/([A-Za-z0-9_.-]+)", Media, args),
        ]
    )


__all__ = ["ACCEPT", "PanoptesState", "make_app"]


# ------------------------------------------------------------------ test data

#: A title with markup: it must reach the lab as text.
HOSTILE_TITLE = "Comet <script>alert('zoo')</script> Hunters"
EXPORT_CSV = (
    b"classification_id,user_name,workflow_id,subject_ids,annotations\n"
    b'1001,ada,11,501,"[{""task"":""T0"",""value"":""spiral""}]"\n'
    b'1002,grace,11,502,"[{""task"":""T0"",""value"":""elliptical""}]"\n'
)


def sample_state(tokens: dict[str, str]) -> PanoptesState:
    """23 public galaxy projects (more than a page), one with markup, one private."""
    state = PanoptesState(tokens)
    for number in range(1, 24):
        state.projects.append(
            {
                "id": str(number),
                "slug": f"zoo/galaxy-zoo-{number}",
                "display_name": f"Galaxy Zoo {number}",
                "description": "Classify the shapes of distant galaxies",
                "private": False,
                "launch_approved": True,
                "classifications_count": 1000 * number,
                "subjects_count": 10 * number,
                "collaborators": [],
            }
        )
    state.projects.append(
        {
            "id": "30",
            "slug": "zoo/comets",
            "display_name": HOSTILE_TITLE,
            "description": "Spot comets in survey images",
            "private": False,
            "launch_approved": False,
            "classifications_count": 5,
            "subjects_count": 3,
            "collaborators": [],
        }
    )
    state.projects.append(
        {
            "id": "40",
            "slug": "lab/secret-survey",
            "display_name": "Secret Survey of Dwarf Galaxies",
            "description": "A private project of the lab",
            "private": True,
            "launch_approved": False,
            "classifications_count": 42,
            "subjects_count": 7,
            "collaborators": sorted(set(tokens.values())),
        }
    )
    state.workflows = [
        {"id": "11", "project": "1", "display_name": "Shape", "active": True,
         "completeness": 0.25, "classifications_count": 800, "subjects_count": 10,
         "retired_set_member_subjects_count": 2},
        {"id": "12", "project": "1", "display_name": "Bars and spirals", "active": False,
         "completeness": 1.0, "classifications_count": 200, "subjects_count": 10,
         "retired_set_member_subjects_count": 10},
        {"id": "41", "project": "40", "display_name": "Dwarfs", "active": True,
         "completeness": 0.0, "classifications_count": 42, "subjects_count": 7,
         "retired_set_member_subjects_count": 0},
    ]  # fmt: skip
    state.subject_sets = [
        {"id": "21", "project": "1", "display_name": "SDSS DR7 sample",
         "set_member_subjects_count": 2},
        {"id": "22", "project": "1", "display_name": "Hubble deep field",
         "set_member_subjects_count": 0},
        {"id": "42", "project": "40", "display_name": "Dwarf candidates",
         "set_member_subjects_count": 1},
    ]  # fmt: skip
    state.subjects = [
        {"id": "501", "subject_set": "21", "locations": [{"image/png": "https://example.org/501.png"}],
         "metadata": {"ra": "10.68", "dec": "41.27"}},
        {"id": "502", "subject_set": "21", "locations": [{"image/png": "https://example.org/502.png"}],
         "metadata": {"ra": "202.47", "dec": "47.20"}},
        {"id": "601", "subject_set": "42", "locations": [], "metadata": {}},
    ]  # fmt: skip
    for project in ("1", "40"):
        name = f"project-{project}-classifications.csv"
        state.media[name] = EXPORT_CSV
        state.exports[project] = {
            "id": f"9{project}",
            "href": f"/projects/{project}/classifications_export",
            "src": name,
            "content_type": "text/csv",
            "media_type": "project_classifications_export",
            "external_link": False,
            "created_at": "2026-11-01T10:00:00.000Z",
            "updated_at": "2026-11-02T10:00:00.000Z",
            "metadata": {"state": "ready"},
            "links": {"linked": project},
        }
    return state
