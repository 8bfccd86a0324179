"""The JSON answers of the REST API, as typed models: what a handler may answer.

Each model is the shape ``openapi.yaml`` documents for one operation's
answer (:data:`ANSWERS`, by operation and status; ``tests/test_openapi_models.py``
holds the two together, as it does the request bodies of
``esap.server.bodies``). A handler answers through
``EsapHandler.write_answer(Model, data)``, which checks ``data`` against the
model before anything is sent: an answer the document does not describe (a
property it does not list, a wrong JSON type, a required property missing) is
a fault of the server (a 500 with a traceback in the log), not a surprise for
a client.

An answer lists every property it may have: a model refuses any other
(``extra="forbid"``), where the document leaves ``additionalProperties``
open only because the API grows by adding properties. Objects the document
keeps free (a codemeta document, a job's parameters, the RO-Crate) are free
here too. Values are checked as they go on the wire: strict JSON types, an
integer written ``3.0`` counts as one (JSON Schema's integer), and a property
the document makes optional but not nullable is left out rather than
``null`` (:data:`~esap.server.bodies.Omittable`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from esap.server.bodies import JsonInt, Omittable, SearchBody


class Answer(BaseModel):
    """An answer (or a part of one): strict JSON types, no property the document does not list."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


#: A JSON object the document leaves free.
Free = dict[str, Any]

# ---------------------------------------------------------------- errors


class FieldProblemAnswer(Answer):
    """One field at fault: its key path, what is wrong, what to do."""

    field: str
    message: str
    fix: str


class ErrorDetail(Answer):
    """The ``error`` object of every error answer (``esap.server.base.error_body``)."""

    code: str
    message: str
    fix: str
    field: Omittable[str] = None
    problems: Omittable[list[FieldProblemAnswer]] = None


class ErrorAnswer(Answer):
    """``Error``: the one body of every error of every endpoint."""

    error: ErrorDetail


# ---------------------------------------------------------------- data


class DataServiceAnswer(Answer):
    """``DataService``: a service the user can search, with its adapter's abilities."""

    name: str
    title: str
    type: str
    description: str
    enabled: bool
    url: str
    source: Literal["admin", "user"]
    query_schema: Free
    capabilities: list[Literal["search", "adql", "async", "tables", "files", "bring", "token"]]
    error: Omittable[str] = None
    accepts_token: Omittable[bool] = None


class DataServicesAnswer(Answer):
    """``GET data/services``."""

    services: list[DataServiceAnswer]


class TableColumn(Answer):
    """A column of a TAP table."""

    name: Omittable[str] = None
    datatype: Omittable[str] = None
    unit: Omittable[str] = None
    ucd: Omittable[str] = None
    description: Omittable[str] = None


class Table(Answer):
    """A TAP table and its columns."""

    name: str
    description: str
    columns: list[TableColumn]


class TablesAnswer(Answer):
    """``GET data/services/{name}/tables``."""

    tables: list[Table]


class ServiceTokenAnswer(Answer):
    """``GET data/services/{name}/token``: the token's state, never the token."""

    service: str
    accepts_token: bool
    has_token: bool


class Column(Answer):
    """``Column``: a column of a result, with the role ESAP gave it."""

    name: str
    datatype: str
    unit: str | None
    ucd: str | None
    description: str | None
    role: Literal["access_url", "preview", "ra", "dec", "format", "region"] | None


#: A cell of a result row.
Cell = str | float | bool | None


class RowsEvent(Answer):
    """``RowsEvent``: one service's first page (and ``POST data/adql``'s answer)."""

    event: Literal["rows"]
    service: str
    result_id: str | None
    columns: list[Column]
    rows: list[list[Cell]]
    total: JsonInt
    truncated: bool
    elapsed_ms: float
    #: An all-VO search's: rows new to the combined view, and rows other services gave first.
    unique: Omittable[JsonInt] = None
    duplicates: Omittable[JsonInt] = None


class StartedEvent(Answer):
    """The search stream's first line."""

    event: Literal["started"]
    search_id: str
    services: list[str]


class ResolvedAnswer(Answer):
    """``Resolved``: a target name as ICRS coordinates (``GET data/resolve``)."""

    target: str
    ra: float
    dec: float
    resolver: str


class ResolvedEvent(ResolvedAnswer):
    """The search stream's line for a resolved target."""

    event: Literal["resolved"]


class ServiceErrorEvent(Answer):
    """The search stream's line for a service that failed."""

    event: Literal["error"]
    service: str
    code: str
    message: str
    fix: str
    elapsed_ms: float


class DoneEvent(Answer):
    """The search stream's last line."""

    event: Literal["done"]
    search_id: str
    elapsed_ms: float


class VoService(Answer):
    """A service an all-VO search asks, as the registry lists it."""

    service: str
    title: str
    type: str
    url: str
    ivoid: str
    description: str


class RegistryEvent(Answer):
    """An all-VO search's line: where its services come from, and how old that answer is."""

    event: Literal["registry"]
    registry: str
    types: list[Literal["tap", "sia2", "scs"]]
    keywords: str | None
    waveband: str | None
    services: list[VoService]
    matched: JsonInt
    age_s: float
    refreshing: bool


class CombinedEvent(Answer):
    """An all-VO search's line: the combined result, which grows as services answer."""

    event: Literal["combined"]
    result_id: str | None
    columns: list[Column]


class CombinedSummary(Answer):
    """The combined result at the end of an all-VO search."""

    result_id: str | None
    total: JsonInt
    duplicates: JsonInt


class ServiceSummary(Answer):
    """One service of an all-VO search, as its summary ranks it."""

    service: str
    title: str
    type: str
    url: str
    ivoid: str
    description: str
    state: Literal["rows", "error", "timed_out"]
    rows: JsonInt
    unique: JsonInt
    duplicates: JsonInt
    truncated: bool
    duration_ms: float
    code: Omittable[str] = None
    message: Omittable[str] = None


class SummaryEvent(Answer):
    """An all-VO search's line before ``done``: every service ranked by rows returned."""

    event: Literal["summary"]
    search_id: str
    combined: CombinedSummary
    answered: JsonInt
    failed: JsonInt
    services: list[ServiceSummary]


class SearchEvent(RootModel[Any]):
    """``SearchEvent``: one line of the search stream, by its ``event``."""

    root: Annotated[
        StartedEvent
        | ResolvedEvent
        | RegistryEvent
        | CombinedEvent
        | RowsEvent
        | ServiceErrorEvent
        | SummaryEvent
        | DoneEvent,
        Field(discriminator="event"),
    ]


class ResultPageAnswer(Answer):
    """``GET data/results/{result_id}``: one page of a stored answer."""

    result_id: str
    service: str
    columns: list[Column]
    rows: list[Annotated[list[Any], WithJsonSchema({"type": "array"})]]
    offset: JsonInt
    limit: JsonInt
    total: JsonInt


class SearchRequestAnswer(SearchBody):
    """``SearchRequest`` as the history keeps it: the body the search was asked with.

    The same fields and rules as the request (``bodies.SearchBody``, closed
    and strict like every answer), so the two cannot drift apart.
    """


class PastSearch(Answer):
    """A past search: what was asked and what came back, per service."""

    id: str
    created: str
    request: SearchRequestAnswer
    summary: dict[str, JsonInt | str]


class HistoryAnswer(Answer):
    """``GET data/history``."""

    history: list[PastSearch]


class Replica(Answer):
    """Where a data lake keeps a copy of a file."""

    rse: str
    pfn: str


class LakeFile(Answer):
    """A file of a data lake's DID."""

    did: str
    scope: str
    name: str
    bytes: JsonInt | None = None
    adler32: str | None = None
    md5: str | None = None
    replicas: list[Replica]


class LakeFilesAnswer(Answer):
    """``GET data/services/{name}/files``."""

    files: list[LakeFile]


class BroughtFile(Answer):
    """A file brought into the home."""

    did: Omittable[str] = None
    path: Omittable[str] = None
    bytes: Omittable[JsonInt] = None


class BroughtAnswer(Answer):
    """``POST data/services/{name}/bring``: a replication rule made, or files downloaded."""

    action: Literal["rule", "download"]
    did: str
    rse: Omittable[str] = None
    rule_id: Omittable[str] = None
    state: Omittable[str] = None
    mount: str | None = None
    folder: Omittable[str] = None
    files: Omittable[list[BroughtFile]] = None


class RegistryService(Answer):
    """A service the IVOA registry lists."""

    ivoid: str
    title: str
    description: str
    type: str
    url: str
    waveband: list[str]


class RegistryAnswer(Answer):
    """``GET data/registry``."""

    services: list[RegistryService]


# ---------------------------------------------------------------- basket


class BasketSummary(Answer):
    """``BasketSummary``: what a basket listing shows of an item."""

    id: Omittable[str] = None
    kind: Omittable[Literal["data", "service", "software"]] = None
    label: Omittable[str] = None
    title: Omittable[str] = None
    notes: Omittable[str] = None
    group: Omittable[str] = None
    added: Omittable[str] = None
    service: str | None = None
    access_url: str | None = None
    format: str | None = None
    size: JsonInt | None = None


class BasketPage(Answer):
    """``GET basket``: a page, the total that matched, the counts per kind, the groups."""

    items: list[BasketSummary]
    total: JsonInt
    offset: JsonInt
    limit: JsonInt
    counts: dict[str, JsonInt]
    groups: list[str]


class AddedAnswer(Answer):
    """``POST basket`` and ``POST basket/import``: the items' ids and the basket's size."""

    ids: Omittable[list[str]] = None
    total: Omittable[JsonInt] = None


class _Envelope(Answer):
    """What every basket item has, whatever its kind."""

    id: Omittable[str] = None
    title: Omittable[str] = None
    notes: Omittable[str] = None
    group: Omittable[str] = None
    added: Omittable[str] = None


class DataItem(_Envelope):
    """A basket item: one record a data service returned."""

    kind: Literal["data"]
    service: str
    access_url: str | None = None
    format: str | None = None
    size: JsonInt | None = None
    checksum: str | None = None
    query: Free | str | None = None
    fields: Omittable[dict[str, str | float | bool | None]] = None


class ServiceItem(_Envelope):
    """A basket item: a data service."""

    kind: Literal["service"]
    service: str
    type: Omittable[str] = None
    url: str | None = None
    description: Omittable[str] = None


class SoftwareItem(_Envelope):
    """A basket item: an entry of a software catalogue."""

    kind: Literal["software"]
    catalogue: str
    identifier: str
    repository: str | None = None
    ref: str | None = None
    url: str | None = None
    version: str | None = None
    licence: str | None = None
    languages: Omittable[list[str]] = None
    description: Omittable[str] = None


class BasketItemAnswer(RootModel[Any]):
    """``BasketItem``: one item with every field, by its ``kind``."""

    root: Annotated[DataItem | ServiceItem | SoftwareItem, Field(discriminator="kind")]


class RemovedAnswer(Answer):
    """``POST basket/remove``."""

    removed: Omittable[JsonInt] = None


class ChangedAnswer(Answer):
    """``POST basket/group``."""

    changed: Omittable[JsonInt] = None


class CellAnswer(Answer):
    """``POST basket/cell``: Python source for one code cell."""

    code: str


class FreeObject(RootModel[Free]):
    """A JSON object the document leaves free (a basket file, this API's own description)."""


# ---------------------------------------------------------------- SAMP


class LinkAnswer(Answer):
    """``POST samp/links``: a link a desktop tool fetches one table from."""

    id: str
    path: str
    name: str
    table_id: str
    expires: float


class ReceivedAnswer(Answer):
    """``POST samp/received``: the basket item made of a table a tool sent."""

    id: Omittable[str] = None
    name: Omittable[str] = None
    rows: Omittable[JsonInt] = None
    columns: Omittable[list[str]] = None
    total: Omittable[JsonInt] = None


# ---------------------------------------------------------------- config, tutorials


class ConfigWarning(Answer):
    """A user file set aside for its problems."""

    code: Literal["bad_user_config"]
    file: str
    message: str
    fix: str
    problems: list[FieldProblemAnswer]


class Entry(Answer):
    """``Entry``: a data service, software catalogue or archive the hub offers."""

    name: str
    title: str
    type: str
    description: str
    enabled: Omittable[bool] = None
    url: str | None = None
    options: Omittable[Free] = None
    error: Omittable[str] = None
    timeout: Omittable[float] = None
    path: str | None = None
    community: str | None = None


class Profile(Answer):
    """``Profile``: a server profile."""

    name: str
    display_name: str | None = None
    description: Omittable[str] = None
    default: Omittable[bool] = None


class DaskLimits(Answer):
    """``DaskLimits``: what a user may use of Dask (``null``: no limit)."""

    max_clusters: JsonInt | None = None
    max_cores: float | None = None
    max_memory: JsonInt | None = None


class DaskConfig(Answer):
    """Whether Dask is on, and its limits."""

    enabled: Omittable[bool] = None
    limits: Omittable[DaskLimits] = None
    group_limits: Omittable[dict[str, DaskLimits]] = None


class PublicConfigAnswer(Answer):
    """``PublicConfig``: what this hub offers (``GET config``); never a secret."""

    title: str
    version: str
    source: str
    warnings: list[ConfigWarning]
    data_services: list[Entry]
    software_catalogues: list[Entry]
    archives: list[Entry]
    profiles: Omittable[list[Profile]] = None
    dask: Omittable[DaskConfig] = None
    home_quota: JsonInt | None = None
    resolver: Omittable[Free] = None
    sky_view: Omittable[Free] = None
    fetch: Omittable[Free] = None
    all_vo: Omittable[Free] = None


class TutorialsAnswer(Answer):
    """``POST tutorials/copy``: what was copied and what was kept."""

    folder: str
    copied: list[str]
    kept: list[str]
    first: str | None


# ---------------------------------------------------------------- usage


class HomeUsage(Answer):
    """The home against its quota."""

    path: str
    bytes: JsonInt
    files: JsonInt
    mounts_skipped: Omittable[JsonInt] = None
    unreadable: Omittable[JsonInt] = None
    measured_at: float
    quota: JsonInt | None
    share: float | None
    warn: bool


class ServerUsage(Answer):
    """One of the user's servers."""

    name: str
    ready: bool
    pending: str | None = None
    started: str | None
    last_activity: str | None = None
    running_seconds: JsonInt | None
    url: str | None = None


class ClusterUsage(Answer):
    """One of the user's Dask clusters."""

    name: str
    status: str
    started: str | None = None
    workers: JsonInt | None
    cores: float
    memory: JsonInt


class DaskInUse(Answer):
    """What the user's clusters hold together."""

    clusters: Omittable[JsonInt] = None
    cores: Omittable[float] = None
    memory: Omittable[JsonInt] = None


class LimitValue(Answer):
    """One Dask limit and its ``esap.yaml`` key."""

    value: float | None = None
    key: Omittable[str] = None


class DaskUsage(Answer):
    """The user's Dask clusters and limits."""

    enabled: bool
    clusters: list[ClusterUsage]
    in_use: DaskInUse | None
    limits: dict[str, LimitValue] | None


class JobProgressUsage(Answer):
    """How far a running job is."""

    done: Omittable[JsonInt] = None
    total: JsonInt | None = None
    message: Omittable[str] = None


class JobUsage(Answer):
    """A job pending or running."""

    kind: str
    id: str
    state: Literal["pending", "running"]
    about: str | None = None
    progress: JobProgressUsage
    created: str


class UsageProblem(Answer):
    """A part of the usage that could not be read."""

    part: Literal["servers", "dask"]
    code: str
    message: str
    fix: str


class UsageAnswer(Answer):
    """``Usage``: the home, servers, Dask clusters and jobs (``GET usage``)."""

    user: str | None
    measured_at: float
    home: HomeUsage
    servers: list[ServerUsage]
    dask: DaskUsage
    jobs: list[JobUsage]
    problems: list[UsageProblem]


# ---------------------------------------------------------------- jobs

JobKind = Literal[
    "crossmatch", "cutout", "download", "launch", "publish", "query", "reproduce", "run", "view"
]


class JobProgress(Answer):
    """A job's progress: units done of the total, and what it does now."""

    done: JsonInt
    total: JsonInt | None
    message: str


class JobError(Answer):
    """Why a job failed."""

    code: str
    message: str
    fix: str
    field: Omittable[str] = None


class JobAnswer(Answer):
    """``Job``: every long task of the user, whatever its kind."""

    kind: JobKind
    id: str
    state: Literal["pending", "running", "done", "error", "cancelled"]
    progress: JobProgress
    params: Free
    result: Free | None
    error: JobError | None
    created: str
    updated: str


class JobListAnswer(Answer):
    """``JobList``: the jobs of one kind, newest first."""

    jobs: list[JobAnswer]


class JobEvent(JobAnswer):
    """``JobEvent``: a line of a job's event stream."""

    type: Literal["progress", "done"]


#: The phase of a UWS job, as the service says it.
UwsPhase = Literal["PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED"]


class QueryParams(Answer):
    """What an asynchronous query was asked."""

    service: Omittable[str] = None
    query: Omittable[str] = None
    maxrec: JsonInt | None = None


class QueryResult(Answer):
    """How far an asynchronous query is, and where its rows are."""

    phase: Omittable[UwsPhase] = None
    job_url: Omittable[str] = None
    result_id: str | None = None
    problem: str | None = None


class QueryJobAnswer(JobAnswer):
    """``QueryJob``: an asynchronous TAP query."""

    params: QueryParams  # type: ignore[assignment]  # the kind's own shape of the field
    result: QueryResult  # type: ignore[assignment]


class DownloadParams(Answer):
    """What a download was asked."""

    ids: Omittable[list[str]] = None
    folder: Omittable[str] = None


class DownloadFile(Answer):
    """One file of a download."""

    item: Omittable[str] = None
    name: Omittable[str] = None
    state: Omittable[Literal["pending", "running", "done", "error"]] = None
    size: JsonInt | None = None
    done: Omittable[JsonInt] = None
    error: str | None = None
    path: str | None = None


class DownloadResult(Answer):
    """Where a download goes and how far each file is."""

    folder: Omittable[str] = None
    files: Omittable[list[DownloadFile]] = None


class DownloadJobAnswer(JobAnswer):
    """``DownloadJob``: basket files into the home."""

    params: DownloadParams  # type: ignore[assignment]
    result: DownloadResult  # type: ignore[assignment]


class LaunchParams(Answer):
    """What a launch was asked."""

    repository: Omittable[str] = None
    ref: str | None = None
    name: Omittable[str] = None


class LaunchStep(Answer):
    """One step of a launch."""

    name: Omittable[Literal["pull", "requirements", "environment", "install", "kernel"]] = None
    state: Omittable[Literal["pending", "running", "done", "skipped", "error"]] = None
    output: Omittable[str] = None


class LaunchResult(Answer):
    """How far a launch is, and what it made."""

    repository: Omittable[str] = None
    ref: str | None = None
    name: Omittable[str] = None
    steps: Omittable[list[LaunchStep]] = None
    current: str | None = None
    failed: str | None = None
    folder: str | None = None
    kernel: str | None = None
    notebook: str | None = None


class LaunchJobAnswer(JobAnswer):
    """``LaunchJob``: Open in my lab."""

    params: LaunchParams  # type: ignore[assignment]
    result: LaunchResult  # type: ignore[assignment]


class PublishParams(Answer):
    """Which publication a run is of."""

    publication: Omittable[str] = None


class RecordRef(Answer):
    """The archive's record of a publication."""

    id: str | None = None
    url: str | None = None
    doi: str | None = None
    concept_doi: str | None = None


class PublishResult(Answer):
    """How far a publication's run is."""

    file: str | None = None
    published: Omittable[bool] = None
    record: Omittable[RecordRef] = None


class PublishJobAnswer(JobAnswer):
    """``PublishJob``: a publication's run."""

    params: PublishParams  # type: ignore[assignment]
    result: PublishResult | None  # type: ignore[assignment]


class RunParams(Answer):
    """What a headless run was asked."""

    notebook: str | None = None
    parameters: Omittable[Free] = None
    kernel: Omittable[str] = None


class FailedCell(Answer):
    """The cell a headless run failed in."""

    ename: Omittable[str] = None
    evalue: Omittable[str] = None
    cell: JsonInt | None = None
    cell_index: Omittable[JsonInt] = None


class RunResult(Answer):
    """Where a headless run writes, and how it ended."""

    output_dir: str | None = None
    executed_notebook: str | None = None
    log: str | None = None
    started: str | None = None
    finished: str | None = None
    pid: JsonInt | None = None
    host: str | None = None
    cell: FailedCell | None = None


class RunJobAnswer(JobAnswer):
    """``RunJob``: a notebook run headless."""

    params: RunParams  # type: ignore[assignment]
    result: RunResult  # type: ignore[assignment]


class ReproduceParams(Answer):
    """What a reproduction was asked."""

    source: Omittable[str] = None
    nearest: Omittable[bool] = None
    packages: Omittable[dict[str, str]] = None
    fresh: Omittable[bool] = None


class ReproduceStep(Answer):
    """One step of a reproduction, as far as it got."""

    name: Omittable[
        Literal["record", "files", "package", "environment", "inputs", "run", "compare", "report"]
    ] = None
    state: Omittable[Literal["pending", "running", "done", "warning", "failed", "skipped"]] = None
    message: Omittable[str] = None


class ReproducedRecord(Answer):
    """The record a reproduction is of."""

    archive: str | None = None
    id: str | None = None
    url: str | None = None
    title: str | None = None
    doi: str | None = None
    publication: str | None = None


class ReproduceResult(Answer):
    """How far a reproduction is, its verdict, and where its report is."""

    folder: str | None = None
    report_html: str | None = None
    report_json: str | None = None
    verdict: Omittable[Literal["running", "reproduced", "differs", "failed"]] = None
    summary: Omittable[str] = None
    record: Omittable[ReproducedRecord] = None
    run_job: str | None = None
    steps: Omittable[list[ReproduceStep]] = None


class ReproduceJobAnswer(JobAnswer):
    """``ReproduceJob``: a published record re-run and compared."""

    params: ReproduceParams  # type: ignore[assignment]
    result: ReproduceResult | None  # type: ignore[assignment]


class CrossmatchTable(Answer):
    """Which table a cross-match matched: a stored result, basket items, a file, a notebook's."""

    result_id: Omittable[str] = None
    basket_ids: Omittable[list[str]] = None
    path: Omittable[str] = None
    notebook: Omittable[str] = None
    basket_items: Omittable[JsonInt] = None


class CrossmatchParams(Answer):
    """What a cross-match was asked (``radius`` in arcsec; the position columns it used)."""

    service: str
    catalogue: str
    radius: float
    method: Literal["auto", "upload", "local"]
    table: CrossmatchTable
    ra_column: str
    dec_column: str
    columns: list[str]
    maxrec: JsonInt | None


class CrossmatchResult(Answer):
    """How a cross-match went: its method, then its rows in the result cache and counts."""

    method: Literal["upload", "local"]
    job_url: Omittable[str] = None
    result_id: Omittable[str] = None
    matches: Omittable[JsonInt] = None
    rows: Omittable[JsonInt] = None
    without_position: Omittable[JsonInt] = None
    matched_rows: Omittable[JsonInt] = None
    truncated: Omittable[bool] = None
    uploaded: JsonInt | None = None


class CrossmatchJobAnswer(JobAnswer):
    """``CrossmatchJob``: a user table matched by position against a TAP catalogue."""

    params: CrossmatchParams  # type: ignore[assignment]
    result: CrossmatchResult  # type: ignore[assignment]


class CutoutRegionAnswer(Answer):
    """The region a cutout job cuts (degrees, ICRS; band in metres, time in MJD)."""

    ra: float
    dec: float
    radius: float | None
    box: list[float] | None
    band: list[float] | None
    time: list[float] | None


class CutoutParams(Answer):
    """What a cutout job was asked."""

    item: Omittable[Free] = None
    region: Omittable[CutoutRegionAnswer] = None
    folder: Omittable[str] = None
    file: Omittable[str] = None
    basket: Omittable[bool] = None


class CutoutResult(Answer):
    """Where a cutout goes, and once written its path (in the home), size and SODA URL."""

    folder: Omittable[str] = None
    file: Omittable[str] = None
    product: Omittable[str] = None
    path: Omittable[str] = None
    size: Omittable[JsonInt] = None
    service: Omittable[str] = None
    url: Omittable[str] = None
    basket_item: str | None = None


class CutoutJobAnswer(JobAnswer):
    """``CutoutJob``: part of an image or cube cut by the archive's SODA service, as a file."""

    params: CutoutParams  # type: ignore[assignment]
    result: CutoutResult | None  # type: ignore[assignment]


class CutoutOptionsAnswer(Answer):
    """``POST data/cutouts/options``: what the product's SODA service can cut, and where."""

    service: str
    product: str
    did: str | None
    shapes: list[Literal["circle", "box"]]
    centre: list[float] | None
    covering: list[float] | None
    footprint: list[list[float]] | None
    band: list[float] | None
    time: list[float] | None


class ViewFetchParams(Answer):
    """What a view job was asked: the product's URL and what the archive said of it."""

    access_url: Omittable[str] = None
    format: str | None = None
    size: JsonInt | None = None
    checksum: str | None = None
    title: str | None = None


class ViewFetchResult(Answer):
    """The product a view job fetches: its id in the viewer's cache, its file's name and size."""

    product: Omittable[str] = None
    name: str | None = None
    size: JsonInt | None = None
    title: str | None = None


class ViewJobAnswer(JobAnswer):
    """``ViewJob``: a remote product fetched into the viewer's cache."""

    params: ViewFetchParams  # type: ignore[assignment]
    result: ViewFetchResult  # type: ignore[assignment]


# ---------------------------------------------------------------- view


class ViewHdu(Answer):
    """One HDU of a FITS file."""

    index: JsonInt
    name: str
    kind: str
    shape: list[JsonInt]
    image: bool


class ViewWcs(Answer):
    """An image's celestial WCS: its frame and axis types."""

    frame: str | None
    ctypes: list[str]


class ViewSpectral(Answer):
    """A cube's third axis: its world value at each plane (and as wavelengths in metres)."""

    ctype: str
    unit: str
    values: list[float]
    wavelengths: list[float] | None


class ViewInfoAnswer(Answer):
    """``GET view/info``: what the viewer needs to show a file."""

    name: str
    hdu: JsonInt
    hdus: list[ViewHdu]
    shape: list[JsonInt]
    width: JsonInt
    height: JsonInt
    planes: JsonInt
    bitpix: JsonInt
    bunit: str | None
    memory_mapped: bool
    tile_size: JsonInt
    levels: JsonInt
    wcs: ViewWcs | None
    no_wcs: str | None
    spectral: ViewSpectral | None
    header: str
    notes: list[str]
    version: str


class ViewLimitsAnswer(Answer):
    """``GET view/limits``: a plane's display range for an interval."""

    plane: JsonInt
    interval: str
    vmin: float
    vmax: float


class ViewWorldPosition(Answer):
    """A sky position in ICRS (and in the image's own frame when that is not equatorial)."""

    ra: float
    dec: float
    ra_hms: str
    dec_dms: str
    frame: str | None
    lon: Omittable[float] = None
    lat: Omittable[float] = None


class ViewSpectralValue(Answer):
    """A cube's spectral value at a plane."""

    value: float
    unit: str
    ctype: str


class ViewWorldAnswer(Answer):
    """``GET view/world``: the sky position, value and spectral value under the pointer."""

    x: float
    y: float
    plane: JsonInt
    value: float | None
    unit: str | None
    world: ViewWorldPosition | None
    no_wcs: str | None
    spectral: Omittable[ViewSpectralValue] = None


class ViewGridLine(Answer):
    """One grid line: a meridian (lon) or parallel (lat), as a pixel polyline."""

    axis: Literal["lon", "lat"]
    value: float
    label: str
    points: list[list[float]]


class ViewGridAnswer(Answer):
    """``GET view/grid``: the coordinate grid over a pixel box."""

    frame: str | None
    lines: list[ViewGridLine]
    no_wcs: str | None


class ViewPoint(Answer):
    """A result row placed on the image (0-based pixels)."""

    row: JsonInt
    x: float
    y: float


class ViewOverlayAnswer(Answer):
    """``POST view/overlay``: a stored result's rows on the image."""

    result_id: str
    total: JsonInt
    read: JsonInt
    on_image: JsonInt
    shown: JsonInt
    points: list[ViewPoint]


class ViewRegionAnswer(Answer):
    """``POST view/region``: a selection as a region of the sky (degrees; band in metres)."""

    shape: Literal["box", "circle"]
    ra: float
    dec: float
    radius: Omittable[float] = None
    width: Omittable[float] = None
    height: Omittable[float] = None
    band: Omittable[list[float]] = None


# ---------------------------------------------------------------- publish


class ValidationAnswer(Answer):
    """``POST publish/validate``: whether a publication is valid, and its problems."""

    valid: bool
    problems: list[FieldProblemAnswer]


class PackageFile(Answer):
    """A file of the package and its size."""

    name: Omittable[str] = None
    size: Omittable[JsonInt] = None


class PreviewAnswer(Answer):
    """``POST publish/preview``: the package that would be published."""

    archive: str
    needs_token: bool
    files: list[PackageFile]
    total_size: JsonInt
    package: list[str]
    inputs: Omittable[list[Free]] = None
    metadata: Omittable[Free] = None
    crate: Free


class Licence(Answer):
    """An SPDX licence."""

    id: Omittable[str] = None
    name: Omittable[str] = None


class ChoicesAnswer(Answer):
    """``GET publish/licenses``: the form's choices."""

    licenses: Omittable[list[Licence]] = None
    resource_types: Omittable[list[str]] = None
    relations: Omittable[list[str]] = None


class PublishedRecord(Answer):
    """Where a publication was published."""

    id: Omittable[str] = None
    url: Omittable[str] = None
    doi: str | None = None
    concept_doi: str | None = None


class PublishProgress(Answer):
    """How far a publication's upload is."""

    step: Omittable[str] = None
    sent: Omittable[JsonInt] = None
    total: Omittable[JsonInt] = None
    file: str | None = None


class PublicationAnswer(Answer):
    """``Publication``: a publication's state, progress and record."""

    id: str
    title: str
    archive: str
    state: Literal[
        "prepared",
        "draft_requested",
        "draft",
        "uploaded",
        "metadata_set",
        "publish_requested",
        "published",
    ]
    state_text: Omittable[str] = None
    published: bool
    running: bool
    error: str | None = None
    fix: str | None = None
    files: Omittable[list[str]] = None
    version_of: str | None = None
    draft_url: str | None = None
    created: Omittable[float] = None
    updated: Omittable[float] = None
    record: PublishedRecord | None = None
    progress: PublishProgress | None = None


class PublicationsAnswer(Answer):
    """``GET publish/publications``: the user's journal, newest first."""

    publications: Omittable[list[PublicationAnswer]] = None


class ArchiveToken(Answer):
    """Whether an archive needs the user's token, and whether one is stored."""

    archive: Omittable[str] = None
    needs_token: Omittable[bool] = None
    has_token: Omittable[bool] = None


class ArchiveTokensAnswer(Answer):
    """``GET publish/tokens``."""

    archives: Omittable[list[ArchiveToken]] = None


# ---------------------------------------------------------------- software


class Catalogue(Answer):
    """A software catalogue the hub offers."""

    name: Omittable[str] = None
    title: Omittable[str] = None
    type: Omittable[str] = None
    description: Omittable[str] = None
    enabled: Omittable[bool] = None
    binderhub: Omittable[bool] = None
    error: Omittable[str] = None


class CataloguesAnswer(Answer):
    """``GET software/catalogues``."""

    catalogues: Omittable[list[Catalogue]] = None


class SoftwareRecordAnswer(Answer):
    """``SoftwareRecord``: a hit of a software search, or one record's details."""

    catalogue: Omittable[str] = None
    identifier: Omittable[str] = None
    name: Omittable[str] = None
    description: Omittable[str] = None
    version: str | None = None
    licence: str | None = None
    languages: Omittable[list[str]] = None
    runtimes: Omittable[list[str]] = None
    keywords: Omittable[list[str]] = None
    authors: Omittable[list[str]] = None
    repository: str | None = None
    ref: str | None = None
    url: str | None = None
    doi: str | None = None
    publications: Omittable[list[str]] = None
    codemeta: Omittable[Free] = None
    binder_url: str | None = None
    basket_item: Omittable[Free] = None


class SoftwareHitsAnswer(Answer):
    """``GET software/search``: the hits, and the catalogues that failed."""

    hits: Omittable[list[SoftwareRecordAnswer]] = None
    errors: Omittable[dict[str, str]] = None
    catalogues: Omittable[list[str]] = None


#: A model of an answer: an object with named properties, or a root (a union, a free object).
# ---------------------------------------------------------------- projects, sharing


class ProjectBasketState(Answer):
    """A project's shared basket at a glance: its size, who changed it last and when."""

    count: JsonInt
    updated_by: str | None
    updated_at: str | None


class ProjectAnswer(Answer):
    """``Project``: one project of the user's, with their access and its basket."""

    name: str
    title: str
    description: str
    access: Literal["read", "write"]
    path: str
    read_groups: list[str]
    write_groups: list[str]
    size: str | None
    basket: ProjectBasketState


class ProjectsAnswer(Answer):
    """``GET projects``."""

    projects: list[ProjectAnswer]


class ProjectBasketAnswer(Answer):
    """``GET projects/{name}/basket``: a page of the project's shared basket."""

    project: str
    access: Literal["read", "write"]
    count: JsonInt
    updated_by: str | None
    updated_at: str | None
    offset: JsonInt
    limit: JsonInt
    items: list[BasketItemAnswer]


class PublishedAnswer(Answer):
    """``POST projects/{name}/basket``: how many were sent, how many the basket holds."""

    project: str
    published: JsonInt
    count: JsonInt


class ShareAnswer(Answer):
    """``Share``: this lab shared with a user or a group, how, since and until when."""

    kind: Literal["user", "group"]
    name: str
    access: Literal["read", "full"]
    created_at: float | None
    expires_at: float | None


class ShareLinkAnswer(Answer):
    """``ShareLink``: a link to this lab (a JupyterHub share code), until when, how often used."""

    id: str
    access: Literal["read", "full"]
    created_at: float | None
    expires_at: float | None
    exchange_count: JsonInt
    accept_url: Omittable[str] = None


class IncomingShareAnswer(Answer):
    """A lab someone shares with the user (directly or through a group)."""

    owner: str
    server: str
    url: str
    ready: bool
    access: Literal["read", "full"]
    via: Literal["user", "group"]
    name: str
    expires_at: float | None


class SharesAnswer(Answer):
    """``GET shares``: what this lab shares, its links, and what others share with the user."""

    enabled: bool
    max_seconds: float | None
    shares: list[ShareAnswer]
    links: list[ShareLinkAnswer]
    incoming: list[IncomingShareAnswer]


AnswerModel = type[Answer] | type[RootModel[Any]]

#: Every JSON answer of ``openapi.yaml`` (2xx; an NDJSON stream: each line) and its model,
#: by operation (as in ``esap.server.bodies.OPERATIONS``) and status.
ANSWERS: dict[tuple[str, int], AnswerModel] = {
    ("GET /data/services", 200): DataServicesAnswer,
    ("POST /data/services", 201): DataServiceAnswer,
    ("GET /data/services/{name}/tables", 200): TablesAnswer,
    ("GET /data/services/{name}/token", 200): ServiceTokenAnswer,
    ("POST /data/search", 200): SearchEvent,
    ("POST /data/adql", 200): RowsEvent,
    ("GET /data/results/{result_id}", 200): ResultPageAnswer,
    ("GET /data/history", 200): HistoryAnswer,
    ("GET /data/resolve", 200): ResolvedAnswer,
    ("GET /data/services/{name}/files", 200): LakeFilesAnswer,
    ("POST /data/services/{name}/bring", 200): BroughtAnswer,
    ("POST /data/crossmatch", 202): CrossmatchJobAnswer,
    ("GET /data/registry", 200): RegistryAnswer,
    ("GET /basket", 200): BasketPage,
    ("POST /basket", 201): AddedAnswer,
    ("GET /basket/items/{item_id}", 200): BasketItemAnswer,
    ("PATCH /basket/items/{item_id}", 200): BasketItemAnswer,
    ("POST /basket/remove", 200): RemovedAnswer,
    ("POST /basket/group", 200): ChangedAnswer,
    ("POST /basket/cell", 200): CellAnswer,
    ("POST /samp/links", 201): LinkAnswer,
    ("POST /samp/received", 201): ReceivedAnswer,
    ("GET /basket/export", 200): FreeObject,
    ("POST /basket/import", 201): AddedAnswer,
    ("GET /config", 200): PublicConfigAnswer,
    ("POST /tutorials/copy", 200): TutorialsAnswer,
    ("GET /usage", 200): UsageAnswer,
    ("GET /openapi.json", 200): FreeObject,
    ("GET /jobs/query", 200): JobListAnswer,
    ("POST /jobs/query", 202): QueryJobAnswer,
    ("GET /jobs/download", 200): JobListAnswer,
    ("POST /jobs/download", 202): DownloadJobAnswer,
    ("GET /jobs/cutout", 200): JobListAnswer,
    ("POST /jobs/cutout", 202): CutoutJobAnswer,
    ("POST /data/cutouts/options", 200): CutoutOptionsAnswer,
    ("GET /jobs/launch", 200): JobListAnswer,
    ("POST /jobs/launch", 202): LaunchJobAnswer,
    ("GET /jobs/publish", 200): JobListAnswer,
    ("POST /jobs/publish", 202): PublishJobAnswer,
    ("GET /jobs/reproduce", 200): JobListAnswer,
    ("POST /jobs/reproduce", 202): ReproduceJobAnswer,
    ("GET /jobs/run", 200): JobListAnswer,
    ("POST /jobs/run", 202): RunJobAnswer,
    ("GET /jobs/view", 200): JobListAnswer,
    ("POST /jobs/view", 202): ViewJobAnswer,
    ("GET /view/info", 200): ViewInfoAnswer,
    ("GET /view/limits", 200): ViewLimitsAnswer,
    ("GET /view/world", 200): ViewWorldAnswer,
    ("GET /view/grid", 200): ViewGridAnswer,
    ("POST /view/overlay", 200): ViewOverlayAnswer,
    ("POST /view/region", 200): ViewRegionAnswer,
    ("GET /jobs/{kind}/{job_id}", 200): JobAnswer,
    ("GET /jobs/{kind}/{job_id}/events", 200): JobEvent,
    ("POST /publish/validate", 200): ValidationAnswer,
    ("POST /publish/preview", 200): PreviewAnswer,
    ("GET /publish/licenses", 200): ChoicesAnswer,
    ("GET /publish/publications", 200): PublicationsAnswer,
    ("POST /publish/publications", 200): PublicationAnswer,
    ("POST /publish/publications", 202): PublicationAnswer,
    ("GET /publish/publications/{publication}", 200): PublicationAnswer,
    ("GET /publish/tokens", 200): ArchiveTokensAnswer,
    ("GET /software/catalogues", 200): CataloguesAnswer,
    ("GET /software/search", 200): SoftwareHitsAnswer,
    ("GET /software/records/{catalogue_name}/{identifier}", 200): SoftwareRecordAnswer,
    ("GET /projects", 200): ProjectsAnswer,
    ("GET /projects/{name}/basket", 200): ProjectBasketAnswer,
    ("POST /projects/{name}/basket", 200): PublishedAnswer,
    ("POST /projects/{name}/basket/remove", 200): RemovedAnswer,
    ("POST /projects/{name}/basket/copy", 201): AddedAnswer,
    ("GET /shares", 200): SharesAnswer,
    ("POST /shares", 201): ShareAnswer,
    ("POST /shares/links", 201): ShareLinkAnswer,
}

#: The model of every error answer (``Error``), whatever the operation and status.
ERROR = ErrorAnswer

#: The answer to starting a job, by its kind (``POST jobs/{kind}``).
JOB_ANSWERS: dict[str, type[JobAnswer]] = {
    "crossmatch": CrossmatchJobAnswer,
    "cutout": CutoutJobAnswer,
    "query": QueryJobAnswer,
    "download": DownloadJobAnswer,
    "launch": LaunchJobAnswer,
    "publish": PublishJobAnswer,
    "reproduce": ReproduceJobAnswer,
    "run": RunJobAnswer,
    "view": ViewJobAnswer,
}
