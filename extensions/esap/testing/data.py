"""The conformance checks of a data service adapter: search through every face, contained errors.

Beyond the config checks every kind shares (``esap.testing.base``): the
notebook face (``esap.data.search``) and the command line (``esap search``)
find the adapter's rows; ``describe()`` is JSON and the abilities it lists
are exactly the typed protocols the adapter implements, with their
signatures; and an exception the adapter raises, in ``search`` or in its
constructor, is that service's error while another service's rows arrive.
"""

from __future__ import annotations

import inspect
import json
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from esap import cli, plugins
from esap.data.base import ABILITIES, DataService, Query
from esap.testing.base import BOOM, AdapterConformance, Conformance, boom, optional_fixture

if TYPE_CHECKING:
    from astropy.table import Table

#: The name and type of the service that always answers, beside the one under test.
ANSWERING = "conformance-answering"


class AnsweringService(DataService):
    """A service that answers every search with one row: the "other service" of a federation."""

    def search(self, query: Query) -> Table:
        """One row, whatever was asked."""
        from astropy.table import Table

        return Table(rows=[["still here"]], names=["answer"])


def cli_arguments(search_kwargs: dict[str, Any]) -> list[str]:
    """``esap search`` arguments for the keyword arguments of ``esap.data.search``."""
    arguments: list[str] = []
    for key, value in search_kwargs.items():
        if value is None:
            continue
        if key == "target":
            arguments.append(str(value))
        elif key in ("band", "time"):
            arguments += [f"--{key}", *(str(v) for v in value)]
        elif key in ("ra", "dec", "radius", "maxrec", "collection", "text"):
            arguments += [f"--{key}", str(value)]
        else:
            pytest.fail(
                f"`esap search` has no option for search_kwargs[{key!r}]; give the fixture "
                "`cli_args` (a list of `esap search` arguments that find rows)",
                pytrace=False,
            )
    return arguments


def _takes(method: Any, declared: Any) -> str | None:
    """Why ``method`` cannot be called as the protocol's ``declared`` method is, if it cannot."""
    wanted = [p for p in inspect.signature(declared).parameters.values() if p.name != "self"]
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return None  # a builtin or C callable: nothing to check
    positional = [None for p in wanted if p.default is inspect.Parameter.empty]
    keywords = {p.name: None for p in wanted if p.default is not inspect.Parameter.empty}
    try:
        signature.bind(*positional, **keywords)
    except TypeError as exc:
        return str(exc)
    return None


class DataServiceConformance(AdapterConformance):
    """The conformance suite of a data service adapter (see ``esap.testing``).

    Fixtures to give: ``entry`` (the entry under ``data_services``) and
    ``search_kwargs`` (keyword arguments of ``esap.data.search`` that find at
    least one row). Optional: ``config_extra`` (other top-level sections,
    e.g. a ``resolver``) and ``cli_args`` (``esap search`` arguments, when
    ``search_kwargs`` holds ``params``, which the command line cannot give).
    """

    section: ClassVar[str] = "data_services"

    def _conformance_build(
        self, conformance: Conformance, request: pytest.FixtureRequest
    ) -> DataService:
        from esap.core.public_config import public_config
        from esap.data.catalog import BrokenAdapter, Catalog

        # a user server reads the public config the hub put in its environment
        adapter = Catalog(public_config()).adapter(conformance.name)
        assert not isinstance(adapter, BrokenAdapter), (
            f"a user server cannot build the service: {adapter.reason}"
        )
        return adapter

    @pytest.fixture
    def conformance_answering(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        """The entry of a service that always answers, registered for this test only."""
        monkeypatch.setitem(
            plugins.BUILTIN[plugins.DATA_SERVICES], ANSWERING, f"{__name__}:AnsweringService"
        )
        return {"name": ANSWERING, "type": ANSWERING, "url": "http://127.0.0.1:9/unused"}

    # -------------------------------------------------------------- the checks

    def test_notebook_search_finds_rows(
        self, conformance: Conformance, search_kwargs: dict[str, Any]
    ) -> None:
        """``esap.data.search(services=[it], **search_kwargs)`` returns its rows and no error."""
        import esap.data

        path = conformance.write()
        result = esap.data.search(config=path, services=[conformance.name], **search_kwargs)
        assert conformance.name not in result.errors, (
            f"the search failed: {result.errors[conformance.name]}"
        )
        assert conformance.name in result.tables, f"no table for the service in {result!r}"
        assert len(result.tables[conformance.name]) > 0, (
            f"the search found no row; give search_kwargs that find rows ({search_kwargs})"
        )
        combined = result.combined
        assert set(combined["service"]) == {conformance.name}, "rows of another service came"

    def test_command_line_search_finds_rows(
        self,
        conformance: Conformance,
        search_kwargs: dict[str, Any],
        request: pytest.FixtureRequest,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """``esap search --service it ...`` exits 0, reports its rows and writes them."""
        from astropy.table import Table

        arguments = optional_fixture(request, "cli_args", None)
        if arguments is None:
            arguments = cli_arguments(search_kwargs)
        path = conformance.write()
        output = conformance.directory / "rows.vot"
        code = cli.main(
            [
                "search",
                "--config",
                str(path),
                "--service",
                conformance.name,
                "--output",
                str(output),
                *arguments,
            ]
        )
        err = capsys.readouterr().err
        assert code == 0, f"`esap search` exited {code}:\n{err}"
        reported = [line for line in err.splitlines() if line.startswith(f"  {conformance.name}: ")]
        assert [line for line in reported if " rows in " in line], (
            f"`esap search` did not report the service's rows:\n{err}"
        )
        rows = Table.read(output, format="votable")
        assert len(rows) > 0, "`esap search` wrote no row"
        assert {str(value) for value in rows["service"]} == {conformance.name}, (
            "`esap search --service` wrote rows of another service"
        )

    def test_describe_lists_the_abilities_it_implements(
        self, conformance: Conformance, request: pytest.FixtureRequest
    ) -> None:
        """``describe()`` is JSON and lists ``search`` plus exactly the protocols implemented."""
        conformance.spawn(conformance.write())
        adapter = self._conformance_build(conformance, request)
        assert type(adapter).search is not DataService.search, "override search(query)"
        described = adapter.describe()
        try:
            json.dumps(described)
        except (TypeError, ValueError) as exc:
            pytest.fail(f"describe() is not JSON-serialisable ({exc}): {described!r}")
        for key in ("name", "type"):
            assert described[key] == conformance.entry[key], (
                f"describe()[{key!r}] is {described[key]!r}, not the entry's: extend the base "
                "class's describe() ({**super().describe(), ...}) rather than replace it"
            )
        claimed = [name for name, ability in ABILITIES.items() if isinstance(adapter, ability)]
        assert described["capabilities"] == ["search", *claimed], (
            f"describe() lists capabilities {described['capabilities']}, but the adapter "
            f"implements {['search', *claimed]}: abilities come from the protocols in "
            "esap.data.base (RunsAdql, ListsTables, SubmitsJobs, HoldsFiles, TakesUserToken); "
            "do not override capabilities"
        )
        for ability in {ABILITIES[name] for name in claimed}:
            for method in ability.__dict__:
                declared = getattr(ability, method)
                if method.startswith("_") or not callable(declared):
                    continue
                why = _takes(getattr(adapter, method), declared)
                assert why is None, (
                    f"{method} cannot be called as {ability.__name__} declares it "
                    f"{method}{inspect.signature(declared)}: {why}"
                )

    @pytest.mark.parametrize("method", ["search", "__init__"], ids=["search", "constructor"])
    def test_a_failure_is_the_service_error(
        self,
        conformance: Conformance,
        search_kwargs: dict[str, Any],
        conformance_answering: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch,
        method: str,
    ) -> None:
        """Any exception from ``search`` or while the adapter is built is that service's error.

        Another adapter in the same search still answers: its rows arrive.
        """
        monkeypatch.setattr(conformance.adapter_class, method, boom)
        self._check_contained(conformance, search_kwargs, conformance_answering)

    def _check_contained(
        self, conformance: Conformance, search_kwargs: dict[str, Any], answering: dict[str, Any]
    ) -> None:
        import esap.data

        path = conformance.write(answering)
        result = esap.data.search(
            config=path, services=[conformance.name, ANSWERING], **search_kwargs
        )
        assert BOOM in result.errors.get(conformance.name, ""), (
            f"the adapter's exception is not reported as its error: {result!r}"
        )
        assert ANSWERING not in result.errors, f"the other service failed too: {result!r}"
        assert len(result.tables.get(ANSWERING, [])) == 1, (
            f"another service's rows were lost with the failing one: {result!r}"
        )


__all__ = ["ANSWERING", "AnsweringService", "DataServiceConformance", "cli_arguments"]
