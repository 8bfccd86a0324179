"""Federated search over 8 services with 300 ms latency each: ESAP Hub vs the sequential pyvo loop.

Each of the 8 services is the test archive's TAP service (GAVO DaCHS, one
server process per service on the same database, as 8 archives would be)
behind its own delaying proxy that waits 300 ms before forwarding every
request, as a far-away archive would (a sleep: the latency costs no CPU).
The query is the same cone search everywhere (M31, 0.3 degree, on the
archive's catalogue table, as ESAP's form search writes it for a TAP service
whose ``table`` option names it).

* ours: ``POST data/search`` on the ESAP REST API (a jupyter server with the
  esap extension), reading the NDJSON stream: time to the first ``rows``
  event and to ``done``;
* peer: what a scientist writes with pyvo — ``for url in services:
  TAPService(url).run_sync(adql)`` — time to the first service's table and
  to the last;
* for the first-row goal, the moment the fastest archive's answer left its
  proxy in that same search (the proxies note when they send): the first rows
  reaching the client minus that moment is what ESAP Hub adds to the fastest
  service.

Both sides are measured against the archives twice, in the same run:

* live: every request goes through to DaCHS. The eight DaCHS processes and
  their PostgreSQL run on the same cores as ESAP Hub and the clients, so
  when eight queries arrive at once (a federation) the archives' own work
  (some 40 ms of CPU each, plus the database's) queues for those cores,
  which eight archives on eight machines would not; the sequential loop
  never has two archives working at once. To show how much of the total is
  this machine rather than ESAP Hub, the same eight queries are also timed
  from eight plain pyvo threads (no ESAP Hub at all): the floor for any
  parallel client here.
* replayed (the final line): each proxy records DaCHS's answer to the query,
  and the time DaCHS took, once, with nothing else running; afterwards it
  answers the same request with those bytes after sleeping the latency plus
  that recorded service time. Each archive then behaves as one on its own
  machine: as slow as DaCHS alone, costing this machine no CPU. ESAP Hub's
  work is unchanged (the same HTTP requests, the same VOTables parsed,
  stored and streamed), and so is the peer's.

Runs alternate after one warm-up each; medians are reported. The last line:

    federated search total (8 services, 300 ms latency each, archives on
    machines of their own): ours <x> ms, sequential pyvo loop <y> ms, ratio
    <r> (goal >= 6)

(on one line).
"""

from __future__ import annotations

import argparse
import concurrent.futures
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


def parallel(urls: list[str], query: str) -> float:
    """Total ms of the same queries from one plain pyvo thread per service (no ESAP Hub)."""
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        list(pool.map(lambda url: pyvo.dal.TAPService(url).run_sync(query).to_table(), urls))
    return (time.perf_counter() - began) * 1000


def report(label: str, m: dict[str, float]) -> None:
    """The first-row and total lines of one way of serving the archives."""
    print(
        f"{label} first rows: ours {m['of']:.0f} ms, after the fastest archive answered in the "
        f"same search {m['fa']:.0f} ms (goal <= 50 ms); sequential pyvo loop {m['sf']:.0f} ms"
    )
    print(f"{label} total: ours done {m['sa']:.0f} ms after the slowest archive answered")


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
            modes = {
                "live": [f"{p.base_url}/delay/{LATENCY_MS}/tap" for p in proxies],
                "replayed": [f"{p.base_url}/replay/{LATENCY_MS}/tap" for p in proxies],
            }
            names = {mode: [f"{mode}-{i}" for i in range(SERVICES)] for mode in modes}
            config = {
                "data_services": [
                    {"name": n, "type": "tap", "url": u, "timeout": 60, "options": {"table": TABLE}}
                    for mode, urls in modes.items()
                    for n, u in zip(names[mode], urls, strict=True)
                ]
            }
            server = EsapServer(Path(tmp) / "esap", config)
            try:
                query = adql()
                for base, url in zip(bases, modes["replayed"], strict=True):
                    single(f"{base}/tap", query)  # the archive warm, then recorded alone
                    single(url, query)
                for mode, urls in modes.items():  # warm-up: imports, connections
                    ours(server, names[mode], proxies)
                    sequential(urls, query)
                keys = ("of", "ot", "fa", "sa", "sf", "st")
                results: dict[str, dict[str, list[float]]] = {
                    mode: {k: [] for k in keys} for mode in modes
                }
                floor: list[float] = []
                counts = set()
                for _ in range(args.runs):
                    for mode, urls in modes.items():
                        first, total, rows_ours, fastest, slowest = ours(
                            server, names[mode], proxies
                        )
                        got = results[mode]
                        got["of"].append(first)
                        got["ot"].append(total)
                        got["fa"].append(first - fastest)
                        got["sa"].append(total - slowest)
                        first, total, rows_seq = sequential(urls, query)
                        got["sf"].append(first)
                        got["st"].append(total)
                        counts.add((rows_ours, rows_seq))
                    floor.append(parallel(modes["live"], query))
            finally:
                server.stop()
        finally:
            for proxy in proxies:
                proxy.stop()
            for server in extra:
                server.stop()
    assert len(counts) == 1, counts
    assert len(set(next(iter(counts)))) == 1, counts
    live = {k: median(v) for k, v in results["live"].items()}
    replayed = {k: median(v) for k, v in results["replayed"].items()}
    print(f"rows per search: {counts.pop()[0]} from {SERVICES} services; {args.runs} runs, medians")
    report("live:", live)
    print(
        f"live: total: ours {live['ot']:.0f} ms, {SERVICES} plain pyvo threads (no ESAP Hub) "
        f"{median(floor):.0f} ms, sequential pyvo loop {live['st']:.0f} ms, "
        f"ratio {live['st'] / live['ot']:.1f} (the threads: {live['st'] / median(floor):.1f})"
    )
    report("replayed:", replayed)
    print(
        f"federated search total ({SERVICES} services, {LATENCY_MS} ms latency each, archives on "
        f"machines of their own): ours {replayed['ot']:.0f} ms, sequential pyvo loop "
        f"{replayed['st']:.0f} ms, ratio {replayed['st'] / replayed['ot']:.1f} (goal >= 6)"
    )


if __name__ == "__main__":
    main()
