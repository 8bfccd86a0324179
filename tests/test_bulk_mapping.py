"""``esap.bulk``: map_basket on a real (in-process) Dask cluster, and cluster()'s errors."""

from __future__ import annotations

from collections.abc import Iterator

import dask.config
import pytest
from distributed import Client, LocalCluster

import esap.bulk
from harness.ports import free_port


def square(x: int) -> int:
    return x * x


# first: before the module's client exists
def test_without_a_client_the_error_says_how_to_get_one() -> None:
    with pytest.raises(esap.bulk.BulkError, match=r"esap\.bulk\.cluster"):
        esap.bulk.map_basket(square, [1])


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


def test_results_come_back_in_item_order(client: Client) -> None:
    items = list(range(1000))
    assert esap.bulk.map_basket(square, items, progress=False) == [x * x for x in items]


def test_items_are_batched_and_every_batch_size_gives_the_same(client: Client) -> None:
    items = [f"file-{i}.fits" for i in range(37)]
    expected = [len(name) for name in items]
    for size in (1, 5, 37, 100):
        assert esap.bulk.map_basket(len, items, batch_size=size, progress=False) == expected


def test_a_basket_gives_its_items(client: Client) -> None:
    class Basket:
        def items(self) -> list[str]:
            return ["a", "bb", "ccc"]

    assert esap.bulk.map_basket(len, basket=Basket(), progress=False) == [1, 2, 3]
    with pytest.raises(TypeError, match="exactly one"):
        esap.bulk.map_basket(len, ["a"], basket=Basket())


def test_a_failing_item_is_named(client: Client) -> None:
    def invert(x: int) -> float:
        return 1 / x

    with pytest.raises(esap.bulk.ItemError) as failed:
        esap.bulk.map_basket(invert, [4, 2, 0, 1], batch_size=2, progress=False)
    assert failed.value.index == 2
    assert "item 2 (0) failed: ZeroDivisionError" in str(failed.value)


def test_the_progress_bar_counts_items(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    esap.bulk.map_basket(square, range(50), progress=True)
    assert "50/50" in capsys.readouterr().err


def test_unreachable_gateway_names_where_it_looked() -> None:
    address = f"http://127.0.0.1:{free_port()}/services/dask-gateway"
    with (
        dask.config.set({"gateway.address": address, "gateway.auth.type": "basic"}),
        pytest.raises(esap.bulk.GatewayUnreachable) as down,
    ):
        esap.bulk.cluster(workers=1)
    assert address in str(down.value)
    assert "DASK_GATEWAY__ADDRESS" in str(down.value)


def test_no_gateway_configured_says_what_to_set() -> None:
    with (
        dask.config.set({"gateway.address": None}),
        pytest.raises(esap.bulk.NoGateway, match=r"dask\.enabled"),
    ):
        esap.bulk.cluster()
