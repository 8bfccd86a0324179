"""What a publication's package says about itself: an RO-Crate with provenance.

The crate (``ro-crate-metadata.json``, built with the ``rocrate`` library)
describes every file with its size, and with its SHA-256 in the local
archive (Zenodo and InvenioRDM list each file's MD5, which the engine checks
against the MD5 computed while uploading; a second hash on that path costs
upload throughput, see ``benchmarks/publish_upload.py``); the notebook that
made them, the kernel environment as a lock of installed packages (read with
``importlib.metadata``, so it is the environment the code actually ran in),
and the input datasets the analysis read: the data service, the access URL
and the query of each. A ``CreateAction`` ties them together, as RO-Crate's
provenance guidance describes: instrument = notebook + environment, object =
inputs, result = the published files.

Input datasets are records (``service``, ``access_url``, ``query``) — given
explicitly, or listed in a notebook's own metadata (``metadata.esap.inputs``),
or else the data items of the user's basket (``esap.basket``), which is where
the lab collects what an analysis reads.

What a reproduction needs is recorded too (``esap reproduce``): the
kernel the notebook ran on and its Python version (from the notebook's own
``kernelspec`` and ``language_info``), the exact request of each input (its
URL with the query parameters sent, ``params``, and the query text, as a
schema.org ``SearchAction``), the SHA-256 and size of what it served at
publication, the tolerances the publisher set in ``metadata.esap.reproduce``,
and, in the lock, which packages were installed from a local folder rather
than a package index (``# local``). Records made before any of this stay
readable: each piece is optional for the reader.
"""

from __future__ import annotations

import json
import math
import mimetypes
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from esap import __version__
from esap.publish.metadata import FieldProblem, Metadata, MetadataError

CRATE_NAME = "ro-crate-metadata.json"
ENVIRONMENT_NAME = "environment.lock.txt"


@dataclass(frozen=True)
class InputDataset:
    """A dataset the analysis read: which service, where to get it, with which query.

    ``params`` are the query parameters sent with the GET of ``access_url``
    (a TAP service's ``QUERY``, an SIA service's ``POS``), ``query`` the
    query as a person reads it (ADQL); ``sha256`` and ``size`` are what the
    URL served when the analysis was published (``checksum_note`` says why
    there is none when it could not be taken).
    """

    service: str
    access_url: str
    query: str | None = None
    title: str | None = None
    params: dict[str, str] | None = None
    sha256: str | None = None
    size: int | None = None
    checksum_note: str | None = None

    @property
    def url(self) -> str:
        """The exact URL fetched: ``access_url`` with ``params`` in its query string."""
        if not self.params:
            return self.access_url
        joiner = "&" if "?" in self.access_url else "?"
        return f"{self.access_url}{joiner}{urlencode(self.params)}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # the fields of records made before reproduction existed stay the only ones written
        for name in ("params", "sha256", "size", "checksum_note"):
            if data[name] is None:
                del data[name]
        return data


def parse_inputs(raw: Sequence[Any] | None) -> list[InputDataset]:
    """Check input dataset records; ``MetadataError`` names ``inputs[i].field`` and why."""
    problems: list[FieldProblem] = []
    found: list[InputDataset] = []
    for index, item in enumerate(raw or []):
        where = f"inputs[{index}]"
        if not isinstance(item, Mapping):
            problems.append(
                FieldProblem(where, "must be an object with service, access_url, query")
            )
            continue
        service = item.get("service")
        url = item.get("access_url")
        if not isinstance(service, str) or not service.strip():
            problems.append(FieldProblem(f"{where}.service", "is required (the data service name)"))
            continue
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            problems.append(
                FieldProblem(f"{where}.access_url", "must be the http(s) URL the data came from")
            )
            continue
        query = item.get("query")
        title = item.get("title")
        params = item.get("params")
        if params is not None and (
            not isinstance(params, Mapping)
            or not all(
                isinstance(k, str) and isinstance(v, str | int | float) for k, v in params.items()
            )
        ):
            problems.append(
                FieldProblem(
                    f"{where}.params",
                    "must be an object of query parameters (names to text or numbers)",
                    'e.g. {"QUERY": "SELECT ...", "LANG": "ADQL"}',
                )
            )
            continue
        sha256 = item.get("sha256")
        if sha256 is not None and (not isinstance(sha256, str) or len(sha256) != 64):
            problems.append(
                FieldProblem(f"{where}.sha256", "must be a SHA-256 in hexadecimal (64 digits)")
            )
            continue
        size = item.get("size")
        note = item.get("checksum_note")
        found.append(
            InputDataset(
                service=service.strip(),
                access_url=url,
                query=str(query) if query is not None else None,
                title=str(title) if title is not None else None,
                params={str(k): str(v) for k, v in params.items()} if params else None,
                sha256=sha256.lower() if isinstance(sha256, str) else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                checksum_note=str(note) if note is not None else None,
            )
        )
    if problems:
        raise MetadataError(problems)
    return found


def notebook_inputs(notebook: Path) -> list[dict[str, Any]]:
    """The input datasets a notebook lists in ``metadata.esap.inputs`` (none if it lists none)."""
    try:
        document = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    inputs = document.get("metadata", {}).get("esap", {}).get("inputs", [])
    return [item for item in inputs if isinstance(item, dict)] if isinstance(inputs, list) else []


#: The tolerances a publisher may set in ``metadata.esap.reproduce`` (and per cell).
TOLERANCES = ("rtol", "atol", "image_threshold")


def notebook_runtime(notebook: Path) -> dict[str, Any]:
    """What a notebook says it ran on and how to compare it: kernel, Python, tolerances.

    ``{"kernel": {name, display_name, language}, "python": "3.11.7",
    "reproduce": {rtol, atol, image_threshold}}``, each only when the
    notebook says so (a notebook saved by JupyterLab has ``kernelspec`` and
    ``language_info``; the tolerances are the publisher's).
    """
    try:
        document = json.loads(notebook.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    metadata = document.get("metadata") if isinstance(document, dict) else None
    if not isinstance(metadata, dict):
        return {}
    found: dict[str, Any] = {}
    spec = metadata.get("kernelspec")
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        found["kernel"] = {
            key: str(spec[key]) for key in ("name", "display_name", "language") if spec.get(key)
        }
    language = metadata.get("language_info")
    if isinstance(language, dict) and isinstance(language.get("version"), str):
        found["python"] = language["version"]
    esap = metadata.get("esap")
    reproduce = esap.get("reproduce") if isinstance(esap, dict) else None
    if isinstance(reproduce, dict):
        tolerances = {
            name: float(reproduce[name])
            for name in TOLERANCES
            if isinstance(reproduce.get(name), int | float)
            and not isinstance(reproduce.get(name), bool)
            and math.isfinite(reproduce[name])
            and reproduce[name] >= 0
        }
        if tolerances:
            found["reproduce"] = tolerances
    return found


def _site_state() -> tuple[tuple[str, int], ...]:
    """The folders on ``sys.path`` and their mtimes, which change when a package is installed."""
    state = []
    for entry in sys.path:
        try:
            state.append((entry, Path(entry or ".").stat().st_mtime_ns))
        except OSError:
            continue
    return tuple(state)


_LOCK_CACHE: dict[tuple[tuple[str, int], ...], str] = {}


def basket_inputs(state_dir: Path) -> list[dict[str, Any]]:
    """The data items of the basket in ``state_dir`` as input records (none without a basket)."""
    path = state_dir / "basket.db"
    if not path.exists():
        return []
    from esap.basket.models import DataItem
    from esap.basket.store import Basket

    with Basket(path) as basket:
        items = basket.all("data")
    return [
        item.as_input()
        for item in items
        if isinstance(item, DataItem)
        and str(item.access_url or "").startswith(("http://", "https://"))
    ]


def environment_lock() -> str:
    """The installed distributions of this interpreter, ``name==version`` one per line.

    Reading every distribution's metadata takes a noticeable fraction of a
    second, so the answer is kept until a folder on ``sys.path`` changes
    (``pip install`` in the kernel changes it).
    """
    key = _site_state()
    if key not in _LOCK_CACHE:
        _LOCK_CACHE.clear()
        _LOCK_CACHE[key] = _environment_lock()
    return _LOCK_CACHE[key]


def local_origin(dist: Distribution) -> str | None:
    """``local`` or ``local, editable`` for a distribution installed from a local path (PEP 610).

    Such a package is on no index, so a reproduction cannot fetch it: the
    lock says so (a ``# local`` comment, which ``pip`` and ``uv`` ignore), and
    the reproduction takes it from its own environment when that holds the
    same version.
    """
    try:
        text = dist.read_text("direct_url.json")
    except OSError:
        return None
    if not text:
        return None
    try:
        direct = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not str(direct.get("url", "")).startswith("file:"):
        return None
    editable = bool((direct.get("dir_info") or {}).get("editable"))
    return "local, editable" if editable else "local"


def _environment_lock() -> str:
    seen: dict[str, str] = {}
    for dist in distributions():
        metadata = dist.metadata  # parsed on each access (``dist.version`` too): once here
        name = metadata["Name"]
        if name and name.lower() not in seen:
            line = f"{name}=={metadata['Version']}"
            origin = local_origin(dist)
            seen[name.lower()] = f"{line}  # {origin}" if origin else line
    header = (
        f"# Python {platform.python_version()} ({sys.implementation.name}) on "
        f"{platform.system()} {platform.machine()}; written by esap-hub {__version__}\n"
    )
    return header + "\n".join(seen[key] for key in sorted(seen)) + "\n"


@dataclass(frozen=True)
class CrateFile:
    """A file as the crate describes it."""

    name: str
    size: int
    sha256: str | None
    source: str | None = None


def _person(crate: Any, index: int, creator: Any) -> Any:
    from rocrate.model.person import Person

    identifier = f"https://orcid.org/{creator.orcid}" if creator.orcid else f"#creator-{index}"
    properties: dict[str, Any] = {"name": creator.name}
    if creator.affiliation:
        properties["affiliation"] = creator.affiliation
    return crate.add(Person(crate, identifier, properties=properties))


def build_crate(
    metadata: Metadata,
    files: Sequence[CrateFile],
    *,
    inputs: Sequence[InputDataset] = (),
    notebook: str | None = None,
    environment: str | None = ENVIRONMENT_NAME,
    identifier: str | None = None,
    runtime: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The RO-Crate metadata document (JSON-LD) of a package; nothing is written or copied.

    ``runtime`` is what the notebook says it ran on (:func:`notebook_runtime`):
    its kernel becomes a ``#kernel`` entity among the analysis' instruments,
    its Python version the ``#python`` entity's, and the publisher's
    tolerances ``additionalProperty`` values of the notebook.
    """
    runtime = runtime or {}
    from rocrate.model.contextentity import ContextEntity
    from rocrate.rocrate import ROCrate

    crate = ROCrate()
    root = crate.root_dataset
    root["name"] = metadata.title
    root["description"] = metadata.description
    root["datePublished"] = metadata.publication_date
    root["license"] = {"@id": metadata.license_url}
    if metadata.keywords:
        root["keywords"] = list(metadata.keywords)
    if metadata.version:
        root["version"] = metadata.version
    if identifier:
        root["identifier"] = identifier
    crate.add(
        ContextEntity(
            crate,
            metadata.license_url,
            properties={"@type": "CreativeWork", "name": metadata.license},
        )
    )
    root["author"] = [
        _person(crate, index, creator) for index, creator in enumerate(metadata.creators)
    ]
    for related in metadata.related_identifiers:
        url = (
            f"https://doi.org/{related.identifier}"
            if related.scheme == "doi"
            else related.identifier
        )
        # schema.org names few DataCite relations; keep the relation as text
        root.append_to("citation" if related.relation == "Cites" else "isBasedOn", {"@id": url})

    entities: dict[str, Any] = {}
    for item in files:
        encoding = mimetypes.guess_type(item.name)[0] or "application/octet-stream"
        types: Any = "File"
        if item.name.endswith(".ipynb"):
            types = ["File", "SoftwareSourceCode"]
            encoding = "application/x-ipynb+json"
        properties: dict[str, Any] = {
            "@type": types,
            "contentSize": item.size,
            "encodingFormat": encoding,
        }
        if item.sha256:
            properties["sha256"] = item.sha256
        if item.name.endswith(".ipynb"):
            properties["programmingLanguage"] = {"@id": "#python"}
        if item.source and item.source != item.name:
            properties["alternateName"] = item.source
        entities[item.name] = crate.add_file(dest_path=item.name, properties=properties)

    python = crate.add(
        ContextEntity(
            crate,
            "#python",
            properties={
                "@type": ["ComputerLanguage", "SoftwareApplication"],
                "name": "Python",
                "version": str(runtime.get("python") or platform.python_version()),
                "url": {"@id": "https://www.python.org/"},
            },
        )
    )
    instruments: list[Any] = []
    if notebook and notebook in entities:
        instruments.append(entities[notebook])
        tolerances = runtime.get("reproduce") or {}
        if tolerances:
            entities[notebook]["additionalProperty"] = [
                crate.add(
                    ContextEntity(
                        crate,
                        f"#reproduce-{name}",
                        properties={
                            "@type": "PropertyValue",
                            "name": name,
                            "value": value,
                            "description": "A tolerance the publisher set for comparing "
                            "a reproduction's outputs (metadata.esap.reproduce).",
                        },
                    )
                )
                for name, value in sorted(tolerances.items())
            ]
    kernel = runtime.get("kernel") or {}
    if kernel.get("name"):
        instruments.append(
            crate.add(
                ContextEntity(
                    crate,
                    "#kernel",
                    properties={
                        "@type": "SoftwareApplication",
                        "name": kernel.get("display_name") or kernel["name"],
                        "identifier": kernel["name"],
                        "description": "The Jupyter kernel the notebook ran on.",
                        "programmingLanguage": {"@id": "#python"},
                    },
                )
            )
        )
    if environment and environment in entities:
        env = entities[environment]
        env["description"] = "The kernel environment: every installed package with its version."
        python["softwareRequirements"] = env
        instruments.append(python)

    objects = []
    queries = []
    for index, dataset in enumerate(inputs):
        download: dict[str, Any] = {
            # not part of the package, so not a data entity (File/Dataset)
            "@type": "DataDownload",
            "name": dataset.title or f"input {index + 1} from {dataset.service}",
            "contentUrl": dataset.url,
            "description": (
                f"Read from the data service {dataset.service}"
                + (f" with the query: {dataset.query}" if dataset.query else "")
            ),
            "provider": {"@id": f"#service-{dataset.service}"},
        }
        if dataset.sha256:
            download["sha256"] = dataset.sha256
        if dataset.size is not None:
            download["contentSize"] = dataset.size
        if dataset.checksum_note:
            download["comment"] = dataset.checksum_note
        entity = crate.add(ContextEntity(crate, dataset.url, properties=download))
        objects.append(entity)
        if dataset.query or dataset.params:
            # the request as it was made: the query text and the parameters sent
            search: dict[str, Any] = {
                "@type": "SearchAction",
                "name": f"The query of input {index + 1}",
                "query": dataset.query or "",
                "target": {"@id": dataset.access_url},
                "result": {"@id": dataset.url},
            }
            if dataset.params:
                search["description"] = json.dumps(dataset.params, sort_keys=True)
            queries.append(crate.add(ContextEntity(crate, f"#query-{index + 1}", search)))
        if crate.get(f"#service-{dataset.service}") is None:
            crate.add(
                ContextEntity(
                    crate,
                    f"#service-{dataset.service}",
                    properties={"@type": "Organization", "name": dataset.service},
                )
            )

    results = [entity for name, entity in entities.items() if name not in {notebook, environment}]
    if instruments or objects:
        action_properties: dict[str, Any] = {
            "@type": "CreateAction",
            "name": f"Run of {notebook}" if notebook else "The analysis",
            "agent": root["author"][0] if root["author"] else None,
        }
        action = crate.add(ContextEntity(crate, "#analysis", properties=action_properties))
        if instruments:
            action["instrument"] = instruments
        if objects:
            action["object"] = objects
        if results:
            action["result"] = results
        root.append_to("mentions", action)
    for query in queries:
        root.append_to("mentions", query)
    document: dict[str, Any] = crate.metadata.generate()
    return document


__all__ = [
    "CRATE_NAME",
    "ENVIRONMENT_NAME",
    "TOLERANCES",
    "CrateFile",
    "InputDataset",
    "build_crate",
    "environment_lock",
    "local_origin",
    "notebook_inputs",
    "notebook_runtime",
    "parse_inputs",
]
