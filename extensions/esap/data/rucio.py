"""Rucio data lake: search DIDs, list files with replicas, bring them to the lab.

Talks to Rucio through ``rucio-clients`` (its DID, replica and rule clients),
so the REST details (paths, ``X-Rucio-*`` headers, streamed JSON lines,
Rucio's own exceptions) are the client's, not ESAP's. One thing is done
differently: authentication. The stock client reads and writes token files
under ``/tmp`` and, on a 401, starts its own login (userpass, X.509, an
interactive OIDC device flow), none of which a user server may do. Here the
token is the user's own OIDC access token for the audience Rucio expects,
which the hub hands to the server at spawn (``ESAP_ACCESS_TOKEN_<NAME>``, see
``esap.hub.oidc``; ``options.audience`` names which); it is sent as
``X-Rucio-Auth-Token`` and never written, logged or returned. Rucio
validates it itself (the provider's JWKS, ``exp``, ``aud``, ``scope``) and
maps its ``sub`` and ``iss`` to a Rucio account. A refused token is renewed
once by asking the hub (:mod:`esap.data.fresh_tokens`: tokens expire long
before a lab does), and the request retried. Rucio answers every refusal
with the same 401, so the error reads the token's own claims (PyJWT, without
verifying: Rucio did) to tell an expired token (log in again) from one for
another audience (an admin's fix, named by its config key); see
:func:`refusal`.

Rows: one per file (the files of each dataset or container found, and the
files found themselves), with the replica's URL as ``access_url``, so the
Data panel's "Add to basket" and the basket's checked download work as for
any archive; collections without files get a row of their own.

"Bring to my lab" (:meth:`RucioService.bring`): with ``options.rse`` set, a
replication rule to that RSE, which the lab mounts (``options.mount`` says
where); otherwise a download of the replicas over HTTP into the home,
checked against Rucio's adler32 and md5. rucio-clients' ``DownloadClient``
was considered for the download, but it needs the storage's protocol
plugins (gfal2, X.509) set up per RSE and keeps its own token files; a
replica's HTTP URL with the basket's resumable, checked download does the
same work with what the lab already has.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, HttpUrl

from esap.config.models import AUDIENCE_NAME_PATTERN
from esap.config.options import AdapterOptions
from esap.core.errors import NotFound, UpstreamError
from esap.data import fresh_tokens
from esap.data.base import DataService, Query

if TYPE_CHECKING:
    from astropy.table import Table

#: Environment variables of the user server that carry tokens (set by esap.hub.oidc).
ACCESS_TOKEN_ENV = "ESAP_ACCESS_TOKEN"  # noqa: S105 - a variable name
AUDIENCE_TOKEN_ENV = "ESAP_ACCESS_TOKEN_{name}"  # noqa: S105 - a variable name

#: Replica URL schemes the lab can read, best first.
SCHEMES = ("https", "http", "davs", "root")
DID_TYPES = ("all", "collection", "dataset", "container", "file")
DEFAULT_FOLDER = "esap-downloads/rucio"
#: Most files listed per search when the query gives no maxrec.
DEFAULT_LIMIT = 1000

_NAME = re.compile(r"^[A-Za-z0-9_.\-*]{1,250}$")
_SCOPE = re.compile(r"^[A-Za-z0-9_.\-]{1,30}$")
_META_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,99}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")

#: The client logs its requests here (debug); it writes "[hidden]" for the token.
_LOG = logging.getLogger("esap.data.rucio.client")


class RucioError(UpstreamError):
    """A Rucio request ESAP could not make or Rucio refused; says what to do."""

    code = "service_error"


class BadRequest(RucioError):
    """The request itself is wrong (a DID, a field, a folder); ``field`` names it."""

    status = 400
    code = "bad_field"


class DidNotFound(RucioError, NotFound):
    """Rucio knows no DID of that scope and name."""

    status = 404
    code = "not_found"
    fix = "check the scope and name of the DID"


#: What a user does about a refused token that is not an admin's to fix.
LOG_IN_AGAIN = "log out of the hub and log in again; your server then gets a fresh token"


class TokenRefused(RucioError):
    """Rucio refused the user's token (expired, or not for Rucio's audience)."""

    status = 403
    code = "token_refused"
    fix = LOG_IN_AGAIN


def _claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, unverified (only to explain a refusal); None if not a JWT."""
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def refusal(host: str, token: str, audience: str | None) -> TokenRefused:
    """Why Rucio at ``host`` refused ``token``, and who fixes it (never the token itself).

    ``audience`` is the service's ``options.audience``: the name of the
    ``auth.oidc.audiences`` entry the token was exchanged for.
    """
    claims = _claims(token)
    if claims is None:
        return TokenRefused(
            f"Rucio at {host} refused your token (not a JWT Rucio can check, or one it no "
            "longer knows)"
        )
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires <= time.time():
        when = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return TokenRefused(f"Rucio at {host} refused your token: it expired at {when}")
    aud = claims.get("aud")
    shown = " ".join(aud) if isinstance(aud, list) else str(aud or "none")
    issuer, subject = str(claims.get("iss") or "?"), str(claims.get("sub") or "?")
    key = f"auth.oidc.audiences.{audience}" if audience else "auth.oidc.audiences"
    fix = (
        f"if Rucio's audience is not {shown!r}, the hub admin sets {key} to the audience "
        "Rucio expects (its [oidc] expected_audience); otherwise Rucio's admins map your "
        f"identity to your account (rucio-admin identity add --type OIDC --id "
        f'"SUB={subject}, ISS={issuer}"); then log out of the hub and log in again'
    )
    return TokenRefused(
        f"Rucio at {host} refused your token (issued by {issuer} for audience {shown!r}, "
        "not expired): Rucio takes a token only for its own audience and scope, from an "
        "identity provider it trusts, for an identity mapped to a Rucio account",
        fix,
    )


@functools.cache
def _client_class() -> type[Any]:
    """``rucio.client.Client`` with the user's token instead of the client's own logins."""
    from rucio.client import Client

    class TokenClient(Client):  # type: ignore[misc]
        """The stock client, authenticated by a given token only (no files, no prompts)."""

        def __init__(
            self,
            token: str,
            audience: str | None = None,
            renew: Callable[[], str | None] | None = None,
            **kwargs: Any,
        ) -> None:
            self._esap_token = token
            self._esap_audience = audience
            self._esap_renew = renew
            argv0 = sys.argv[0] if sys.argv else ""
            account = kwargs.pop("account", None)
            try:
                # without an account the client would look for one in a rucio.cfg;
                # "" keeps it from looking, and no header is sent for it below
                super().__init__(auth_type="oidc", account=account or "", **kwargs)
            finally:  # the client shortens sys.argv[0] for its X-Rucio-Script header
                if sys.argv:
                    sys.argv[0] = argv0
            self.account = account or None  # the token says whose it is

        def _BaseClient__authenticate(self) -> None:
            self.auth_token = self._esap_token
            self.headers["X-Rucio-Auth-Token"] = self._esap_token

        def _BaseClient__get_token(self) -> None:
            # called on a 401, before the client retries: a fresh token from the
            # hub once (an expired one is the usual cause), else the refusal
            renew, self._esap_renew = self._esap_renew, None
            fresh = renew() if renew is not None else None
            if fresh and fresh != self._esap_token:
                self._esap_token = fresh
                self._BaseClient__authenticate()
                return
            raise refusal(self.host, self._esap_token, self._esap_audience)

    return TokenClient


@contextmanager
def _known_did() -> Iterator[None]:
    """Rucio's "no such DID" as :class:`DidNotFound` (a 404), in the lake's own words."""
    from rucio.common.exception import DataIdentifierNotFound

    try:
        yield
    except DataIdentifierNotFound as exc:
        raise DidNotFound(" ".join(str(exc).split()), field="did") from None


def _did(scope: str, name: str) -> str:
    return f"{scope}:{name}"


def adler32_of(path: Path) -> str:
    """Rucio's adler32 of a file: 8 lower-case hex digits."""
    value = 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            value = zlib.adler32(block, value)
    return f"{value & 0xFFFFFFFF:08x}"


def split_did(did: str, default_scope: str | None = None) -> tuple[str, str]:
    """``scope:name`` (or ``name`` with a default scope) -> (scope, name), checked."""
    scope, sep, name = did.partition(":")
    if not sep:
        scope, name = default_scope or "", did
    if not scope or not _SCOPE.match(scope):
        raise BadRequest(
            f"{did!r}: no valid scope", "write it as scope:name, e.g. user.alice:run42", field="did"
        )
    if not name or not _NAME.match(name):
        raise BadRequest(
            f"{did!r}: {name!r} is not a Rucio name",
            "use letters, digits, . _ - (and * as a wildcard when searching)",
            field="did",
        )
    return scope, name


class RucioOptions(AdapterOptions):
    """Which token, account and scope a Rucio service uses, and where "Bring to my lab" goes."""

    audience: str | None = Field(
        default=None,
        pattern=AUDIENCE_NAME_PATTERN,
        description="The name of the auth.oidc.audiences entry whose token Rucio accepts "
        "(the user's server gets it as ESAP_ACCESS_TOKEN_<NAME>); without it, the user's "
        "login token is sent, which Rucio refuses unless it expects the hub's audience.",
        examples=["rucio"],
    )
    account: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]{1,29}$",
        description="The Rucio account requests are made as (default: the one Rucio maps "
        "the user's token to).",
    )
    vo: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{3}$",
        description="The three-character VO of a multi-VO Rucio (default: Rucio's own, def).",
    )
    auth_url: HttpUrl | None = Field(
        default=None,
        description="Rucio's authentication server, when it is not the service's url.",
    )
    scope: str | None = Field(
        default=None,
        pattern=_SCOPE.pattern,
        description="The scope searched and used for a DID written without one "
        "(name instead of scope:name); users can give another per search.",
        examples=["user.alice"],
    )
    rse: str | None = Field(
        default=None,
        min_length=1,
        description='The RSE (or RSE expression) "Bring to my lab" makes a replication '
        "rule to, one the lab can read; without it, files are downloaded into the home.",
        examples=["LAB_DISK"],
    )
    mount: str | None = Field(
        default=None,
        min_length=1,
        description="Where the lab sees the files of the rse, told to the user after a "
        "rule is made.",
        examples=["/lake"],
    )
    rule_lifetime: int | None = Field(
        default=None,
        gt=0,
        description='Seconds a "Bring to my lab" rule lasts before Rucio may delete the '
        "copy (default: no expiry).",
        examples=[604800],
    )


class RucioService(DataService):
    """A Rucio server: DIDs by scope, name pattern and metadata; files with replicas."""

    Options: ClassVar[type[AdapterOptions]] = RucioOptions
    options: RucioOptions

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "Rucio data lake",
        "properties": {
            "scope": {
                "type": "string",
                "title": "Scope",
                "description": "The scope to search, e.g. user.alice (default: the service's).",
                "pattern": _SCOPE.pattern,
            },
            "name": {
                "type": "string",
                "title": "Name",
                "description": "Name or pattern with * wildcards (default: the free text, or *).",
                "pattern": _NAME.pattern,
            },
            "did_type": {
                "type": "string",
                "title": "DID type",
                "enum": list(DID_TYPES),
                "default": "collection",
            },
            "metadata": {
                "type": "object",
                "title": "Metadata",
                "description": 'Metadata that must match, e.g. {"datatype": "image"}.',
                "additionalProperties": {"type": "string"},
            },
            "expand": {
                "type": "boolean",
                "title": "List files",
                "description": "List the files (and replicas) of the datasets found.",
                "default": True,
            },
        },
        "additionalProperties": False,
    }

    # ------------------------------------------------------------------ client

    def token_variable(self) -> str:
        """The environment variable holding the user's token for this Rucio."""
        audience = self.options.audience
        if audience:
            return AUDIENCE_TOKEN_ENV.format(name=audience.upper())
        return ACCESS_TOKEN_ENV

    def _token(self) -> str:
        variable = self.token_variable()
        token = fresh_tokens.current(variable)
        if not token:
            fix = (
                f"ask the hub admin to add {self.options.audience}: <Rucio's audience> under "
                "auth.oidc.audiences"
                if self.options.audience
                else f"set options.audience of data service {self.name} to the name of its "
                "auth.oidc.audiences entry"
            )
            raise TokenRefused(
                f"no Rucio token for service {self.name} (${variable} is not set)",
                f"{fix}; then {LOG_IN_AGAIN}",
            )
        return token

    def client(self) -> Any:
        """A rucio-clients ``Client`` of this server, authenticated with the user's token."""
        token = self._token()
        options = self.options
        variable = self.token_variable()
        return _client_class()(
            token,
            audience=options.audience,
            renew=lambda: fresh_tokens.renew(variable),
            rucio_host=self.url,
            auth_host=str(options.auth_url).rstrip("/") if options.auth_url else self.url,
            account=options.account,
            vo=options.vo,
            timeout=max(1, int(self.entry.timeout)),
            user_agent="esap-hub",
            logger=_LOG,
        )

    # ------------------------------------------------------------------ search

    def _criteria(self, query: Query) -> tuple[str, str, dict[str, Any], str, bool]:
        params = query.params
        text = (query.text or "").strip()
        default_scope = params.get("scope") or self.options.scope
        if params.get("name"):
            scope, name = split_did(str(params["name"]), default_scope)
        elif text:
            scope, name = split_did(text, default_scope)
        else:
            scope, name = split_did("*", default_scope)
        if params.get("scope"):
            scope = str(params["scope"])
        metadata = dict(params.get("metadata") or {})
        for key in metadata:
            if not _META_KEY.match(str(key)) or key in ("name", "type"):
                raise BadRequest(
                    f"{key!r}: not a metadata key Rucio can filter on",
                    "use a key such as datatype, project, run_number",
                    field="metadata",
                )
        did_type = str(params.get("did_type") or "collection")
        if did_type not in DID_TYPES:
            raise BadRequest(
                f"{did_type!r}: unknown", f"use one of {', '.join(DID_TYPES)}", field="did_type"
            )
        return scope, name, metadata, did_type, bool(params.get("expand", True))

    def _check_scope(self, client: Any, scope: str) -> None:
        """Rucio lists nothing for an unknown scope: say so instead of "no rows"."""
        scopes = [str(s) for s in client.list_scopes()]
        if scope not in scopes:
            shown = ", ".join(sorted(scopes)[:10]) or "none"
            raise RucioError(
                f"scope {scope!r} does not exist on {self.url}", f"use a scope there: {shown}"
            )

    def search(self, query: Query) -> Table:
        """DIDs matching the query, as one row per file with its replicas."""
        scope, name, metadata, did_type, expand = self._criteria(query)
        limit = query.maxrec or DEFAULT_LIMIT
        client = self.client()
        filters = [{"name": name, **metadata}]
        found = list(
            islice(
                client.list_dids(scope, filters=filters, did_type=did_type, long=True), limit + 1
            )
        )
        if not found:
            self._check_scope(client, scope)
        files: list[tuple[Mapping[str, Any], str]] = []
        collections: list[Mapping[str, Any]] = []
        for did in found[:limit]:
            if str(did.get("did_type", "")).upper() == "FILE":
                files.append((did, ""))
            elif expand:
                parent = _did(did["scope"], did["name"])
                inside = list(islice(client.list_files(did["scope"], did["name"]), limit))
                files.extend((entry, parent) for entry in inside)
                if not inside:
                    collections.append(did)
            else:
                collections.append(did)
        truncated = len(found) > limit or len(files) > limit
        files = files[:limit]
        replicas = self._replicas(client, [entry for entry, _ in files])
        rows = [self._collection_row(did) for did in collections]
        rows += [
            self._file_row(entry, parent, replicas.get(_did(entry["scope"], entry["name"])))
            for entry, parent in files
        ]
        table = _table(rows)
        table.meta["esap_truncated"] = truncated
        return table

    def _replicas(
        self, client: Any, files: Iterable[Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """``scope:name`` -> Rucio's replica record, asked once for all files."""
        dids = [{"scope": f["scope"], "name": f["name"]} for f in files]
        if not dids:
            return {}
        answer = client.list_replicas(dids, schemes=list(SCHEMES), all_states=False)
        return {_did(r["scope"], r["name"]): r for r in answer}

    @staticmethod
    def _collection_row(did: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "did": _did(did["scope"], did["name"]),
            "scope": did["scope"],
            "name": did["name"],
            "did_type": str(did.get("did_type") or "").lower(),
            "dataset": "",
            "bytes": int(did.get("bytes") or -1),
        }

    @staticmethod
    def _file_row(
        entry: Mapping[str, Any], parent: str, replica: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        replica = replica or {}
        size = entry.get("bytes") or replica.get("bytes")
        md5 = replica.get("md5") or entry.get("md5") or ""
        url = _best_pfn(replica)
        rses = sorted((replica.get("rses") or {}).keys())
        row: dict[str, Any] = {
            "did": _did(entry["scope"], entry["name"]),
            "scope": entry["scope"],
            "name": entry["name"],
            "did_type": "file",
            "dataset": parent,
            "bytes": int(size) if size is not None else -1,
            "adler32": replica.get("adler32") or entry.get("adler32") or "",
            "md5": md5,
            "checksum": f"md5:{md5}" if md5 else "",
            "rses": ", ".join(rses),
            "access_url": url,
            "access_format": "application/octet-stream" if url else "",
            "access_estsize": (int(size) / 1000) if size is not None else None,
        }
        return row

    # ------------------------------------------------------------------ files

    def files(self, did: str) -> list[dict[str, Any]]:
        """The files of a DID (a file is its own one file), each with its replicas."""
        scope, name = split_did(did, self.options.scope)
        client = self.client()
        with _known_did():
            answer = list(
                client.list_replicas([{"scope": scope, "name": name}], schemes=list(SCHEMES))
            )
        return [
            {
                "did": _did(r["scope"], r["name"]),
                "scope": r["scope"],
                "name": r["name"],
                "bytes": r.get("bytes"),
                "adler32": r.get("adler32"),
                "md5": r.get("md5"),
                "replicas": [
                    {"rse": rse, "pfn": pfn}
                    for rse, pfns in sorted((r.get("rses") or {}).items())
                    for pfn in pfns
                ],
            }
            for r in answer
        ]

    # ------------------------------------------------------------ bring to lab

    def bring(self, did: str, how: str | None = None, folder: str | None = None) -> dict[str, Any]:
        """Bring a DID to the lab: a rule to ``options.rse``, else a checked download.

        ``how`` forces ``rule`` or ``download``; a rule needs ``options.rse``.
        """
        rse = self.options.rse or ""
        chosen = how or ("rule" if rse else "download")
        if chosen == "rule":
            if not rse:
                raise BadRequest(
                    f"data service {self.name} names no RSE for rules",
                    "bring the files by download, or ask the hub admin to set options.rse",
                    field="how",
                )
            return self.replicate(did, rse)
        if chosen != "download":
            raise BadRequest(f"{chosen!r}: unknown", "use rule or download", field="how")
        return self.download(did, folder)

    def replicate(self, did: str, rse: str) -> dict[str, Any]:
        """A replication rule (one copy) of ``did`` to ``rse``, owned by the user's account."""
        scope, name = split_did(did, self.options.scope)
        client = self.client()
        with _known_did():
            ids = client.add_replication_rule(
                [{"scope": scope, "name": name}],
                1,
                rse,
                lifetime=self.options.rule_lifetime,
                comment="ESAP Hub: bring to my lab",
            )
        rule = client.get_replication_rule(ids[0])
        mount = self.options.mount
        return {
            "action": "rule",
            "did": _did(scope, name),
            "rse": rse,
            "rule_id": ids[0],
            "state": str(rule.get("state") or ""),
            "mount": mount,
        }

    def download(self, did: str, folder: str | None = None) -> dict[str, Any]:
        """Every file of ``did`` over HTTP into ``folder`` (in the home), checksums checked."""
        from esap.basket.download import DownloadError, fetch, resolve_folder
        from esap.basket.models import DataItem
        from esap.basket.store import BasketError

        try:
            target = resolve_folder(folder or DEFAULT_FOLDER)
        except BasketError as exc:
            raise BadRequest(exc.message, exc.fix, field="folder") from None
        written = []
        for entry in self.files(did):
            pfn = next(
                (
                    p["pfn"]
                    for scheme in ("https", "http")
                    for p in entry["replicas"]
                    if p["pfn"].startswith(scheme + "://")
                ),
                None,
            )
            if pfn is None:
                raise RucioError(
                    f"{entry['did']}: no replica reachable over HTTP(S)",
                    "bring it with a rule (options.rse) or ask the data lake's admins for an "
                    "HTTP door",
                )
            item = DataItem(
                service=self.name,
                access_url=pfn,
                checksum=f"md5:{entry['md5']}" if entry.get("md5") else None,
                title=entry["did"],
            )
            path = target / _UNSAFE.sub("_", entry["scope"]) / _UNSAFE.sub("_", entry["name"])
            try:
                fetch(item, path)
            except DownloadError as exc:
                raise RucioError(exc.message, exc.fix) from None
            expected = str(entry.get("adler32") or "").lower()
            actual = adler32_of(path) if expected else ""
            if actual != expected:
                path.unlink(missing_ok=True)
                raise RucioError(
                    f"{entry['did']}: adler32 {actual} does not match Rucio's {expected}; "
                    "the file was removed",
                    "bring it again",
                )
            written.append({"did": entry["did"], "path": str(path), "bytes": path.stat().st_size})
        return {"action": "download", "did": did, "folder": str(target), "files": written}


def lake(name: str, config: str | Path | None = None) -> RucioService:
    """The ``rucio`` service ``name`` of this lab, for notebooks.

    ``esap.data.rucio.lake("lake").bring("lofar:obs1")`` brings a dataset;
    ``.files(did)`` lists its files with their replicas.
    """
    from esap.core.public_config import public_config
    from esap.data.catalog import Catalog
    from esap.data.store import UserStore

    catalog = Catalog(public_config(config), UserStore())
    try:
        adapter = catalog.adapter(catalog.entry(name))
    except KeyError:
        raise BadRequest(
            f"no data service named {name!r}", "see esap.data.services() for the names"
        ) from None
    if not isinstance(adapter, RucioService):
        raise BadRequest(
            f"{name!r} is a {adapter.entry.type} service, not a Rucio data lake",
            "name a service of type rucio",
        )
    return adapter


def _best_pfn(replica: Mapping[str, Any]) -> str:
    """The first http(s) URL among a replica's PFNs ('' when none)."""
    pfns = list((replica.get("pfns") or {}).keys())
    for scheme in ("https", "http"):
        for pfn in pfns:
            if pfn.startswith(scheme + "://"):
                return str(pfn)
    return ""


_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # name, kind, description
    ("did", "str", "The data identifier, scope:name"),
    ("scope", "str", "Rucio scope"),
    ("name", "str", "Rucio name"),
    ("did_type", "str", "file, dataset or container"),
    ("dataset", "str", "The dataset or container the file was found in"),
    ("bytes", "int", "Size in bytes (-1: unknown)"),
    ("adler32", "str", "Rucio's adler32 checksum"),
    ("md5", "str", "Rucio's md5 checksum"),
    ("checksum", "str", "md5:<hex>, for the basket's download check"),
    ("rses", "str", "RSEs holding a replica"),
    ("access_url", "str", "A replica's HTTP(S) URL"),
    ("access_format", "str", "MIME type"),
    ("access_estsize", "float", "Size in kB"),
)


def _table(rows: list[dict[str, Any]]) -> Table:
    """Rows (dicts) as a Table with a fixed column set, described for the lab."""
    from astropy.table import Column, Table

    table = Table()
    for name, kind, description in _COLUMNS:
        values = [row.get(name) for row in rows]
        if kind == "int":
            data: list[Any] = [int(v) if v is not None else -1 for v in values]
        elif kind == "float":
            data = [float(v) if v is not None else float("nan") for v in values]
        else:
            data = [str(v) if v is not None else "" for v in values]
        dtype = {"int": "int64", "float": "float64", "str": "str"}[kind]
        column = Column(data, name=name, dtype=dtype, description=description)
        if name == "access_url":
            column.meta["ucd"] = "meta.ref.url"
        table.add_column(column)
    return table


__all__ = [
    "BadRequest",
    "RucioError",
    "RucioOptions",
    "RucioService",
    "TokenRefused",
    "adler32_of",
    "lake",
    "split_did",
]
