"""Search the whole Virtual Observatory at once: every service of the chosen kinds it lists.

A search request with an ``all_vo`` field (instead of ``services``)::

    {"target": "M31", "radius": 0.1,
     "all_vo": {"types": ["tap", "sia2", "scs"], "keywords": "galaxy", "waveband": "optical"}}

asks the registry (``all_vo.registry`` in ``esap.yaml``, else the first
``registry`` data service, else GAVO's) for the ObsCore TAP, SIAv2 and cone
search services matching the optional keywords and waveband — the kept
answer, see :mod:`esap.data.registry_cache` — and runs the usual federated
search (:class:`~esap.data.federation.Federation`) over all of them: at
most ``all_vo.concurrency`` at once, each within ``all_vo.timeout`` seconds
of its own start and for at most ``maxrec`` rows (``all_vo.maxrec`` unless
the request says). Rows are stored as they arrive, each service's in its own
result, and together in one combined, deduplicated result
(:mod:`esap.data.combined`).

The stream carries, besides the federation's events (each ``rows`` event
without rows, with how many were new to the combined view): ``registry``
(where the services came from and how old that answer is), ``combined``
(the combined result's id), and before ``done`` one ``summary``: every
service ranked by the rows it returned, its time, status and truncation,
the failed and timed-out ones together, last.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from esap.data.base import DataService, Query, ServiceEntry
from esap.data.combined import Combined, described_columns
from esap.data.failures import error_text
from esap.data.found import SearchResult
from esap.data.registry import DEFAULT_REGISTRY, WAVEBANDS
from esap.data.registry_cache import Lookup, RegistryCache, registry_lookup, service_key
from esap.data.request import BadField

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.data.catalog import Catalog
    from esap.data.federation import Federation
    from esap.data.results import ResultStore

#: The service types an all-VO search can ask, as the lab names them.
KINDS: dict[str, str] = {"tap": "ObsCore TAP", "sia2": "SIAv2", "scs": "cone search"}
#: What the stream says of each service (in the ``registry`` and ``summary`` events).
SERVICE_FIELDS = ("title", "type", "url", "ivoid", "description")
#: Seconds a registry look-up may take when no registry service says otherwise.
REGISTRY_TIMEOUT = 30.0
MAX_KEYWORDS = 200


@dataclass(frozen=True)
class AllVoSettings:
    """The admin's ``all_vo`` section (defaults when absent) and the registry it names."""

    registry: str = DEFAULT_REGISTRY
    registry_timeout: float = REGISTRY_TIMEOUT
    concurrency: int = 32
    timeout: float = 15.0
    maxrec: int = 1000
    max_services: int = 500
    cache_max_age: float = 86400.0

    @classmethod
    def of(cls, catalog: Catalog) -> AllVoSettings:
        """The settings of the hub's config, the registry from it or from its services."""
        section = catalog.config.get("all_vo")
        section = section if isinstance(section, Mapping) else {}
        registries = [e for e in catalog.entries() if e.type == "registry" and not e.error]
        defaults = cls()
        return cls(
            registry=str(
                section.get("registry") or (registries[0].url if registries else DEFAULT_REGISTRY)
            ).rstrip("/"),
            registry_timeout=registries[0].timeout if registries else REGISTRY_TIMEOUT,
            concurrency=int(section.get("concurrency", defaults.concurrency)),
            timeout=float(section.get("timeout", defaults.timeout)),
            maxrec=int(section.get("maxrec", defaults.maxrec)),
            max_services=int(section.get("max_services", defaults.max_services)),
            cache_max_age=float(section.get("cache_max_age", defaults.cache_max_age)),
        )


@dataclass(frozen=True)
class AllVoRequest:
    """What the ``all_vo`` field asks: service types, and optional keywords and waveband."""

    types: tuple[str, ...] = tuple(KINDS)
    keywords: str | None = None
    waveband: str | None = None


def parse_all_vo(value: Any) -> AllVoRequest:
    """The ``all_vo`` field checked; :class:`BadField` names what is wrong (``all_vo.types``)."""
    if not isinstance(value, Mapping):
        raise BadField(
            "all_vo", value, "not an object", 'give all_vo as {"types": ["tap", "sia2", "scs"]}'
        )
    unknown = sorted(set(value) - {"types", "keywords", "waveband"})
    if unknown:
        raise BadField(
            f"all_vo.{unknown[0]}", value[unknown[0]], "unknown field",
            "use only types, keywords and waveband",
        )  # fmt: skip
    types_fix = f"give types as a list of {', '.join(KINDS)}"
    raw = value.get("types")
    types: list[str] = []
    if raw is None:
        types = list(KINDS)
    elif isinstance(raw, str) or not isinstance(raw, Sequence):
        raise BadField("all_vo.types", raw, "not a list", types_fix)
    else:
        for kind in raw:
            if kind not in KINDS:
                raise BadField("all_vo.types", kind, "not a type an all-VO search asks", types_fix)
            if kind not in types:
                types.append(kind)
        if not types:
            raise BadField("all_vo.types", raw, "empty", types_fix)
    keywords = value.get("keywords")
    if keywords is not None and not isinstance(keywords, str):
        raise BadField("all_vo.keywords", keywords, "not text", "give keywords as words, or null")
    keywords = (keywords or "").strip() or None
    if keywords is not None and len(keywords) > MAX_KEYWORDS:
        raise BadField(
            "all_vo.keywords", keywords, f"longer than {MAX_KEYWORDS} characters", "use fewer words"
        )
    waveband = value.get("waveband")
    if waveband is not None and (not isinstance(waveband, str) or waveband not in WAVEBANDS):
        raise BadField(
            "all_vo.waveband", waveband, "not a waveband", f"use one of {', '.join(WAVEBANDS)}"
        )
    return AllVoRequest(tuple(types), keywords, waveband or None)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].rstrip("-") or "service"


def search_order(
    services: list[dict[str, Any]], expected: Mapping[str, float], fast: int = 1
) -> list[int]:
    """The order to start ``services`` in: the ``fast`` fastest, then the slowest first.

    With more services than workers, a slow service started last makes the
    whole search wait for it, so the others start slowest first (by how long
    each took last time, a time-out counting as its whole time-out; longest
    job first, the classic bound on the makespan), and services never seen
    before them (they may be slow). The few fastest go first of all, so the
    first rows still arrive at once.
    """
    unknown = [i for i, s in enumerate(services) if s["key"] not in expected]
    known = sorted(
        (i for i, s in enumerate(services) if s["key"] in expected),
        key=lambda i: expected[services[i]["key"]],
    )
    first = known[: min(fast, len(known))]
    return first + unknown + known[len(first) :][::-1]


@dataclass
class AllVoSearch:
    """The all-VO part of one prepared search: its services, combined view and summary."""

    settings: AllVoSettings
    request: AllVoRequest
    #: The services to ask, in the order to start them: name, title, type, url, ivoid, key.
    services: list[dict[str, Any]]
    #: How many services the registry listed (before ``max_services``).
    matched: int
    age: float
    refreshing: bool
    combined: Combined
    cache: RegistryCache
    _federation: Federation | None = field(default=None, repr=False)

    @classmethod
    def prepare(
        cls,
        catalog: Catalog,
        request: AllVoRequest,
        store: ResultStore | None,
        *,
        cache: RegistryCache | None = None,
        lookup: Lookup | None = None,
    ) -> AllVoSearch:
        """Find the services (the kept registry answer, or the registry's now) and order them.

        The registry's failure, when there is no kept answer, is raised as
        the registry's error (``esap.data.failures``): nothing can be searched.
        """
        from esap.data.failures import failure

        settings = AllVoSettings.of(catalog)
        cache = cache or RegistryCache()
        lookup = lookup or registry_lookup(settings.registry_timeout)
        found: list[dict[str, Any]] = []
        ages, refreshing = [], False
        for kind in request.types:
            try:
                kept = cache.services(
                    lookup,
                    settings.registry,
                    kind,
                    request.keywords,
                    request.waveband,
                    max_age=settings.cache_max_age,
                    maxrec=settings.max_services,
                )
            except Exception as exc:
                raise failure(
                    exc, "the registry", settings.registry, settings.registry_timeout
                ) from None
            found.extend(s for s in kept.services if s.get("type") == kind)
            ages.append(kept.age)
            refreshing = refreshing or kept.refreshing
        services = _unique(found)
        matched = len(services)
        services = services[: settings.max_services]
        expected = cache.expected([s["key"] for s in services])
        fast = max(1, settings.concurrency // 8)
        ordered = [services[i] for i in search_order(services, expected, fast)]
        return cls(
            settings=settings,
            request=request,
            services=ordered,
            matched=matched,
            age=max(ages, default=0.0),
            refreshing=refreshing,
            combined=Combined(store),
            cache=cache,
        )

    def adapters(self, catalog: Catalog) -> list[DataService]:
        """One adapter per service, with the all-VO time-out (built like the hub's services)."""
        return [
            catalog.adapter(
                ServiceEntry(
                    name=s["name"],
                    type=s["type"],
                    url=s["url"],
                    title=s["title"],
                    description=s.get("description", ""),
                    timeout=self.settings.timeout,
                    source="registry",
                )
            )
            for s in self.services
        ]

    def query(self, query: Query) -> Query:
        """The query each service gets: at most ``all_vo.maxrec`` rows unless it says."""
        if query.maxrec is not None:
            return query
        return dataclasses.replace(query, maxrec=self.settings.maxrec)

    def attach(self, federation: Federation) -> None:
        """Make ``federation`` this all-VO search: its bound, combined view and summary.

        Its ``rows`` events carry no rows: the combined view shows them, and
        a hundred first pages would make the stream hold what the result
        cache is for.
        """
        federation.concurrency = self.settings.concurrency
        federation.page_size = 0
        federation.on_table = self.combined.add
        federation.closing = self.closing
        self._federation = federation

    def extra_events(self) -> list[dict[str, Any]]:
        """The ``registry`` and ``combined`` events, sent after ``started``."""
        return [
            {
                "event": "registry",
                "registry": self.settings.registry,
                "types": list(self.request.types),
                "keywords": self.request.keywords,
                "waveband": self.request.waveband,
                "services": [
                    {"service": s["name"], **{k: s[k] for k in SERVICE_FIELDS}}
                    for s in self.services
                ],
                "matched": self.matched,
                "age_s": round(self.age, 1),
                "refreshing": self.refreshing,
            },
            {
                "event": "combined",
                "result_id": self.combined.result_id,
                "columns": described_columns(),
            },
        ]

    def closing(self) -> list[dict[str, Any]]:
        """After the last service: the combined view whole, timings kept, the summary event."""
        self.combined.close()
        summary = self.summary()
        self.cache.remember(
            {
                service_key(s["type"], s["url"]): (s["duration_ms"], s["state"])
                for s in summary["services"]
            }
        )
        return [summary]

    def summary(self) -> dict[str, Any]:
        """Every service ranked: most rows first, then fastest; the failed ones last, by name."""
        federation = self._federation
        if federation is None:
            raise RuntimeError("the all-VO search was not attached to a federation")
        ranked = []
        for service in self.services:
            name = service["name"]
            outcome = federation.outcomes.get(name)
            event = outcome.event if outcome else None
            entry: dict[str, Any] = {key: service[key] for key in SERVICE_FIELDS}
            entry["service"] = name
            entry["duration_ms"] = round(federation.durations.get(name, 0.0) * 1000, 1)
            if event is not None and event["event"] == "rows":
                entry.update(
                    state="rows",
                    rows=event["total"],
                    unique=event.get("unique", 0),
                    duplicates=event.get("duplicates", 0),
                    truncated=event["truncated"],
                )
            else:
                code = event["code"] if event else "timed_out"
                entry.update(
                    state="timed_out" if code == "timed_out" else "error",
                    rows=0, unique=0, duplicates=0, truncated=False, code=code,
                    message=error_text(event) if event else "no answer",
                )  # fmt: skip
            ranked.append(entry)
        ranked.sort(
            key=lambda e: (
                (False, -e["rows"], e["duration_ms"], "")
                if e["state"] == "rows"
                else (True, 0, 0.0, e["service"])
            )
        )
        return {
            "event": "summary",
            "search_id": federation.search_id,
            "combined": {
                "result_id": self.combined.result_id,
                "total": self.combined.total,
                "duplicates": self.combined.duplicates,
            },
            "answered": sum(1 for e in ranked if e["state"] == "rows"),
            "failed": sum(1 for e in ranked if e["state"] != "rows"),
            "services": ranked,
        }

    def result(self, found: SearchResult) -> AllVoResult:
        """What a notebook gets: the search's tables and errors, the combined view, the ranking."""
        return AllVoResult(
            tables=found.tables,
            errors=found.errors,
            resolved=found.resolved,
            elapsed=found.elapsed,
            combined_table=self.combined.table(),
            ranking=self.summary()["services"],
        )


def _unique(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The registry's entries once per type and URL, each with a name of its own and a key."""
    services: list[dict[str, Any]] = []
    seen: set[str] = set()
    names: set[str] = set()
    for entry in found:
        key = service_key(entry["type"], entry["url"])
        if key in seen:
            continue
        seen.add(key)
        base = f"{_slug(entry.get('title') or entry['ivoid'])}-{entry['type']}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.add(name)
        services.append(
            {
                "name": name,
                "title": str(entry.get("title") or name),
                "type": entry["type"],
                "url": entry["url"],
                "ivoid": str(entry.get("ivoid", "")),
                "description": str(entry.get("description") or ""),
                "key": key,
            }
        )
    return services


@dataclass
class AllVoResult(SearchResult):
    """What :func:`esap.data.search_all_vo` found.

    ``combined`` is one row per product (duplicates across services left
    out) with the common columns and the service that gave it; ``summary``
    ranks the services by rows returned, with their time, status and
    truncation; ``tables`` and ``errors`` are per service, as for a search.
    """

    combined_table: Any = None
    ranking: list[dict[str, Any]] = field(default_factory=list)

    @property
    def combined(self) -> Table:
        """Every service's products once, in the combined view's columns."""
        return self.combined_table

    @property
    def summary(self) -> Table:
        """The services ranked: rows, unique, duplicates, truncated, time, state, message."""
        from astropy.table import Table

        names = ["service", "type", "state", "rows", "unique", "duplicates", "truncated",
                 "duration_ms", "title", "url", "message"]  # fmt: skip
        rows = [[e.get(n, "") if n != "message" else e.get(n) or "" for n in names]
                for e in self.ranking]  # fmt: skip
        dtypes = [str, str, str, int, int, int, bool, float, str, str, str]
        return Table(rows=rows or None, names=names, dtype=dtypes)

    @property
    def failed(self) -> dict[str, str]:
        """The services that failed or timed out, with why, in one mapping."""
        return {e["service"]: e.get("message", "") for e in self.ranking if e["state"] != "rows"}

    def __repr__(self) -> str:
        answered = [e for e in self.ranking if e["state"] == "rows"]
        lines = [
            f"AllVoResult: {len(self.combined)} products from {len(answered)} of "
            f"{len(self.ranking)} services in {self.elapsed:.1f} s"
        ]
        lines += [
            f"  {e['service']}: {e['rows']} rows ({e['unique']} new)"
            + (" truncated" if e["truncated"] else "")
            for e in answered[:10]
        ]
        if len(answered) > 10:
            lines.append(f"  ... and {len(answered) - 10} more")
        if self.failed:
            lines.append(
                f"  {len(self.failed)} failed or timed out: {', '.join(sorted(self.failed))}"
            )
        return "\n".join(lines)


__all__ = [
    "KINDS",
    "AllVoRequest",
    "AllVoResult",
    "AllVoSearch",
    "AllVoSettings",
    "parse_all_vo",
    "search_order",
]
