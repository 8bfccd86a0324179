"""Zooniverse: citizen-science projects, their workflows, subject sets and classification exports.

Talks to the Panoptes API (the platform behind the Zooniverse) through
``panoptes-client``, its maintained Python client: JSON-API requests with the
``Accept`` header Panoptes wants, its paging (``meta.<type>.next_href``) and
its error bodies. One search returns one kind of row, chosen with
``params[<service>].kind``:

* ``projects`` (the default): projects whose name or description match the
  free text (Panoptes' own full-text ``search``);
* ``workflows``, ``subject_sets`` of ``params[<service>].project``;
* ``exports``: the project's classifications export with its state and
  download URL (``access_url``/``access_format``, so "Add to basket" and the
  basket's download work as for any archive file).

Public projects need no login. For private ones the user stores their own
Zooniverse bearer token once (``PUT data/services/<name>/token``); it is kept
owner-only in ``~/.esap`` (``esap.data.base.user_tokens``, kept by the same
store as the users' archive tokens) and only ever sent to this service, never
logged or returned.

Requests go through ESAP's shared session (the service's timeout applies)
and are not retried: panoptes-client's own retry waits 5 x 5 s on a 5xx,
which would hold a federated search far past the service's timeout.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from esap.config.options import AdapterOptions
from esap.data.base import DataService, NotApplicable, Query, user_tokens

if TYPE_CHECKING:
    from astropy.table import Table

KINDS = ("projects", "workflows", "subject_sets", "exports")
#: Rows at most per search unless the search gives ``maxrec`` (Panoptes pages hold 100 at most).
DEFAULT_MAXREC = 1000
PAGE_SIZE = 100

_last = threading.local()


class _RecordingSession:
    """Hands panoptes-client ESAP's session and keeps the last answer of this thread.

    panoptes-client turns a 5xx into "Received HTTP status code 500" and drops
    the body; the body holds the service's own words, which the user should see.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self._session.request(method, url, **kwargs)
        _last.response = response
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _service_words(response: Any) -> str:
    """The messages of a Panoptes error body, or its first 200 characters."""
    try:
        body = response.json()
        found = [str(e.get("message", "")) for e in body.get("errors", []) if isinstance(e, dict)]
        if found:
            return "; ".join(found)
    except ValueError:
        pass
    return str(response.text or "")[:200]


class ZooniverseOptions(AdapterOptions):
    """How a Zooniverse service pages through Panoptes' listings."""

    page_size: int = Field(
        default=PAGE_SIZE,
        ge=1,
        le=PAGE_SIZE,
        description=f"Resources asked for per Panoptes page, 1 to {PAGE_SIZE} (Panoptes' "
        "maximum); fewer means more requests per search.",
    )


class ZooniverseService(DataService):
    """The Panoptes API of a Zooniverse (``url`` is the site, e.g. https://www.zooniverse.org).

    ``options.page_size``: resources per Panoptes page (default 100, its maximum).
    """

    Options: ClassVar[type[AdapterOptions]] = ZooniverseOptions
    options: ZooniverseOptions
    accepts_token: ClassVar[bool] = True
    page_size: int = PAGE_SIZE
    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "Zooniverse",
        "properties": {
            "kind": {
                "type": "string",
                "title": "Rows",
                "enum": list(KINDS),
                "default": "projects",
                "description": "projects (matching the free text), or a project's workflows, "
                "subject sets or classification export.",
            },
            "project": {
                "type": "string",
                "title": "Project id",
                "pattern": "^[0-9]+$",
                "description": "The project whose workflows, subject sets or export to list.",
            },
        },
        "additionalProperties": False,
    }

    def describe(self) -> dict[str, Any]:
        """As the base says, plus ``accepts_token``: the lab offers to store the user's token."""
        return {**super().describe(), "accepts_token": True}

    # ------------------------------------------------------------ the client
    def token(self) -> str | None:
        """The user's stored bearer token for this service, if any."""
        value = user_tokens().get(self.name)
        return str(value) if value else None

    def client(self) -> Any:
        """A panoptes-client connection: anonymous, or with the user's own token."""
        from panoptes_client import Panoptes

        # empty credentials: panoptes-client would otherwise read $PANOPTES_USERNAME/PASSWORD
        client = Panoptes(endpoint=self.url.rstrip("/"), username="", password="")
        client.session = _RecordingSession(self.session)
        token = self.token()
        if token:
            # the token is used as it is: panoptes-client asks for none while it is valid
            client.bearer_token = token
            client.bearer_expires = datetime.now() + timedelta(days=3650)
            client.refresh_token = None
            client.logged_in = True
        return client

    def _get(self, client: Any, kind: Any, path: str, params: dict[str, Any]) -> list[Any]:
        """Every resource of one listing (following Panoptes' pages), at most ``limit``."""
        from panoptes_client.panoptes import PanoptesAPIException
        from pyvo.dal import DALQueryError, DALServiceError

        limit = int(params.pop("_limit"))
        _last.response = None
        try:
            with client:
                response, etag = client.get(path, params=params, retry=False)
                found = []
                for resource in kind.paginated_results(response, etag):
                    found.append(resource)
                    if len(found) >= limit:
                        break
                return found
        except PanoptesAPIException as exc:
            answer = getattr(_last, "response", None)
            status = getattr(answer, "status_code", 0)
            if status >= 500 or answer is None:
                words = _service_words(answer) if answer is not None else str(exc)
                # its HTTP status and Panoptes' own words: esap.core.failures' HttpStatus
                raise DALServiceError(words, status) from None
            words = _service_words(answer) or str(exc)
            if status == 404 and self.token() is None:
                words += (
                    " (a private project needs your Zooniverse token: store it for this service)"
                )
            elif status == 401:
                words += " (store a new Zooniverse token for this service)"
            raise DALQueryError(f"Zooniverse answered {status}: {words}") from None

    # --------------------------------------------------------------- search
    def search(self, query: Query) -> Table:
        """One kind of rows (see the module docstring) as an astropy Table."""
        kind = str(query.params.get("kind") or "projects")
        project = query.params.get("project")
        limit = query.maxrec or DEFAULT_MAXREC
        self.page_size = self.options.page_size
        if kind == "projects":
            if query.has_position and not query.text:
                raise NotApplicable(
                    "Zooniverse projects have no sky position: give free text to search them"
                )
            return self.projects(query.text, limit)
        if not project:
            raise NotApplicable(f"{kind} belong to a project: give params.{self.name}.project")
        client = self.client()
        # the project first: a private or unknown one is refused with Panoptes' own 404
        self._get(client, _kind("Project"), f"/projects/{project}", {"_limit": 1})
        if kind == "workflows":
            return self.workflows(client, str(project), limit)
        if kind == "subject_sets":
            return self.subject_sets(client, str(project), limit)
        return self.exports(client, str(project))

    def projects(self, text: str | None, limit: int) -> Table:
        """Projects matching ``text`` (every project without text), in Panoptes' order."""
        from astropy.table import Table

        params: dict[str, Any] = {"page_size": self.page_size, "_limit": limit}
        if text:
            params["search"] = text
        found = self._get(self.client(), _kind("Project"), "/projects", params)
        site = self.url.rstrip("/")
        rows = [
            {
                "project_id": str(p.raw.get("id")),
                "slug": _text(p.raw.get("slug")),
                "display_name": _text(p.raw.get("display_name")),
                "description": _text(p.raw.get("description")),
                "private": bool(p.raw.get("private")),
                "launch_approved": bool(p.raw.get("launch_approved")),
                "classifications_count": _int(p.raw.get("classifications_count")),
                "subjects_count": _int(p.raw.get("subjects_count")),
                "url": f"{site}/projects/{_text(p.raw.get('slug'))}",
            }
            for p in found
        ]
        return _table(Table, rows, PROJECT_COLUMNS, truncated=len(found) >= limit)

    def workflows(self, client: Any, project: str, limit: int) -> Table:
        """The project's workflows: state, completeness, counts."""
        from astropy.table import Table

        found = self._get(
            client,
            _kind("Workflow"),
            "/workflows",
            {"project_id": project, "page_size": self.page_size, "_limit": limit},
        )
        rows = [
            {
                "workflow_id": str(w.raw.get("id")),
                "project_id": project,
                "display_name": _text(w.raw.get("display_name")),
                "active": bool(w.raw.get("active")),
                "completeness": float(w.raw.get("completeness") or 0.0),
                "classifications_count": _int(w.raw.get("classifications_count")),
                "subjects_count": _int(w.raw.get("subjects_count")),
                "retired_set_member_subjects_count": _int(
                    w.raw.get("retired_set_member_subjects_count")
                ),
            }
            for w in found
        ]
        return _table(Table, rows, WORKFLOW_COLUMNS, truncated=len(found) >= limit)

    def subject_sets(self, client: Any, project: str, limit: int) -> Table:
        """The project's subject sets; each links to its subjects' listing (JSON-API)."""
        from astropy.table import Table

        found = self._get(
            client,
            _kind("SubjectSet"),
            "/subject_sets",
            {"project_id": project, "page_size": self.page_size, "_limit": limit},
        )
        api = self.url.rstrip("/") + "/api"
        rows = [
            {
                "subject_set_id": str(s.raw.get("id")),
                "project_id": project,
                "display_name": _text(s.raw.get("display_name")),
                "set_member_subjects_count": _int(s.raw.get("set_member_subjects_count")),
                "access_url": f"{api}/subjects?subject_set_id={s.raw.get('id')}"
                f"&page_size={PAGE_SIZE}",
                "access_format": "application/vnd.api+json",
            }
            for s in found
        ]
        return _table(Table, rows, SUBJECT_SET_COLUMNS, truncated=len(found) >= limit)

    def exports(self, client: Any, project: str) -> Table:
        """The project's classifications export: its state and download URL (none yet: no row)."""
        from astropy.table import Table
        from panoptes_client.panoptes import PanoptesAPIException

        _last.response = None
        try:
            with client:
                body, _ = client.get(f"/projects/{project}/classifications_export", retry=False)
        except PanoptesAPIException as exc:
            answer = getattr(_last, "response", None)
            status = getattr(answer, "status_code", 0)
            if status == 404:
                return _table(Table, [], EXPORT_COLUMNS, truncated=False)
            from pyvo.dal import DALServiceError

            words = _service_words(answer) if answer is not None else str(exc)
            raise DALServiceError(words, status) from None
        rows = []
        for media in (body or {}).get("media", []):
            metadata = media.get("metadata") or {}
            rows.append(
                {
                    "export_id": str(media.get("id")),
                    "project_id": project,
                    "export_type": "classifications",
                    "state": _text(metadata.get("state") or "ready"),
                    "updated_at": _text(media.get("updated_at")),
                    "access_url": _text(media.get("src")),
                    "access_format": _text(media.get("content_type") or "text/csv"),
                }
            )
        return _table(Table, rows, EXPORT_COLUMNS, truncated=False)


def _kind(name: str) -> Any:
    import panoptes_client

    return getattr(panoptes_client, name)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


PROJECT_COLUMNS: dict[str, type] = {
    "project_id": str,
    "slug": str,
    "display_name": str,
    "description": str,
    "private": bool,
    "launch_approved": bool,
    "classifications_count": int,
    "subjects_count": int,
    "url": str,
}
WORKFLOW_COLUMNS: dict[str, type] = {
    "workflow_id": str,
    "project_id": str,
    "display_name": str,
    "active": bool,
    "completeness": float,
    "classifications_count": int,
    "subjects_count": int,
    "retired_set_member_subjects_count": int,
}
SUBJECT_SET_COLUMNS: dict[str, type] = {
    "subject_set_id": str,
    "project_id": str,
    "display_name": str,
    "set_member_subjects_count": int,
    "access_url": str,
    "access_format": str,
}
EXPORT_COLUMNS: dict[str, type] = {
    "export_id": str,
    "project_id": str,
    "export_type": str,
    "state": str,
    "updated_at": str,
    "access_url": str,
    "access_format": str,
}


def _table(
    table: Any, rows: list[dict[str, Any]], columns: dict[str, type], *, truncated: bool
) -> Table:
    """A Table with ``columns`` in order and types, even when there is no row."""
    result = table(
        [[row[name] for row in rows] for name in columns],
        names=list(columns),
        dtype=[object if kind is str else kind for kind in columns.values()],
    )
    for name, kind in columns.items():
        if kind is str:
            result[name] = result[name].astype(str) if rows else result[name].astype("U1")
    result.meta["esap_truncated"] = truncated
    return result


__all__ = [
    "KINDS",
    "ZooniverseOptions",
    "ZooniverseService",
]
