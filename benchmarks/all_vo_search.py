"""All-VO search over 100 cone search services: ESAP Hub vs a pyvo thread pool and astroquery.

The test archive (GAVO DaCHS) stands behind 100 proxies, each a "cone
search service" of the VO: 95 answer after a latency spread evenly from 50 ms
to 3 s (in a shuffled order), two hang, two fail (HTTP 500) and one refuses
connections. A second DaCHS server lists the 100 as mirrors in its RegTAP
registry (``tests/data/dachs/esaptest/registry.rd``), so ESAP Hub finds them
the way it finds the VO's: ``all_vo: {types: [scs], keywords: mirror}``. The
proxies replay DaCHS's answer after the latency plus the time DaCHS took to
make it (``/replay`` of ``tests/harness/faults.py``; each client's query is
answered by DaCHS once, alone, before the runs): archives on machines of
their own, whose work costs this machine no CPU. They run in a process of
their own, so the clients share no interpreter with them.

* ours: ``POST data/search`` with ``all_vo`` on the ESAP REST API (a jupyter
  server with the esap extension, the admin's default ``all_vo`` settings:
  32 services at once), the registry's answer kept from the warm-up search,
  reading the NDJSON stream to ``done``;
* a pyvo thread pool: ``SCSService(url).search(...)`` for every URL from a
  ``ThreadPoolExecutor`` of the same 32 threads, each request with the same
  time-out (and, for reference, one thread per service);
* astroquery's cone search "search all" (``vo_conesearch.conesearch.search_all``
  over the same URLs, with the same time-out), which asks one service
  after the other.

Figures (medians over ``--runs``; astroquery once, it takes minutes):

* done after the last service we waited for: the ``done`` line's arrival
  minus the moment the slowest answering service's answer left its proxy,
  or a hanging service's time-out ran out, whichever is later (goal <= 100 ms);
* first rows after the fastest: the first ``rows`` line's arrival minus the
  moment the fastest service's answer left its proxy (goal <= 50 ms);
* peak memory (VmHWM) of the user server during a search (goal < 300 MB);
* total time of each, and the ratios. The last line:

    all-VO search total (100 cone search services, 50 ms to 3 s latency, 5
    failing or hanging): ours <x> ms, pyvo thread pool (32 threads) <y> ms,
    ratio <r> (goal <= 1.0)

(on one line; the ratio is ours over the pool's).

Needs astroquery (``pip install esap-hub[bench]``), never a runtime dependency.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import requests
from _data_bench import REPO, EsapServer, median, reset_peak, running_dachs, status

from harness.dachs import MIRROR_PATHS, Server
from harness.ports import free_port

SERVICES = 100
HANGING, ERRORS, REFUSED = 2, 2, 1
ANSWERING = SERVICES - HANGING - ERRORS - REFUSED
FASTEST_MS, SLOWEST_MS = 50, 3000
#: Seconds each service may take (ours, the pool's and astroquery's alike).
TIMEOUT = 5.0
#: ESAP's default all_vo.concurrency, and so the pool's threads.
CONCURRENCY = 32
#: ESAP's default all_vo.maxrec: the rows its adapter asks each service for.
MAXREC = 1000
M31 = (10.6847, 41.2690)
RADIUS = 0.2
KEYWORD = "mirror"


def latencies() -> list[int]:
    """The answering services' latencies (ms): evenly from 50 ms to 3 s, in a shuffled order."""
    step = (SLOWEST_MS - FASTEST_MS) / (ANSWERING - 1)
    spread = [round(FASTEST_MS + i * step) for i in range(ANSWERING)]
    random.Random(22).shuffle(spread)
    return spread


# ------------------------------------------------------------ the proxies' process


def serve_proxies(upstream: str, kinds: list[str], log_path: str) -> None:
    """Run one fault server per service, log when each answers or hangs, until stdin closes."""
    from harness.faults import FaultServer

    lock = threading.Lock()
    log = Path(log_path).open("a")  # noqa: SIM115 - open as long as the servers run

    class Logged(list[float]):
        def __init__(self, what: str, port: int) -> None:
            super().__init__()
            self.what, self.port = what, port

        def append(self, moment: float) -> None:
            super().append(moment)
            with lock:
                log.write(f"{self.what} {self.port} {moment!r}\n")
                log.flush()

    servers = []
    # one recording for all: the 100 forward the same query to the same archive, so an
    # answer recorded once, alone, is replayed by every proxy
    recorded: dict[Any, Any] = {}
    for _kind in kinds:
        server = FaultServer(upstream=upstream)
        port = server.server_address[1]
        server.answered = Logged("answered", port)
        server.hung = Logged("hung", port)
        server.recorded = recorded
        servers.append(server.start())
    print(json.dumps([s.base_url for s in servers]), flush=True)
    sys.stdin.read()
    for server in servers:
        server.stop()
    log.close()


class Proxies:
    """The proxies' process, and what its log says about one search."""

    def __init__(self, directory: Path, upstream: str) -> None:
        self.log = directory / "proxies.log"
        self.log.touch()
        kinds = [f"replay/{ms}" for ms in latencies()]
        kinds += ["hang"] * HANGING + ["error"] * ERRORS
        random.Random(5).shuffle(kinds)
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-proxies", upstream, str(self.log), *kinds],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        bases = json.loads(self.process.stdout.readline())
        refused = f"http://127.0.0.1:{free_port()}"  # nothing listens there
        self.bases = [f"{base}/{kind}" for base, kind in zip(bases, kinds, strict=True)]
        self.bases.append(refused)
        #: An answering service's cone search URL (to record the archive's answers through).
        self.answering = next(
            f"{base}/{kind}{MIRROR_PATHS['scs']}"
            for base, kind in zip(bases, kinds, strict=True)
            if kind.startswith("replay")
        )

    def since(self, moment: float) -> tuple[list[float], list[float]]:
        """(when services answered, when hanging ones were asked) from ``moment`` on."""
        answered, hung = [], []
        for line in self.log.read_text().splitlines():
            what, _port, at = line.split()
            if float(at) >= moment:
                (answered if what == "answered" else hung).append(float(at))
        return answered, hung

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# ------------------------------------------------------------ the three clients


def ours(server: EsapServer, proxies: Proxies) -> dict[str, float]:
    """One all-VO search through REST: its figures (ms) and the user server's peak memory."""
    reset_peak(server.process.pid)
    body = {"ra": M31[0], "dec": M31[1], "radius": RADIUS,
            "all_vo": {"types": ["scs"], "keywords": KEYWORD}}  # fmt: skip
    began = time.monotonic()
    first = done = None
    rows = failed = 0
    with server.api.stream("POST", "data/search", json=body) as answer:
        answer.raise_for_status()
        for line in answer.iter_lines():
            event = json.loads(line)
            if event["event"] == "rows":
                rows += event["total"]
                if first is None:
                    first = time.monotonic()
            elif event["event"] == "summary":
                failed = event["failed"]
            elif event["event"] == "done":
                done = time.monotonic()
    assert first is not None
    assert done is not None
    peak = status(server.process.pid)["VmHWM"] / 1024
    answered, hung = proxies.since(began)
    waited_for = max([*answered, *(t + TIMEOUT for t in hung)])
    return {
        "first": (first - began) * 1000,
        "first_after_fastest": (first - min(answered)) * 1000,
        "total": (done - began) * 1000,
        "done_after_last": (done - waited_for) * 1000,
        "rows": rows,
        "failed": failed,
        "peak_mb": peak,
    }


class TimedSession(requests.Session):
    """A requests session whose requests time out after ``TIMEOUT`` (as ESAP's do)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


def record(url: str) -> None:
    """Have the archive answer each client's query once, alone: the proxies replay it after.

    ESAP's adapter asks with VERB=2 and MAXREC (``all_vo.maxrec``), pyvo's
    search as the pool calls it without them, astroquery with VERB=2: three
    requests, each recorded with the time the archive took, with nothing
    else running.
    """
    from astroquery.vo_conesearch import conesearch
    from pyvo.dal import SCSService

    session = TimedSession()
    service = SCSService(url, session=session)
    service.search(pos=M31, radius=RADIUS, verbosity=2, maxrec=MAXREC).to_table()
    service.search(pos=M31, radius=RADIUS).to_table()
    conesearch.search_all(M31, RADIUS, verb=2, catalog_db=[f"{url}?"], verbose=False, cache=False)
    session.close()


def pool(urls: list[str], threads: int) -> dict[str, float]:
    """The same cone from a pyvo thread pool: first table, total (ms), rows, failures."""
    from pyvo.dal import SCSService

    session = TimedSession()
    began = time.monotonic()
    first: list[float] = []

    def one(url: str) -> int:
        table = SCSService(url, session=session).search(pos=M31, radius=RADIUS).to_table()
        first.append(time.monotonic())
        return len(table)

    rows = failed = 0
    with concurrent.futures.ThreadPoolExecutor(threads) as workers:
        for future in [workers.submit(one, url) for url in urls]:
            try:
                rows += future.result()
            except Exception:
                failed += 1
    total = time.monotonic() - began
    session.close()
    return {"first": (min(first) - began) * 1000, "total": total * 1000, "rows": rows,
            "failed": failed}  # fmt: skip


def astroquery_all(urls: list[str]) -> dict[str, float]:
    """astroquery's cone search "search all" over the same services: total (ms), rows."""
    from astroquery.vo_conesearch import conesearch, conf

    began = time.monotonic()
    with conf.set_temp("timeout", TIMEOUT):
        found = conesearch.search_all(
            M31, RADIUS, verb=2, catalog_db=[f"{u}?" for u in urls], verbose=False, cache=False
        )
    total = time.monotonic() - began
    return {"total": total * 1000, "rows": sum(len(t) for t in found.values()),
            "failed": len(urls) - len(found)}  # fmt: skip


# ------------------------------------------------------------ the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--astroquery-runs", type=int, default=1)
    parser.add_argument("--serve-proxies", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_proxies:
        upstream, log, *kinds = args.serve_proxies
        serve_proxies(upstream, kinds, log)
        return
    warnings.simplefilter("ignore")
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_dachs(Path(tmp) / "dachs") as (harness, dachs),
    ):
        proxies = Proxies(Path(tmp), dachs.base_url)
        registry = None
        server = None
        try:
            mirrors = {f"m{i:03d}": base for i, base in enumerate(proxies.bases)}
            registry = Server.start(harness.directory, free_port(), mirrors)
            registry.wait_ready()
            config = {
                "data_services": [],
                "all_vo": {"registry": f"{registry.base_url}/tap", "timeout": TIMEOUT},
            }
            server = EsapServer(Path(tmp) / "esap", config)
            from esap.data.registry import find_services

            listed = find_services(
                keywords=KEYWORD, servicetype="scs", registry_url=f"{registry.base_url}/tap"
            )
            urls = [entry["url"] for entry in listed]
            assert sorted(urls) == sorted(b + MIRROR_PATHS["scs"] for b in proxies.bases), urls
            record(proxies.answering)
            # warm-up: imports, connections, the registry's answer kept, the services'
            # times remembered
            ours(server, proxies)
            pool(urls, CONCURRENCY)
            ours(server, proxies)
            results: dict[str, list[dict[str, float]]] = {"ours": [], "pool": [], "wide": []}
            for _ in range(args.runs):
                results["ours"].append(ours(server, proxies))
                results["pool"].append(pool(urls, CONCURRENCY))
                results["wide"].append(pool(urls, SERVICES))
            astro = [astroquery_all(urls) for _ in range(args.astroquery_runs)]
        finally:
            if server is not None:
                server.stop()
            if registry is not None:
                registry.stop()
            proxies.stop()
    report(results, astro)


def report(results: dict[str, list[dict[str, float]]], astro: list[dict[str, float]]) -> None:
    """Print the figures; the last line in the benchmarks' format."""

    def med(name: str, key: str) -> float:
        return median([r[key] for r in results[name]])

    seen = {(r["rows"], r["failed"]) for name in results for r in results[name]}
    seen |= {(r["rows"], r["failed"]) for r in astro}
    print(
        f"{SERVICES} services ({ANSWERING} answering, {HANGING} hanging, {ERRORS} failing, "
        f"{REFUSED} refusing), time-out {TIMEOUT:g} s; (rows, failed) seen: {sorted(seen)}"
    )
    print(f"{len(results['ours'])} runs, medians; astroquery {len(astro)} run(s)")
    print(
        f"done after the last service we waited for: ours "
        f"{med('ours', 'done_after_last'):.0f} ms (goal <= 100 ms)"
    )
    print(
        f"first rows after the fastest service answered: ours "
        f"{med('ours', 'first_after_fastest'):.0f} ms (goal <= 50 ms)"
    )
    peak = max(r["peak_mb"] for r in results["ours"])
    print(f"peak memory of the user server: ours {peak:.0f} MB (goal < 300 MB)")
    ours_total, pool_total = med("ours", "total"), med("pool", "total")
    wide_total = med("wide", "total")
    astro_total = median([r["total"] for r in astro])
    print(
        f"first rows: ours {med('ours', 'first'):.0f} ms, pyvo thread pool "
        f"{med('pool', 'first'):.0f} ms"
    )
    print(
        f"total: ours {ours_total:.0f} ms; pyvo thread pool of {SERVICES} threads "
        f"{wide_total:.0f} ms, ratio {ours_total / wide_total:.2f}; astroquery search_all "
        f"{astro_total:.0f} ms, ratio {ours_total / astro_total:.3f}"
    )
    print(
        f"all-VO search total ({SERVICES} cone search services, {FASTEST_MS} ms to "
        f"{SLOWEST_MS / 1000:g} s latency, {HANGING + ERRORS + REFUSED} failing or hanging): "
        f"ours {ours_total:.0f} ms, pyvo thread pool ({CONCURRENCY} threads) {pool_total:.0f} "
        f"ms, ratio {ours_total / pool_total:.2f} (goal <= 1.0)"
    )


if __name__ == "__main__":
    main()
