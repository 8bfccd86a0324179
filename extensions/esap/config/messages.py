"""What each pydantic error means for an admin, as a ``Problem`` with a fix.

pydantic reports errors for programmers ("Input should be a valid integer");
an admin editing ``esap.yaml`` needs the key, the value they wrote, and the
fix. This module maps every pydantic error type and every code the models
raise (``esap.config.models.SECRET_INLINE`` ...) to such a ``Problem``. It
walks the models to know, at any key path, which keys are valid, what the
allowed values and bounds are and whether the value is a secret, so messages
come from the same single source of truth as validation and the JSON Schema.
"""

from __future__ import annotations

import difflib
import functools
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticUndefined

from esap import plugins
from esap.config import models
from esap.config.adapters import model_at
from esap.config.errors import (
    MASK,
    MISSING,
    Loc,
    Problem,
    kind_of,
    mask_url,
    parse_path,
    render_path,
    render_value,
)
from esap.config.models import MEMORY_PATTERN, NAME_PATTERN, EsapConfig, SecretRef

SECRET_MESSAGE = "secrets are never written inline"  # noqa: S105 - a message
SECRET_FIX = (
    "put it in an environment variable and write env:NAME, "  # noqa: S105 - a message
    "or in a file and write file:/path"
)

#: Key names that hold secrets even where the schema does not say so (unknown keys).
_SECRET_KEY = re.compile(r"secr|pass|pwd|tok|cred|key|priv|cert", re.IGNORECASE)

# --------------------------------------------------------------------------- schema walk


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` so only the type that holds values is left."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union or origin is types.UnionType:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _type_at(loc: Loc) -> Any:
    """The (unwrapped) type expected at ``loc``, or ``None`` when the schema has no such place."""
    current: Any = EsapConfig
    for index, part in enumerate(loc):
        # an entry's options follow its adapter's own model (esap.config.adapters)
        current = _unwrap(model_at(loc[:index]) or current)
        origin = typing.get_origin(current)
        if _is_model(current) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif origin is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif origin is dict and isinstance(part, str):
            current = typing.get_args(current)[1]
        else:
            return None
    return _unwrap(model_at(loc) or current)


def _field_at(loc: Loc) -> FieldInfo | None:
    """The pydantic field that ``loc`` names (its last part is the key), if any."""
    if not loc or not isinstance(loc[-1], str):
        return None
    parent = _type_at(loc[:-1])
    if _is_model(parent):
        field: FieldInfo | None = parent.model_fields.get(loc[-1])
        return field
    return None


def _patterns(annotation: Any) -> set[str]:
    """Every ``pattern=`` constraint inside an annotation (through ``Annotated`` and unions)."""
    found: set[str] = set()
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            for constraint in extra.metadata if isinstance(extra, FieldInfo) else [extra]:
                pattern = getattr(constraint, "pattern", None)
                if isinstance(pattern, str):
                    found.add(pattern)
        found |= _patterns(base)
    elif origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            found |= _patterns(arg)
    return found


def _is_memory(loc: Loc) -> bool:
    field = _field_at(loc)
    if field is None:
        return False
    own = {getattr(c, "pattern", None) for c in field.metadata}
    return MEMORY_PATTERN in own | _patterns(field.annotation)


def is_secret(loc: Loc) -> bool:
    """True where a value is, or may well be, a secret: a SecretRef field or a secret-like key."""
    if _type_at(loc) is SecretRef:
        return True
    keys = [part for part in loc if isinstance(part, str)]
    return bool(keys) and bool(_SECRET_KEY.search(keys[-1]))


def _bound(field: FieldInfo | None, name: str) -> Any:
    if field is None:
        return None
    for constraint in field.metadata:
        value = getattr(constraint, name, None)
        if value is not None:
            return value
    return None


def _default(field: FieldInfo | None) -> Any:
    """The field's plain default (``PydanticUndefined`` when required or from a factory)."""
    if field is None or field.default is PydanticUndefined:
        return PydanticUndefined
    return field.default


def _plain(number: Any) -> str:
    """``65535`` for ``65535.0``: bounds are written the way an admin writes them."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


@functools.cache
def _sections() -> dict[str, list[str]]:
    """``{key: [sections that have it]}`` for the mapping sections, to spot misplaced keys."""
    found: dict[str, list[str]] = {}
    for section, field in EsapConfig.model_fields.items():
        tp = _unwrap(field.annotation)
        if not _is_model(tp):
            continue
        for key in tp.model_fields:
            found.setdefault(key, []).append(section)
        for key, sub in tp.model_fields.items():
            subtype = _unwrap(sub.annotation)
            if _is_model(subtype):
                for subkey in subtype.model_fields:
                    found.setdefault(subkey, []).append(f"{section}.{key}")
    return found


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    choices = list(choices)
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _first_sentence(description: str | None) -> str:
    if not description:
        return ""
    text = description.split(";")[0].split(" (")[0].rstrip(".")
    return text[:1].lower() + text[1:]


#: An example value per key, for fixes ("e.g. url: https://example.org/tap").
_URL_EXAMPLES = {
    "data_services": "https://example.org/tap",
    "software_catalogues": "https://example.org/codemeta/",
    "archives": "https://zenodo.org/api",
}
_NAME_EXAMPLES = {
    "data_services": "my-tap",
    "software_catalogues": "my-catalogue",
    "archives": "my-archive",
    "profiles": "small",
    "hub": "my-bot",
}
_KEY_EXAMPLES = {
    "client_id": "esap-hub",
    "issuer": "https://iam.example.org/",
}


def _example(loc: Loc) -> str | None:
    """A value that would be valid at ``loc``, to show in a fix."""
    key = loc[-1] if loc else None
    section = loc[0] if loc else None
    if key == "url" and isinstance(section, str):
        return _URL_EXAMPLES.get(section, "https://example.org/")
    if key == "type" and isinstance(section, str):
        group = getattr(_type_at(loc[:-1]), "adapter_group", None)
        if group:
            return plugins.names(group)[0]
    if key == "name" and isinstance(section, str):
        return _NAME_EXAMPLES.get(section, "my-name")
    if _type_at(loc) is SecretRef:
        return "env:" + "_".join(str(p).upper() for p in loc if isinstance(p, str)).replace(
            "-", "_"
        )
    if isinstance(key, str) and key in _KEY_EXAMPLES:
        return _KEY_EXAMPLES[key]
    default = _default(_field_at(loc))
    if isinstance(default, float):
        return _plain(default)
    if default is not PydanticUndefined and default is not None and default != "":
        return render_value(str(default) if isinstance(default, Path) else default).strip("'")
    return None


def _eg(loc: Loc) -> str:
    example = _example(loc)
    return f", e.g. {loc[-1]}: {example}" if example is not None and loc else ""


# --------------------------------------------------------------------------- the mapping


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "path_type": "a path",
}

_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "finite_number"}

_URL = {"url_type", "url_parsing", "url_scheme", "url_syntax_violation", "url_too_long"}


def _memory_suggestion(value: Any) -> str | None:
    """``'4 GB'`` -> ``'4G'``, ``'512 MiB'`` -> ``'512Mi'``: what the admin most likely meant."""
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtKMGT])(i?)[bB]?\s*", value)
    if not match:
        return None
    number, unit, binary = match.groups()
    return f"{number}{unit.upper()}{binary}"


def _name_suggestion(value: Any) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(value).lower()).strip("-_")[:63]
    return slug or "my-service"


#: Keys ESAP Hub no longer reads, with what to write instead.
_RETIRED: dict[tuple[str, str], tuple[str, str]] = {
    ("data_services", "token"): (
        "is not read by ESAP Hub: a service's credential belongs to the adapter that uses it",
        "remove it; an adapter that needs a credential declares it as a secret option "
        "(options.<name>: env:NAME, see esap config schema), and users store their own "
        "tokens for services that take one from the Data panel",
    ),
    ("archives", "token"): (
        "is not read by ESAP Hub: a platform-wide token would reach every user's server",
        "remove it; each user stores their own token once (the Publish dialog, or "
        "esap publish token NAME), or the adapter declares a secret option "
        "(options.<name>: env:NAME)",
    ),
}


def _unknown_key(loc: Loc, value: Any) -> Problem:
    key = str(loc[-1])
    parent = loc[:-1]
    if len(loc) == 3 and (str(loc[0]), key) in _RETIRED:
        what, fix = _RETIRED[(str(loc[0]), key)]
        return Problem(render_path(loc), render_value(value, secret=True), what, fix)
    if model_at(parent) is not None:
        return _unknown_option(loc, value)
    model = _type_at(parent)
    valid = list(model.model_fields) if _is_model(model) else []
    where = render_path(parent) if parent else None
    close = _did_you_mean(key, valid)
    # a misspelt secret key ("cookie_secrt") holds a secret as surely as the real one
    secret = is_secret(loc) or (close is not None and is_secret((*parent, close)))
    shown = render_value(value, secret=secret)
    if close:
        fix = f"did you mean {close!r}?"
    else:
        # only for keys of sections: in a list entry, "password" is not an auth key
        elsewhere = [s for s in _sections().get(key, []) if s != where] if len(parent) <= 1 else []
        if elsewhere:
            fix = f"{key} is a key of {' and '.join(elsewhere)}; move it there"
        elif where:
            fix = f"valid keys in {where} are: {', '.join(valid)}"
        else:
            fix = f"valid sections are: {', '.join(valid)}"
    return Problem(render_path(loc), shown, "unknown key" if where else "unknown section", fix)


def _unknown_option(loc: Loc, value: Any) -> Problem:
    """A key an adapter's ``Options`` model does not declare."""
    key = str(loc[-1])
    model = model_at(loc[:-1])
    valid = list(model.model_fields) if model is not None else []
    close = _did_you_mean(key, valid)
    if close:
        fix = f"did you mean {close!r}?"
    elif valid:
        fix = f"options of this type are: {', '.join(valid)}"
    else:
        fix = "this type takes no options: remove it"
    secret = is_secret(loc) or (close is not None and is_secret((*loc[:-1], close)))
    return Problem(render_path(loc), render_value(value, secret=secret), "unknown option", fix)


def _missing(loc: Loc) -> Problem:
    field = _field_at(loc)
    what = _first_sentence(field.description if field else None)
    fix = f"add {loc[-1]}" + (f" ({what})" if what else "") + _eg(loc)
    return Problem(render_path(loc), MISSING, "required key is missing", fix)


def _wrong_type(loc: Loc, etype: str, value: Any, raw: str | None) -> Problem:
    expected = _EXPECTED[etype]
    path = render_path(loc)
    shown = render_value(value, secret=is_secret(loc))
    message = f"expected {expected}, got {kind_of(value)}"
    key = loc[-1] if loc else ""
    field = _field_at(loc)
    default = _default(field)
    if etype == "string_type" and _is_memory(loc) and isinstance(value, int | float):
        unit = "G" if value <= 128 else "M"  # 64 is surely 64G, 4096 surely 4096M
        return Problem(
            path,
            shown,
            f"expected a memory size such as 4G, got {kind_of(value)} without a unit",
            f"write it with a unit, e.g. {key}: {_plain(value)}{unit}",
        )
    if value is None:
        fix = (
            f"give a value{_eg(loc)}, or remove the key to use the default"
            if default is not PydanticUndefined or field is None or not field.is_required()
            else f"give a value{_eg(loc)}"
        )
    elif etype == "string_type" and not isinstance(value, Mapping | list | tuple):
        text = raw if raw is not None else render_value(value).strip("'")
        fix = f"put it in quotes so YAML reads it as text: {key}: '{text}'"
    elif etype == "list_type" and isinstance(value, Mapping):
        fix = f"write each entry of {key} as a list item starting with '- '"
    elif etype == "list_type":
        fix = f"write a list: {key}: [{render_value(value).strip(chr(39))}]"
    elif expected == "a mapping":
        model = _type_at(loc)
        keys = ", ".join(model.model_fields) if _is_model(model) else ""
        fix = f"write {key}: on a line of its own and its keys indented below it" + (
            f" (keys: {keys})" if keys else ""
        )
    elif etype.startswith("bool"):
        fix = f"write {key}: true or {key}: false"
    elif etype == "path_type":
        fix = f"write a path{_eg(loc)}"
    else:
        fix = f"write {expected}{_eg(loc)}"
    return Problem(path, shown, message, fix)


def _literal(loc: Loc, value: Any) -> Problem:
    annotation = _type_at(loc)
    allowed = (
        [str(a) for a in typing.get_args(annotation)]
        if typing.get_origin(annotation) is Literal
        else []
    )
    listed = ", ".join(repr(a) for a in allowed)
    close = _did_you_mean(str(value), allowed) if isinstance(value, str) else None
    if close:
        fix = f"did you mean {close!r}?"
    elif allowed:
        fix = f"write e.g. {loc[-1]}: {allowed[0]}"
    else:
        fix = "use one of the allowed values"
    return Problem(render_path(loc), render_value(value), f"must be one of {listed}", fix)


def _out_of_range(loc: Loc, etype: str, value: Any) -> Problem:
    field = _field_at(loc)
    low = _bound(field, "ge")
    low_strict = _bound(field, "gt")
    high = _bound(field, "le")
    high_strict = _bound(field, "lt")
    if etype == "finite_number":
        rule = "must be a finite number"
    elif low is not None and high is not None:
        rule = f"must be between {_plain(low)} and {_plain(high)}"
    elif low_strict is not None:
        rule = f"must be greater than {_plain(low_strict)}"
    elif low is not None:
        rule = f"must be {_plain(low)} or more"
    elif high is not None:
        rule = f"must be {_plain(high)} or less"
    else:
        rule = f"must be less than {_plain(high_strict)}"
    example = _example(loc)
    if example is None and (low_strict is not None or low is not None):
        example = _plain((low_strict + 1) if low_strict is not None else low)
    fix = ("write a number" if etype == "finite_number" else "use a value in that range") + (
        f", e.g. {loc[-1]}: {example}" if example else ""
    )
    return Problem(render_path(loc), render_value(value), f"out of range: {rule}", fix)


def _pattern(loc: Loc, value: Any, pattern: str) -> Problem:
    path = render_path(loc)
    shown = render_value(value, secret=is_secret(loc))
    if pattern == NAME_PATTERN:
        suggestion = _name_suggestion(value)
        has_title = _is_model(_type_at(loc[:-1])) and "title" in _type_at(loc[:-1]).model_fields
        fix = f"write e.g. {loc[-1]}: {suggestion}" + (
            " (a longer display name goes in title)" if has_title else ""
        )
        return Problem(
            path,
            shown,
            "not a valid name: use 1 to 63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit",
            fix,
        )
    if pattern == MEMORY_PATTERN:
        meant = _memory_suggestion(value)
        return Problem(
            path,
            shown,
            "not a memory size: a number then K, M, G or T (or Ki, Mi, Gi, Ti), "
            "without a space or B",
            f"write {loc[-1]}: {meant or '4G'}",
        )
    return Problem(path, shown, f"does not match the pattern {pattern}", "correct the value")


def _bad_url(loc: Loc, etype: str, value: Any) -> Problem:
    example = _example(loc) or "https://example.org/"
    if etype == "url_scheme":
        message = "not a web address: it must be http(s) with a host"
    else:
        message = "not a valid URL: it must be http(s) with a host"
    return Problem(
        render_path(loc),
        render_value(value),
        message,
        f"write the full address, e.g. {loc[-1]}: {example}",
    )


def _duplicate(loc: Loc, value: Any, name: str) -> Problem:
    first = second = None
    if isinstance(value, list):
        indexes = [
            i
            for i, item in enumerate(value)
            if isinstance(item, Mapping) and item.get("name") == name
        ]
        if len(indexes) >= 2:
            first, second = indexes[0], indexes[1]
    section = render_path(loc)
    path = render_path((*loc, second, "name")) if second is not None else section
    what = f"{section}[{first}] has the same name" if first is not None else "names repeat"
    return Problem(
        path,
        repr(name),
        f"duplicate name: {what}",
        f"give each entry of {section} its own name, e.g. {name}-2",
    )


def _unknown_type(loc: Loc, value: Any) -> Problem:
    group = getattr(_type_at(loc[:-1]), "adapter_group", "")
    known = plugins.names(group)
    kind = plugins.KIND.get(group, "adapter")
    close = _did_you_mean(str(value), known)
    fix = (
        f"did you mean {close!r}?"
        if close
        else f"use one of them, or install the package that provides it "
        f"(it registers under the entry-point group {group})"
    )
    return Problem(
        render_path(loc),
        render_value(value),
        f"unknown {kind} type (known: {', '.join(known)})",
        fix,
    )


def _fetch_scheme(path: str, value: Any, detail: str) -> Problem:
    """Why a scheme cannot be added to ``fetch.schemes``, and what to write instead."""
    if detail == "always":
        return Problem(
            path,
            render_value(value),
            "http and https are always fetched",
            "remove it from the list",
        )
    if detail == "file":
        return Problem(
            path,
            render_value(value),
            "file: URLs are fetched only inside the user's own home, and that cannot be widened "
            "(it would let a basket item read any file the server can)",
            "remove it from the list; users copy files into their home instead",
        )
    from fsspec.registry import known_implementations

    close = difflib.get_close_matches(str(value).lower(), list(known_implementations), n=1)
    return Problem(
        path,
        render_value(value),
        "no fsspec file system is known for this scheme",
        f"did you mean {close[0]!r}?"
        if close
        else "write a scheme fsspec knows, in lower case (ftp, sftp, s3, gcs, abfs, ...)",
    )


def _own_code(loc: Loc, value: Any, error: ErrorDetails) -> Problem | None:
    """Problems for the codes the models raise (``ValueError("<code>[:<detail>]")``)."""
    cause = (error.get("ctx") or {}).get("error")
    code, _, detail = str(cause).partition(":")
    path = render_path(loc)
    if code == models.SECRET_INLINE:
        return Problem(path, MASK, SECRET_MESSAGE, _secret_fix(loc))
    if code == models.SECRET_REF_MALFORMED:
        return Problem(
            path,
            render_value(value),
            "not a valid secret reference",
            "write env:NAME (a variable name of letters, digits and _) or file:/absolute/path",
        )
    if code == models.SECRET_IN_URL:
        return Problem(
            path,
            mask_url(value),
            "the URL holds a password; secrets are never written inline",
            "remove user:password@ from the URL and give the credential by reference "
            "(env:NAME or file:/path) in the entry's token",
        )
    if code == models.OIDC_MISSING:
        return Problem(
            render_path((*loc, "oidc")),
            MISSING,
            "auth.type is oidc but there is no auth.oidc section",
            "add auth.oidc with issuer, client_id and client_secret (by reference, "
            "e.g. env:OIDC_CLIENT_SECRET), or use type: shared-password",
        )
    if code == models.DUPLICATE_NAME:
        return _duplicate(loc, value, detail)
    if code == models.FETCH_SCHEME:
        return _fetch_scheme(path, value, detail)
    if code == models.UNKNOWN_TYPE:
        return _unknown_type(loc, value)
    if code == models.PORT_CLASH:
        return _port_clash(loc, value, *detail.partition(":")[::2])
    if code == models.GROUP_NAME:
        suggestion = re.sub(r"\s+", "-", detail.strip()) or "escape"
        return Problem(
            path,
            render_value(detail),
            "an empty group name"
            if not detail.strip()
            else "not a group name: a hub group's name has no spaces (IAM writes escape or "
            "escape/admins, the WLCG profile /escape)",
            f"write the group as the hub shows it, e.g. {suggestion}",
        )
    if code == models.PROJECT_NO_GROUPS:
        return Problem(
            render_path((*loc, "read_groups")),
            MISSING,
            "the project names no group, so no one could open it",
            "list the groups that may read it under read_groups, and those that may write "
            "it under write_groups, e.g. write_groups: [escape]",
        )
    if code == models.AUDIENCE_NAME:
        fixed = re.sub(r"[^a-z0-9_]", "_", detail.lower()).lstrip("_0123456789")[:31] or "rucio"
        return Problem(
            render_path((*loc, detail)),
            render_value(detail),
            "an audience name becomes the variable ESAP_ACCESS_TOKEN_<NAME>: "
            "lower-case letters, digits and _, starting with a letter",
            f"rename it, e.g. {fixed}",
        )
    return None


def _port_clash(loc: Loc, value: Any, key: str, other: str) -> Problem:
    """Two of the hub's ports are equal; the one not written in the file keeps its default."""
    written = value if isinstance(value, Mapping) else {}
    ports = {
        name: written.get(name, _default(_field_at((*loc, name))))
        for name in ("port", "internal_port", "proxy_api_port")
    }
    port = ports[key]
    free = port + 1 if isinstance(port, int) else 8002
    while free in ports.values():
        free += 1
    return Problem(
        render_path((*loc, key)),
        render_value(port),
        f"the same port as {render_path((*loc, other))}",
        f"give it a port of its own, e.g. {key}: {free}",
    )


def _secret_fix(loc: Loc) -> str:
    return f"{SECRET_FIX} (e.g. {loc[-1]}: {_example(loc)})"


def problem_from_error(error: ErrorDetails, raw: Mapping[Loc, str] | None = None) -> Problem:
    """Turn one pydantic error into a ``Problem`` an admin can act on.

    ``raw`` maps key paths to the scalar text as written in the file, so a fix
    can quote what the admin typed (``yes``) rather than what YAML made of it
    (``true``).
    """
    loc: Loc = tuple(error["loc"])
    etype = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if etype == "extra_forbidden":
        return _unknown_key(loc, value)
    if etype == "missing":
        return _missing(loc)
    if etype == "value_error":
        own = _own_code(loc, value, error)
        if own is not None:
            return own
    if _type_at(loc) is SecretRef:
        return Problem(
            render_path(loc),
            render_value(value, secret=True),
            SECRET_MESSAGE
            if value is not None
            else "expected a secret reference (env:NAME or file:/path), got nothing",
            _secret_fix(loc),
        )
    if etype in _URL:
        return _bad_url(loc, etype, value)
    if etype in _EXPECTED:
        return _wrong_type(loc, etype, value, (raw or {}).get(loc))
    if etype == "literal_error":
        return _literal(loc, value)
    if etype in _RANGE:
        return _out_of_range(loc, etype, value)
    if etype == "string_pattern_mismatch":
        return _pattern(loc, value, str(ctx.get("pattern", "")))
    if etype in {"string_too_short", "too_short"}:
        return Problem(
            render_path(loc),
            render_value(value, secret=is_secret(loc)),
            "must not be empty",
            f"give a value{_eg(loc)}",
        )
    if etype == "invalid_key":
        parent = render_path(loc[:-1]) + "." if loc[:-1] else ""
        return Problem(
            f"{parent}{value}",
            render_value(value),
            f"a key must be text, got {kind_of(value)}",
            "put the key in quotes, or check the indentation of the lines above",
        )
    field = _field_at(loc)
    about = _first_sentence(field.description if field else None)
    message = str(error.get("msg", "invalid value"))
    message = message[:1].lower() + message[1:]
    return Problem(
        render_path(loc),
        render_value(value, secret=is_secret(loc)),
        message,
        f"see `esap config schema` for what {render_path(loc)} takes"
        + (f" ({about})" if about else ""),
    )


def problems_from_validation(
    error: ValidationError, raw: Mapping[Loc, str] | None = None
) -> list[tuple[Loc, Problem]]:
    """Every error of a failed validation, with the key path each one is about.

    The path is the problem's own (a repeated name is about the second entry's
    ``name``, not the whole list), so problems sort by where the admin must look.
    """
    found: list[tuple[Loc, Problem]] = []
    for detail in error.errors(include_url=False):
        problem = problem_from_error(detail, raw)
        found.append((parse_path(problem.path), problem))
    return found


__all__ = [
    "SECRET_FIX",
    "SECRET_MESSAGE",
    "is_secret",
    "problem_from_error",
    "problems_from_validation",
]
