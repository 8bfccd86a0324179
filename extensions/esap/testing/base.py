"""What every kind of adapter promises about its entry in ``esap.yaml``, checked through the engine.

The checks here hold for a data service, a software catalogue and an
archive alike, because they are promises of the config, not of the adapter's
own work: ``esap config check`` accepts the entry; an unknown option and a
mistyped one are named by their key path; the public config (what a user
server receives) carries the entry and its options, secrets as references
only; and the adapter, built the way a user server builds it, receives
exactly its validated options. The kinds' modules (``esap.testing.data``,
``.software``, ``.archive``) add what their engine does with the adapter.

Every check writes a real ``esap.yaml`` in the test's own folder and goes
through the same functions an admin's command, the hub and a user server
call; none re-implements what it checks, so a change in the engine that
breaks an adapter's promise fails here.
"""

from __future__ import annotations

import copy
import enum
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pytest
import yaml
from pydantic import AnyUrl, BaseModel

from esap import cli, plugins
from esap.config import ConfigError, load, public
from esap.config.adapters import SECTIONS
from esap.config.models import SecretRef
from esap.config.options import (
    AdapterOptions,
    FreeOptions,
    hub_only_fields,
    looks_like_reference,
    options_model,
    secret_fields,
    split_options,
)
from esap.config.public import PUBLIC_CONFIG_ENV, server_environment

#: What the suite makes an adapter raise, to see the engine contain it.
BOOM = "conformance: boom"
#: An option no adapter declares.
UNKNOWN_OPTION = "no_such_option_zz"
#: Environment variables that would let a test see another config than the one it wrote.
CONFIG_VARIABLES = ("ESAP_PUBLIC_CONFIG", "ESAP_CONFIG")


def boom(*args: Any, **kwargs: Any) -> NoReturn:
    """Stands in for an adapter's method: fails the way a careless adapter does."""
    raise RuntimeError(BOOM)


def optional_fixture(request: pytest.FixtureRequest, name: str, default: Any) -> Any:
    """The fixture ``name`` if the adapter's tests define one (method or module), else ``default``.

    Defaults are not fixtures of the abstract class on purpose: a class
    fixture would hide a module-level fixture of the same name.
    """
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return default


def _plain(value: Any) -> Any:
    """``value`` as YAML-safe data (paths and URLs become text)."""
    return json.loads(json.dumps(value, default=str))


# ------------------------------------------------------------ mistyped options

#: What a field holds, as far as "a value of another JSON type" is concerned.
_SCALAR, _SEQUENCE, _MAPPING = "scalar", "sequence", "mapping"
#: A value of another JSON type than each kind of field takes.
_WRONG: dict[str, Any] = {
    _SCALAR: {"conformance": "a mapping where a single value belongs"},
    _SEQUENCE: {"conformance": "a mapping where a list belongs"},
    _MAPPING: ["conformance", "a list where a mapping belongs"],
}
_SCALAR_TYPES: tuple[type, ...] = (bool, int, float, str, Path, AnyUrl, enum.Enum)


def _holds(annotation: Any) -> str | None:
    """``scalar``, ``sequence`` or ``mapping``; ``None`` when the field may take anything."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _holds(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        kinds = {_holds(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is typing.Literal:
        return _SCALAR
    container = origin or annotation
    if not isinstance(container, type):
        return None
    if issubclass(container, _SCALAR_TYPES):
        return _SCALAR
    if issubclass(container, (BaseModel, Mapping)):
        return _MAPPING
    if issubclass(container, (list, tuple, set, frozenset)):
        return _SEQUENCE
    return None


def mistyped_option(model: type[AdapterOptions]) -> tuple[str, Any] | None:
    """(a field of ``model``, a value of another JSON type), plain fields before secrets."""
    secrets = secret_fields(model)
    found = [
        (name in secrets, order, name, kind)
        for order, (name, info) in enumerate(model.model_fields.items())
        if (kind := _holds(info.annotation)) is not None
    ]
    found.sort(key=lambda item: (item[0], item[3] != _SCALAR, item[1]))
    if not found:
        return None
    _, _, name, kind = found[0]
    return name, _WRONG[kind]


def named_at(problems: Sequence[Any], path: str) -> list[Any]:
    """The problems whose key path is ``path`` or inside it."""
    return [p for p in problems if re.fullmatch(re.escape(path) + r"([.\[].*)?", p.path)]


def _refusal(path: Path) -> str:
    """Why ``esap.config.load`` refuses the file at ``path`` ("" when it accepts it)."""
    try:
        load(path)
    except ConfigError as exc:
        return str(exc)
    return ""


# ------------------------------------------------------------------- one check


@dataclass
class Conformance:
    """One check's world: the adapter's entry, the esap.yaml written for it, its folder."""

    section: str
    entry: dict[str, Any]
    extra: dict[str, Any]
    directory: Path
    monkeypatch: pytest.MonkeyPatch
    written: int = field(default=0)

    @property
    def name(self) -> str:
        """The entry's name."""
        return str(self.entry["name"])

    @property
    def group(self) -> str:
        """The entry-point group of the adapter's kind."""
        return SECTIONS[self.section]

    @property
    def adapter_class(self) -> type:
        """The adapter class the entry's ``type`` names, loaded as the engine loads it."""
        return plugins.load(self.group, str(self.entry["type"]))

    @property
    def model(self) -> type[AdapterOptions]:
        """The adapter's options model (``FreeOptions`` when it declares none)."""
        return options_model(self.adapter_class)

    @property
    def options(self) -> dict[str, Any]:
        """The entry's options as the admin wrote them."""
        return dict(_plain(self.entry.get("options") or {}))

    def write(self, *others: dict[str, Any], options: Any = None) -> Path:
        """An esap.yaml with the entry first in its section, then ``others``; its path.

        ``options`` replaces the entry's options (to write a wrong one).
        """
        entry = copy.deepcopy(self.entry)
        if options is not None:
            entry["options"] = options
        config = copy.deepcopy(self.extra)
        config[self.section] = [entry, *others, *(config.get(self.section) or [])]
        self.written += 1
        path = self.directory / f"esap-{self.written}.yaml"
        path.write_text(yaml.safe_dump(_plain(config), sort_keys=False), encoding="utf-8")
        return path

    def spawn(self, path: Path) -> dict[str, Any]:
        """Set up this process as the hub sets up a user server from ``path``; the public config.

        The hub's spawner environment (``server_environment``): the public
        config in ``$ESAP_PUBLIC_CONFIG`` and each secret option's value in
        its own variable. What a user server builds from it is what a user gets.
        """
        environment, _ = server_environment(load(path))
        for variable, value in environment.items():
            self.monkeypatch.setenv(variable, value)
        found: dict[str, Any] = json.loads(environment[PUBLIC_CONFIG_ENV])
        return found

    def secret_keys(self) -> set[str]:
        """The entry's options that are secrets (by the model, or written as references)."""
        declared = set(secret_fields(self.model))
        return declared | {
            key for key, value in self.options.items() if looks_like_reference(value)
        }

    def public_options(self) -> dict[str, Any]:
        """What the public config's ``options`` must be: all but hub-only, secrets as references."""
        model = self.model
        validated = model.model_validate(self.options).model_dump(mode="json")
        given = {key: value for key, value in validated.items() if value is not None}
        shown, hidden = split_options(model, given)
        return {**shown, **{key: str(reference) for key, reference in hidden.items()}}

    def check_received(self, received: Any) -> None:
        """Assert that an adapter's ``self.options`` are the entry's validated options."""
        model = self.model
        assert isinstance(received, model), (
            f"the adapter's self.options is {type(received).__name__}, not its Options model "
            f"{model.__name__}: call super().__init__(...) in the adapter's constructor (the "
            "base class validates the entry's options into self.options) and do not replace it"
        )
        private = hub_only_fields(model)
        admin = {key: value for key, value in self.options.items() if key not in private}
        expected = model.model_validate(admin).model_dump(mode="json")
        got = received.model_dump(mode="json")
        for key in self.secret_keys():
            wanted, arrived = expected.pop(key, None), got.pop(key, None)
            if wanted is None:
                continue
            assert looks_like_reference(arrived), (
                f"secret option {key!r} reached the adapter as {type(arrived).__name__}, not as "
                "a reference (env:NAME): declare it as SecretRef and call .resolve() where used"
            )
            try:
                value = SecretRef(wanted).resolve()
            except LookupError:
                continue  # not set where the test runs: the reference's shape is all to check
            assert SecretRef(arrived).resolve() == value, (
                f"secret option {key!r}: the reference the user server got ({arrived}) does not "
                "resolve to the admin's secret"
            )
        assert got == expected, (
            f"the adapter built from the public config has options {got}, but the entry's "
            f"options validated by {model.__name__} are {expected}: an option is lost or "
            "changed on its way to the user server (is it marked hub_only? does the "
            "constructor change self.options?)"
        )


class AdapterConformance:
    """The checks every kind shares; subclass a kind's class, not this one.

    A kind sets ``section`` and implements ``_conformance_build`` (the adapter
    built the way a user server builds it, from the public config).
    """

    #: The esap.yaml section of this kind of adapter.
    section: ClassVar[str] = ""

    @pytest.fixture
    def conformance(
        self, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Conformance:
        """The check's world: the ``entry`` fixture, ``config_extra``, a private state folder."""
        entry = request.getfixturevalue("entry")
        assert isinstance(entry, dict), (
            "the `entry` fixture must return the adapter's entry as written in esap.yaml "
            f"(a dict), got {entry!r}"
        )
        for key in ("name", "type"):
            assert entry.get(key), f"the `entry` fixture must give the entry's {key}: {entry!r}"
        extra = optional_fixture(request, "config_extra", {})
        assert isinstance(extra, dict), "the `config_extra` fixture must return a dict"
        assert self.section not in extra or isinstance(extra[self.section], list), (
            f"config_extra[{self.section!r}] must be a list of entries"
        )
        for variable in CONFIG_VARIABLES:
            monkeypatch.delenv(variable, raising=False)
        directory = tmp_path / "esap-conformance"
        directory.mkdir()
        monkeypatch.setenv("ESAP_STATE_DIR", str(directory / "state"))
        return Conformance(
            self.section, copy.deepcopy(entry), copy.deepcopy(extra), directory, monkeypatch
        )

    def _conformance_build(self, conformance: Conformance, request: pytest.FixtureRequest) -> Any:
        """The adapter, built as a user server builds it once ``spawn`` set its environment."""
        raise NotImplementedError

    # -------------------------------------------------------------- the checks

    def test_config_check_accepts_the_entry(
        self, conformance: Conformance, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``esap.config.load`` and ``esap config check`` accept the entry as written."""
        path = conformance.write()
        refused = _refusal(path)
        if refused:
            pytest.fail(
                f"esap.config.load refuses the entry:\n{refused}\nfix the entry fixture (or "
                "config_extra), or the adapter's Options model if the entry is right",
                pytrace=False,
            )
        code = cli.main(["config", "check", str(path)])
        out, err = capsys.readouterr()
        assert code == 0, f"`esap config check` exited {code}:\n{out}{err}"

    def test_unknown_option_is_named_by_its_key_path(
        self, conformance: Conformance, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An option the adapter does not declare is named by its key path (any key if free)."""
        where = f"{self.section}[0].options"
        options = {**conformance.options, UNKNOWN_OPTION: 1}
        if conformance.model is FreeOptions:
            free = {**options, "conformance_nested": {"any": ["value", 1, None]}}
            refused = _refusal(conformance.write(options=free))
            assert not refused, (
                "the adapter declares no Options, so any mapping must be accepted under "
                f"options:, but esap.config.load says:\n{refused}"
            )
            return
        path = conformance.write(options=options)
        with pytest.raises(ConfigError) as caught:
            load(path)
        wanted = f"{where}.{UNKNOWN_OPTION}"
        assert [p for p in caught.value.problems if p.path == wanted], (
            f"an unknown option must be named {wanted}; the problems were:\n{caught.value}\n"
            "declare Options as a subclass of AdapterOptions (extra='forbid' is its default)"
        )
        code = cli.main(["config", "check", str(path)])
        out, err = capsys.readouterr()
        assert code == 1, f"`esap config check` must exit 1; it exited {code}:\n{out}{err}"
        assert wanted in out + err, f"`esap config check` must name {wanted}:\n{out}{err}"

    def test_mistyped_option_is_named_by_its_key_path(self, conformance: Conformance) -> None:
        """A declared option given a value of another JSON type is named by its key path.

        For an adapter without a typed option, ``options:`` that is not a
        mapping is named instead.
        """
        where = f"{self.section}[0].options"
        picked = None if conformance.model is FreeOptions else mistyped_option(conformance.model)
        options: Any = "not a mapping"
        wanted = where
        if picked is not None:
            key, value = picked
            wanted, options = f"{where}.{key}", {**conformance.options, key: value}
        path = conformance.write(options=options)
        with pytest.raises(ConfigError) as caught:
            load(path)
        assert named_at(caught.value.problems, wanted), (
            f"a mistyped option must be named at {wanted}; the problems were:\n{caught.value}\n"
            "give the field a precise type in the adapter's Options model"
        )

    def test_public_config_carries_the_entry_and_its_options(
        self, conformance: Conformance
    ) -> None:
        """The public config lists the entry, without error, with its public options only."""
        view = public(load(conformance.write()))
        text = json.dumps(view)  # what the hub puts in a user server's environment
        found = [e for e in view.get(self.section, []) if e.get("name") == conformance.name]
        assert len(found) == 1, f"the public config's {self.section} has no {conformance.name!r}"
        (shown,) = found
        assert "error" not in shown, (
            f"the public config marks the entry broken: {shown['error']}; the adapter must "
            "load where the hub runs (plugins.load) and accept its options"
        )
        assert shown["type"] == conformance.entry["type"], f"the public type is {shown['type']}"
        assert shown["options"] == conformance.public_options(), (
            f"the public config carries options {shown['options']}, expected "
            f"{conformance.public_options()} (every option but hub_only ones, secrets as "
            "references): check the Options model's field markers"
        )
        for key in conformance.secret_keys() & set(shown["options"]):
            assert looks_like_reference(shown["options"][key]), (
                f"secret option {key!r} must reach the public config as a reference only"
            )
            written = conformance.options.get(key)
            if written is None:
                continue
            try:
                value = SecretRef(str(written)).resolve()
            except LookupError:
                continue
            assert value not in text, f"the value of secret option {key!r} is in the public config"

    def test_adapter_receives_its_options(
        self, conformance: Conformance, request: pytest.FixtureRequest
    ) -> None:
        """Built as a user server builds it, the adapter gets its validated options."""
        conformance.spawn(conformance.write())
        adapter = self._conformance_build(conformance, request)
        conformance.check_received(adapter.options)


__all__ = [
    "BOOM",
    "UNKNOWN_OPTION",
    "AdapterConformance",
    "Conformance",
    "boom",
    "mistyped_option",
    "named_at",
    "optional_fixture",
]
