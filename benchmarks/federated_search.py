"""Federated search over 8 services with 300 ms latency each: ESAP Hub vs the sequential pyvo loop.

Each of the 8 services is the test archive's TAP service (GAVO DaCHS, one
server process per service on the same database, as 8 archives would be)
behind its own delaying proxy that waits 300 ms before forwarding every
request, as a far-away archive would. The query is the same cone search
everywhere (M31, 0.3 degree, on the archive's catalogue table, as ESAP's form
search writes it for a TAP service whose ``table`` option names it).

* ours: ``POST data/search`` on the ESAP REST API (a jupyter server with the
  esap extension), reading the NDJSON stream: time to the first ``rows``
  event and to ``done``;
* peer: what a scientist writes with pyvo — ``for url in services:
  TAPService(url).run_sync(adql)`` — time to the first service's table and
  to the last;
* for the first-row goal, the moment the fastest archive's answer left its
  proxy in that same search (the proxies note when they send): the first rows
  reaching the client minus that moment is what ESAP Hub adds to the fastest
  service. The fastest service queried alone with pyvo is printed beside it;
  it is faster than any service inside a federation here, because the eight
  archives share this machine's cores with each other and with ESAP Hub.

Runs alternate after one warm-up each; medians are reported. The last line:

    federated search total (8 services, 300 ms latency each): ours <x> ms,
    sequential pyvo loop <y> ms, ratio <r> (goal >= 6)

(on one line).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import pyvo
from _data_bench import EsapServer, median, running_dachs

from harness.dachs import Server
from harness.faults import FaultServer
from harness.ports import free_port

SERVICES = 8
LATENCY_MS = 300
M31 = (10.6847, 41.2690)


#: The same cone on the archive's catalogue, as ESAP's form search writes it for a
#: TAP service whose table is esaptest.sources (DaCHS answers it in tens of ms, so
#: the injected latency, not the archive's CPU, is what a federation must hide).
TABLE = "esaptest.sources"
RADIUS = 0.3


def adql() -> str:
    return (
        f"SELECT * FROM {TABLE} WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "  # noqa: S608
        f"CIRCLE('ICRS', {M31[0]!r}, {M31[1]!r}, {RADIUS!r}))"
    )


def ours(
    server: EsapServer, names: list[str], proxies: list[FaultServer]
) -> tuple[float, float, int, float, float]:
    """(first rows, total, rows, fastest and slowest archive's answer) for one search via REST.

    Times in ms from the request; the archives' answers as their proxies sent them.
    """
    marks = [len(proxy.answered) for proxy in proxies]
    began = start = time.monotonic()  # the proxies' clock
    first = None
    rows = 0
    request = {"ra": M31[0], "dec": M31[1], "radius": RADIUS, "services": names}
    with server.api.stream("POST", "data/search", json=request) as answer:
        answer.raise_for_status()
        for line in answer.iter_lines():
            event = json.loads(line)
            if event["event"] == "rows":
                rows += event["total"]
                if first is None:
                    first = time.monotonic() - began
            elif event["event"] == "error":
                raise RuntimeError(f"{event['service']}: {event['message']}")
    total = time.monotonic() - began
    assert first is not None
    answers = [min(p.answered[mark:]) - start for p, mark in zip(proxies, marks, strict=True)]
    return first * 1000, total * 1000, rows, min(answers) * 1000, max(answers) * 1000


def sequential(urls: list[str], query: str) -> tuple[float, float, int]:
    """(first table ms, total ms, rows) for the loop a scientist writes."""
    began = time.perf_counter()
    first = None
    rows = 0
    for url in urls:
        table = pyvo.dal.TAPService(url).run_sync(query).to_table()
        rows += len(table)
        if first is None:
            first = time.perf_counter() - began
    total = time.perf_counter() - began
    assert first is not None
    return first * 1000, total * 1000, rows


def single(url: str, query: str) -> float:
    began = time.perf_counter()
    pyvo.dal.TAPService(url).run_sync(query).to_table()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_dachs(Path(tmp) / "dachs") as (harness, dachs),
    ):
        # one DaCHS server process per service, as 8 archives would be (same database)
        extra = [Server.start(harness.directory, free_port()) for _ in range(SERVICES - 1)]
        for server in extra:
            server.wait_ready()
        bases = [dachs.base_url] + [s.base_url for s in extra]
        proxies = [FaultServer(upstream=base).start() for base in bases]
        try:
            urls = [f"{p.base_url}/delay/{LATENCY_MS}/tap" for p in proxies]
            names = [f"archive-{i}" for i in range(SERVICES)]
            config = {
                "data_services": [
                    {"name": n, "type": "tap", "url": u, "timeout": 60, "options": {"table": TABLE}}
                    for n, u in zip(names, urls, strict=True)
                ]
            }
            server = EsapServer(Path(tmp) / "esap", config)
            try:
                query = adql()
                ours(server, names, proxies)  # warm-up: imports, connections
                sequential(urls, query)
                results: dict[str, list[float]] = {
                    k: [] for k in ("of", "ot", "fa", "sa", "sf", "st", "one")
                }
                counts = set()
                for _ in range(args.runs):
                    first, total, rows_ours, fastest, slowest = ours(server, names, proxies)
                    results["of"].append(first)
                    results["ot"].append(total)
                    results["fa"].append(first - fastest)
                    results["sa"].append(total - slowest)
                    first, total, rows_seq = sequential(urls, query)
                    results["sf"].append(first)
                    results["st"].append(total)
                    results["one"].append(min(single(u, query) for u in urls[:3]))
                    counts.add((rows_ours, rows_seq))
            finally:
                server.stop()
        finally:
            for proxy in proxies:
                proxy.stop()
            for server in extra:
                server.stop()
    assert len(counts) == 1, counts
    assert len(set(next(iter(counts)))) == 1, counts
    m = {k: median(v) for k, v in results.items()}
    print(f"rows per search: {counts.pop()[0]} from {SERVICES} services; {args.runs} runs, medians")
    print(
        f"first rows: ours {m['of']:.0f} ms, after the fastest archive answered in the same "
        f"search {m['fa']:.0f} ms (goal <= 50 ms)"
    )
    print(
        f"first rows: fastest service queried alone (pyvo) {m['one']:.0f} ms, "
        f"sequential pyvo loop {m['sf']:.0f} ms"
    )
    print(f"total: ours done {m['sa']:.0f} ms after the slowest archive answered")
    print(
        f"federated search total ({SERVICES} services, {LATENCY_MS} ms latency each): "
        f"ours {m['ot']:.0f} ms, sequential pyvo loop {m['st']:.0f} ms, "
        f"ratio {m['st'] / m['ot']:.1f} (goal >= 6)"
    )


if __name__ == "__main__":
    main()
