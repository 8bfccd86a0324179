"""Dask Gateway behind the real hub: what a notebook does with no configuration of its own.

Every step runs in a kernel of the user's server, so the gateway is found
through the environment the hub gave that server, and the user is known to
the gateway by that server's own JupyterHub token.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from harness.dask_hub import SMALL_GROUP, DaskHub
from harness.kernel import CellError, Kernel

pytestmark = pytest.mark.hub

START = """
import json, dask_gateway
gateway = dask_gateway.Gateway()
cluster = gateway.new_cluster()
print(json.dumps({"name": cluster.name, "dashboard": cluster.dashboard_link,
                  "address": gateway.address, "auth": type(gateway.auth).__name__}))
"""


def test_a_notebook_creates_scales_computes_and_shuts_down(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    kernel = kernel_of("alice")
    started = kernel.json(START)
    assert started["auth"] == "JupyterHubAuth"
    assert started["address"].endswith("/services/dask-gateway")
    try:
        result = kernel.json("""
cluster.scale(2)
client = cluster.get_client()
client.wait_for_workers(2, timeout=60)
total = client.submit(sum, client.map(lambda x: x * x, range(100))).result()
print(json.dumps({"total": total, "workers": len(client.scheduler_info()["workers"]),
                  "mine": [c.name for c in gateway.list_clusters()]}))
""")
        assert result["total"] == sum(x * x for x in range(100))
        assert result["workers"] == 2
        assert result["mine"] == [started["name"]]
        # the dashboard link is the hub's path to the gateway, reachable in a browser
        assert started["dashboard"].startswith("/services/dask-gateway/clusters/")
        dashboard = httpx.get(dask_hub.hub.url + started["dashboard"], follow_redirects=True)
        assert dashboard.status_code == 200
        assert "Dask" in dashboard.text
    finally:
        kernel.run("client.close() if 'client' in globals() else None; cluster.shutdown()")
    assert kernel.json("print(json.dumps([c.name for c in gateway.list_clusters()]))") == []


def test_another_user_can_neither_see_nor_use_the_cluster(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    alice = kernel_of("alice")
    name = alice.json(START)["name"]
    try:
        bob = kernel_of("bob")
        bob.run("import dask_gateway\ngateway = dask_gateway.Gateway()")
        assert bob.json("import json; print(json.dumps(gateway.list_clusters()))") == []
        for action in (f"gateway.connect({name!r})", f"gateway.stop_cluster({name!r})"):
            with pytest.raises(CellError) as refused:
                bob.run(action)
            assert "403" in str(refused.value) or "lacks permissions" in str(refused.value)
        # still alice's, still running
        assert alice.json(
            "print(json.dumps([(c.name, c.status.name) for c in gateway.list_clusters()]))"
        ) == [[name, "RUNNING"]]
    finally:
        alice.run("cluster.shutdown()")


def test_a_token_without_the_gateway_scope_is_refused(dask_hub: DaskHub) -> None:
    # a token limited to reading the user's own model: no access to the gateway service
    dask_hub.hub.create_user("dave")
    with dask_hub.hub.api() as api:
        response = api.post("users/dave/tokens", json={"scopes": ["read:users!user=dave"]})
        response.raise_for_status()
        token = response.json()["token"]
    address = dask_hub.hub.config["dask"]["proxy_port"]
    answer = httpx.get(
        f"http://127.0.0.1:{address}/services/dask-gateway/api/v1/clusters/",
        headers={"Authorization": f"jupyterhub {token}"},
    )
    assert answer.status_code == 401


def test_group_limits_refuse_with_the_limit_named(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    dask_hub.add_to_group("carol", SMALL_GROUP)
    carol = kernel_of("carol")
    carol.run("import json, warnings, dask_gateway, esap.bulk\ngateway = dask_gateway.Gateway()")
    # more workers than the group allows: esap.bulk.cluster says so and leaves nothing running
    with pytest.raises(CellError) as too_many:
        carol.run("esap.bulk.cluster(workers=5)")
    assert too_many.value.ename == "LimitError"
    assert "limit of 1 workers" in too_many.value.evalue
    assert "dask.group_limits" in too_many.value.evalue
    assert carol.json("print(json.dumps(len(gateway.list_clusters())))") == 0
    # a worker bigger than the group allows: refused at once, not a cluster that never starts
    with pytest.raises(CellError) as too_big:
        carol.run("gateway.new_cluster(worker_cores=2)")
    assert too_big.value.ename == "ValueError"
    assert "dask.group_limits.small.max_cores" in too_big.value.evalue
    carol.run("cluster = gateway.new_cluster()")
    try:
        with pytest.raises(CellError) as second:
            carol.run("gateway.new_cluster()")
        assert second.value.ename == "ValueError"
        assert "dask.group_limits.small.max_clusters" in second.value.evalue
        # scaling past the cluster's share is clamped by the gateway, which says so
        warned = carol.json("""
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cluster.scale(3)
print(json.dumps([str(w.message) for w in caught]))
""")
        assert any("limit of 1 workers" in message for message in warned), warned
        assert carol.json("print(json.dumps(len(gateway.list_clusters())))") == 1
    finally:
        carol.run("cluster.shutdown()")


def test_user_total_counts_every_cluster(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    erin = kernel_of("erin")
    erin.run("""
import dask_gateway
gateway = dask_gateway.Gateway()
first = gateway.new_cluster()
first.scale(1)
first.get_client().wait_for_workers(1, timeout=60)
""")
    try:
        # 2 of erin's 4 cores are taken: the second cluster gets the rest
        erin.run("second = gateway.new_cluster()")
        erin.run("first.scale(2)")  # 3 + 1 cores: at the limit, allowed
        with pytest.raises(CellError) as over:
            erin.run("first.scale(3)")
        assert over.value.ename == "GatewayClusterError"
        assert "dask.limits.max_cores" in over.value.evalue
    finally:
        erin.run("""
for c in gateway.list_clusters():
    gateway.stop_cluster(c.name)
""")


def test_map_basket_on_the_gateway_survives_a_killed_worker(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    frank = kernel_of("frank")
    outcome = frank.json("""
import json, os, signal, threading, time
import esap.bulk
cluster = esap.bulk.cluster(workers=2)
try:
    client = cluster.get_client()
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)

    def slow(x):
        time.sleep(0.02)
        return x * 2

    box = {}
    runner = threading.Thread(
        target=lambda: box.update(result=esap.bulk.map_basket(slow, range(200), progress=False))
    )
    runner.start()
    victim = next(iter(pids))
    while not client.processing().get(victim):   # the victim is busy with a batch
        time.sleep(0.01)
    os.kill(pids[victim], signal.SIGKILL)
    runner.join(180)
    print(json.dumps({
        "result": box.get("result"),
        "victim_gone": victim not in client.scheduler_info()["workers"],
    }))
finally:
    cluster.shutdown()
""")
    assert outcome["victim_gone"]
    assert outcome["result"] == [x * 2 for x in range(200)]


def test_the_lab_dask_panel_starts_clusters_on_the_gateway(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    # the dask-labextension panel's "+ NEW" asks its server extension for a cluster:
    # the factory the hub configured makes it on the gateway, as the user
    kernel = kernel_of("alice")
    kernel.run("import json, dask_gateway\ngateway = dask_gateway.Gateway()")
    panel = httpx.Client(
        base_url=f"{dask_hub.hub.url}/user/alice/dask/",
        headers={"Authorization": f"token {kernel.token}"},
        timeout=120,
    )
    with panel:
        created = panel.put("clusters/")
        assert created.status_code == 200, created.text
        model = created.json()
        try:
            assert model["dashboard_link"].startswith("/services/dask-gateway/clusters/")
            names = kernel.json("print(json.dumps([c.name for c in gateway.list_clusters()]))")
            assert len(names) == 1
            assert model["dashboard_link"].split("/")[4] == names[0]
            assert [c["id"] for c in panel.get("clusters/").json()] == [model["id"]]
        finally:
            panel.delete(f"clusters/{model['id']}")
    assert kernel.json("print(json.dumps(gateway.list_clusters()))") == []
