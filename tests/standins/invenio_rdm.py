"""A stand-in for InvenioRDM's records REST API, written from inveniordm.docs.cern.ch.

Covered (what ESAP Hub uses, with InvenioRDM's checks and error bodies):

* auth: ``Authorization: Bearer <token>``; 403 ``{"status": 403, "message":
  "Permission denied."}`` without a valid one; drafts are their owner's only;
* ``POST /api/records`` (create a draft), ``GET/PUT/DELETE
  /api/records/:id/draft``, ``GET /api/records/:id`` (published only, 404
  for a draft), ``GET /api/user/records`` (the user's records and drafts,
  ``q``, ``size``, ``page``) answering ``{"hits": {"hits", "total"}}``;
* metadata: unknown fields and wrong shapes are 400 ``{"status": 400,
  "message": "A validation error occurred.", "errors": [{"field",
  "messages"}]}``; publishing checks the required fields (resource_type,
  title, publication_date, creators, publisher) and that files were uploaded;
* files: ``POST .../draft/files`` ``[{"key"}]`` (pending), ``PUT
  .../files/:key/content`` (streamed), ``POST .../files/:key/commit``
  (completed, ``checksum: "md5:..."``), ``GET`` the list, ``DELETE`` one;
* ``POST .../draft/actions/publish`` → the record with ``pids.doi`` and the
  parent's (concept) DOI; ``POST /api/records/:id/versions`` → the next
  version's draft, the same one while it is unpublished.

* reading published records (public): ``GET /api/records/:id/files``
  (``entries`` with ``checksum`` and ``links.content``), ``GET
  /api/records/:id/files/:key/content`` (the bytes) and ``GET
  /api/records?q=pids.doi.identifier:"..."`` (``q`` matches the quoted DOIs,
  the record's or its parent's, exactly).

Not covered: communities and review requests, access restrictions and
embargoes, file import into new versions, vocabularies beyond a few ids,
search syntax (``q`` is a substring match, or quoted DOIs for the public
search). DOIs use the test prefix 10.5072.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tornado import web

from standins.server import Faults, StandinHandler, StreamedUpload, storage_dir

FIELDS = {
    "resource_type", "title", "publication_date", "creators", "description", "rights",
    "publisher", "subjects", "related_identifiers", "version", "additional_descriptions",
    "additional_titles", "contributors", "languages", "dates", "identifiers", "funding",
    "references", "locations", "formats", "sizes",
}  # fmt: skip
RESOURCE_TYPES = {"dataset", "software", "publication", "poster", "image", "other"}
REQUIRED = ("resource_type", "title", "publication_date", "creators", "publisher")


def _pid() -> str:
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass
class RdmRecord:
    id: str
    parent: str
    owner: str
    body: dict[str, Any]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    published: bool = False
    version_index: int = 1


class RdmState:
    def __init__(self, tokens: dict[str, str], keep_content: bool = True) -> None:
        self.tokens = tokens
        self.keep_content = keep_content
        self.storage = storage_dir()
        self.faults = Faults()
        self.uploads: list[dict[str, Any]] = []
        self.records: dict[str, RdmRecord] = {}
        self.next_draft: dict[str, str] = {}  # parent -> unpublished new-version draft
        self.lock = threading.Lock()

    def unauthorized_body(self) -> dict[str, Any]:
        return {"status": 403, "message": "Permission denied."}

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"status": status, "message": message}

    def cleanup(self) -> None:
        shutil.rmtree(self.storage, ignore_errors=True)


def check_metadata(metadata: Any) -> list[dict[str, Any]]:
    if not isinstance(metadata, dict):
        return [{"field": "metadata", "messages": ["Not a valid mapping type."]}]
    errors = []
    for name in metadata:
        if name not in FIELDS:
            errors.append({"field": f"metadata.{name}", "messages": ["Unknown field."]})
    rt = metadata.get("resource_type")
    if rt is not None and (not isinstance(rt, dict) or rt.get("id") not in RESOURCE_TYPES):
        errors.append({"field": "metadata.resource_type", "messages": ["Invalid value."]})
    for index, creator in enumerate(metadata.get("creators") or []):
        person = creator.get("person_or_org") if isinstance(creator, dict) else None
        if not isinstance(person, dict) or person.get("type") not in {"personal", "organizational"}:
            errors.append(
                {
                    "field": f"metadata.creators.{index}.person_or_org",
                    "messages": ["Invalid value."],
                }
            )
        elif person["type"] == "personal" and not person.get("family_name"):
            errors.append(
                {
                    "field": f"metadata.creators.{index}.person_or_org.family_name",
                    "messages": ["Family name must be filled."],
                }
            )
    if "publication_date" in metadata:
        try:
            dt.date.fromisoformat(str(metadata["publication_date"]))
        except ValueError:
            errors.append({"field": "metadata.publication_date", "messages": ["Invalid date."]})
    return errors


class RdmHandler(StandinHandler):
    state: RdmState

    @property
    def base(self) -> str:
        return f"{self.request.protocol}://{self.request.host}"

    def record(self, record_id: str, user: str) -> RdmRecord:
        record = self.state.records.get(record_id)
        if record is None or record.owner != user:
            self.fail_json(
                404, {"status": 404, "message": "The persistent identifier does not exist."}
            )
        assert record is not None
        return record

    def render(self, r: RdmRecord) -> dict[str, Any]:
        api = f"{self.base}/api/records/{r.id}"
        body = copy.deepcopy(r.body)
        body.update(
            {
                "id": r.id,
                "is_published": r.published,
                "is_draft": not r.published,
                "status": "published" if r.published else "draft",
                "parent": {"id": r.parent},
                "versions": {"index": r.version_index},
                "files": {
                    "enabled": True,
                    "entries": {k: {"key": k, "size": v["size"]} for k, v in r.files.items()},
                },
                "links": {
                    "self": api if r.published else f"{api}/draft",
                    "self_html": f"{self.base}/records/{r.id}"
                    if r.published
                    else f"{self.base}/uploads/{r.id}",
                    "files": f"{api}/files" if r.published else f"{api}/draft/files",
                    "publish": f"{api}/draft/actions/publish",
                    "versions": f"{api}/versions",
                },
            }
        )
        if r.published:
            body["pids"] = {"doi": {"identifier": f"10.5072/rdm.{r.id}", "provider": "datacite"}}
            body["parent"]["pids"] = {"doi": {"identifier": f"10.5072/rdm.{r.parent}"}}
        return body

    def entry(self, r: RdmRecord, key: str) -> dict[str, Any]:
        info = r.files[key]
        body = {"key": key, "status": info["status"], "size": info["size"]}
        if info["status"] == "completed":
            body["checksum"] = f"md5:{info['md5']}"
        return body


class Records(RdmHandler):
    async def post(self) -> None:
        user = self.user()
        body = self.body_json()
        errors = check_metadata(body.get("metadata", {}))
        if errors:
            self.fail_json(
                400, {"status": 400, "message": "A validation error occurred.", "errors": errors}
            )
        fault = self.before("create")
        with self.state.lock:
            record_id = _pid()
            r = RdmRecord(
                record_id, _pid(), user, {k: body[k] for k in ("metadata", "access") if k in body}
            )
            self.state.records[record_id] = r
        await self.answer(201, self.render(r), fault)


class PublishedRecords(RdmHandler):
    """The public side: search published records by DOI, list and read their files."""

    def published_one(self, record_id: str) -> RdmRecord:
        r = self.state.records.get(record_id)
        if r is None or not r.published:
            self.fail_json(
                404, {"status": 404, "message": "The persistent identifier does not exist."}
            )
        assert r is not None
        return r

    def file_entry(self, r: RdmRecord, key: str) -> dict[str, Any]:
        api = f"{self.base}/api/records/{r.id}/files/{key}"
        return {
            **self.entry(r, key),
            "links": {"self": api, "content": f"{api}/content"},
        }


class RecordSearch(Records, PublishedRecords):
    """``/api/records``: POST makes a draft (``Records``), GET searches the published ones."""

    async def get(self) -> None:
        fault = self.before("search")
        wanted = {
            value.lower() for value in re.findall(r'"([^"]+)"', self.get_query_argument("q", ""))
        }
        found = [
            r
            for r in self.state.records.values()
            if r.published
            and (
                not wanted or f"10.5072/rdm.{r.id}" in wanted or f"10.5072/rdm.{r.parent}" in wanted
            )
        ]
        found.sort(key=lambda r: -r.version_index)
        hits = {"hits": [self.render(r) for r in found], "total": len(found)}
        await self.answer(200, {"hits": hits}, fault)


class RecordFiles(PublishedRecords):
    async def get(self, record_id: str) -> None:
        r = self.published_one(record_id)
        fault = self.before("files")
        entries = [self.file_entry(r, key) for key in r.files]
        await self.answer(200, {"enabled": True, "entries": entries}, fault)


class RecordFileContent(PublishedRecords):
    async def get(self, record_id: str, key: str) -> None:
        r = self.published_one(record_id)
        info = r.files.get(unquote(key))
        if info is None or not info.get("path"):
            self.fail_json(404, {"status": 404, "message": "File not found."})
        assert info is not None
        self.before("download")
        self.set_header("Content-Type", "application/octet-stream")
        with open(info["path"], "rb") as handle:
            while chunk := handle.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


class UserRecords(RdmHandler):
    async def get(self) -> None:
        user = self.user()
        fault = self.before("list")
        query = (self.get_query_argument("q", "") or "").strip().strip('"')
        size = int(self.get_query_argument("size", "10"))
        page = int(self.get_query_argument("page", "1"))
        found = [
            r
            for r in self.state.records.values()
            if r.owner == user and (not query or query in json.dumps(r.body))
        ]
        chunk = found[(page - 1) * size : page * size]
        hits = {"hits": [self.render(r) for r in chunk], "total": len(found)}
        await self.answer(200, {"hits": hits}, fault)


class RecordItem(RdmHandler):
    async def get(self, record_id: str) -> None:
        r = self.state.records.get(record_id)
        if r is None or not r.published:
            self.fail_json(
                404, {"status": 404, "message": "The persistent identifier does not exist."}
            )
        assert r is not None
        await self.answer(200, self.render(r), self.before("status"))


class DraftItem(RdmHandler):
    async def get(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        await self.answer(200, self.render(r), None)

    async def put(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        if r.published:
            self.fail_json(400, {"status": 400, "message": "The record is published."})
        body = self.body_json()
        errors = check_metadata(body.get("metadata", {}))
        if errors:
            self.fail_json(
                400, {"status": 400, "message": "A validation error occurred.", "errors": errors}
            )
        fault = self.before("metadata")
        r.body = {k: body[k] for k in ("metadata", "access") if k in body}
        await self.answer(200, self.render(r), fault)

    async def delete(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        if r.published:
            self.fail_json(400, {"status": 400, "message": "The record is published."})
        del self.state.records[r.id]
        await self.answer(204, None, None)


class DraftFiles(RdmHandler):
    async def get(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        await self.answer(200, {"entries": [self.entry(r, k) for k in r.files]}, None)

    async def post(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        try:
            keys = json.loads(self.request.body)
        except json.JSONDecodeError:
            keys = None
        if not isinstance(keys, list) or not all(
            isinstance(k, dict) and k.get("key") for k in keys
        ):
            self.fail_json(400, {"status": 400, "message": "Expected a list of {key}."})
        for item in keys:
            if item["key"] in r.files:
                self.fail_json(
                    400, {"status": 400, "message": f"File with key {item['key']} already exists."}
                )
        for item in keys:
            r.files[item["key"]] = {"status": "pending", "size": 0, "md5": None, "path": None}
        await self.answer(201, {"entries": [self.entry(r, i["key"]) for i in keys]}, None)


class DraftFile(RdmHandler):
    async def delete(self, record_id: str, key: str) -> None:
        r = self.record(record_id, self.user())
        key = unquote(key)
        if key not in r.files:
            self.fail_json(404, {"status": 404, "message": "File not found."})
        info = r.files.pop(key)
        if info.get("path"):
            Path(info["path"]).unlink(missing_ok=True)
        await self.answer(204, None, None)


@web.stream_request_body
class DraftFileContent(StreamedUpload, RdmHandler):
    async def put(self, record_id: str, key: str) -> None:
        r = self.record(record_id, self.user())
        key = unquote(key)
        if key not in r.files:
            self.fail_json(404, {"status": 404, "message": "File not found."})
        fault = self.before("upload")
        path, size, md5 = self.stored()
        r.files[key].update({"size": size, "md5": md5, "path": path, "status": "pending"})
        await self.answer(200, self.entry(r, key), fault)


class DraftFileCommit(RdmHandler):
    async def post(self, record_id: str, key: str) -> None:
        r = self.record(record_id, self.user())
        key = unquote(key)
        if key not in r.files or r.files[key]["md5"] is None:
            self.fail_json(400, {"status": 400, "message": "File content not uploaded."})
        fault = self.before("commit")
        r.files[key]["status"] = "completed"
        await self.answer(200, self.entry(r, key), fault)


class Publish(RdmHandler):
    async def post(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        if r.published:
            self.fail_json(400, {"status": 400, "message": "The record is already published."})
        metadata = r.body.get("metadata") or {}
        errors = [
            {"field": f"metadata.{name}", "messages": ["Missing data for required field."]}
            for name in REQUIRED
            if not metadata.get(name)
        ]
        if not r.files or any(f["status"] != "completed" for f in r.files.values()):
            errors.append(
                {
                    "field": "files.enabled",
                    "messages": [
                        "Missing uploaded files. To disable files for this record please "
                        "mark it as metadata-only."
                    ],
                }
            )
        if errors:
            self.fail_json(
                400, {"status": 400, "message": "A validation error occurred.", "errors": errors}
            )
        fault = self.before("publish")
        r.published = True
        if self.state.next_draft.get(r.parent) == r.id:
            del self.state.next_draft[r.parent]
        await self.answer(202, self.render(r), fault)


class Versions(RdmHandler):
    async def post(self, record_id: str) -> None:
        r = self.record(record_id, self.user())
        if not r.published:
            self.fail_json(400, {"status": 400, "message": "The record is not published."})
        fault = self.before("newversion")
        with self.state.lock:
            pending = self.state.next_draft.get(r.parent)
            if pending is None:
                siblings = [x for x in self.state.records.values() if x.parent == r.parent]
                body = copy.deepcopy(r.body)
                body.get("metadata", {}).pop("publication_date", None)
                draft = RdmRecord(_pid(), r.parent, r.owner, body, version_index=len(siblings) + 1)
                self.state.records[draft.id] = draft
                self.state.next_draft[r.parent] = draft.id
                pending = draft.id
        await self.answer(201, self.render(self.state.records[pending]), fault)


def make_app(state: RdmState) -> web.Application:
    kwargs = {"state": state}
    rid = r"([a-z0-9]{5}-[a-z0-9]{5})"
    return web.Application(
        [
            (r"/api/records", RecordSearch, kwargs),
            (rf"/api/records/{rid}/files", RecordFiles, kwargs),
            (rf"/api/records/{rid}/files/(.+)/content", RecordFileContent, kwargs),
            (r"/api/user/records", UserRecords, kwargs),
            (rf"/api/records/{rid}", RecordItem, kwargs),
            (rf"/api/records/{rid}/draft", DraftItem, kwargs),
            (rf"/api/records/{rid}/draft/files", DraftFiles, kwargs),
            (rf"/api/records/{rid}/draft/files/(.+)/content", DraftFileContent, kwargs),
            (rf"/api/records/{rid}/draft/files/(.+)/commit", DraftFileCommit, kwargs),
            (rf"/api/records/{rid}/draft/files/(.+)", DraftFile, kwargs),
            (rf"/api/records/{rid}/draft/actions/publish", Publish, kwargs),
            (rf"/api/records/{rid}/versions", Versions, kwargs),
        ]
    )
