"""One TAP query of 100k rows: through the ESAP REST API vs direct pyvo (time and peak memory).

The benchmark adds a 100,000-row table to the test archive (GAVO DaCHS): it
writes a resource ``esapbench`` (a CSV from a fixed seed and its resource
descriptor) into DaCHS's inputs and imports it, once; later runs find it in
place. Nothing of it is shipped with the tests.

* ours: ``POST data/adql`` on the ESAP REST API (a jupyter server with the
  esap extension): the server runs the query with pyvo and answers with the
  first page and the total while it stores every row in its result cache
  (later pages, sort and filter wait for the store). Timed until that answer;
  a fresh server per run, warmed up with a one-row query like the peer;
  memory is the server process's peak RSS during the request above its RSS
  before it (``/proc/<pid>/status`` VmHWM after resetting it through
  ``/proc/<pid>/clear_refs``).
* peer: ``TAPService(url).run_sync(query, maxrec=...).to_table()`` in a fresh
  Python process (warmed up with a one-row query), timed and measured the
  same way.

Runs alternate; medians. The last two lines:

    single query peak memory (100k rows): ours <x> MB, direct pyvo <y> MB, ratio <r> (goal <= 1.2)
    single query time (100k rows): ours <x> s, direct pyvo <y> s, ratio <r> (goal <= 1.05)
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from _data_bench import EsapServer, median, reset_peak, running_dachs, status

from harness.dachs import Harness, _require, _run, dachs_env, write_settings

ROWS = 100_000
SCHEMA = "esapbench"
QUERY = f"SELECT * FROM {SCHEMA}.big"  # noqa: S608 - a constant

RD = textwrap.dedent(
    f"""\
    <resource schema="{SCHEMA}">
      <meta name="title">ESAP Hub benchmark table</meta>
      <meta name="description">100,000 synthetic sources for ESAP Hub's single-query
        benchmark (made by benchmarks/single_query.py).</meta>
      <meta name="creationDate">2026-11-24T00:00:00Z</meta>
      <meta name="subject">catalogs</meta>
      <meta name="creator">ESAP Hub developers</meta>
      <table id="big" onDisk="True" adql="True">
        <column name="source_id" type="integer" required="True" ucd="meta.id;meta.main"/>
        <column name="ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
        <column name="dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
        <column name="gmag" type="real" unit="mag" ucd="phot.mag;em.opt.B"/>
        <column name="rmag" type="real" unit="mag" ucd="phot.mag;em.opt.R"/>
        <column name="parallax" type="double precision" unit="mas" ucd="pos.parallax"/>
        <column name="name" type="text" ucd="meta.id"/>
        <column name="kind" type="text" ucd="src.class"/>
      </table>
      <data id="import">
        <sources>data/big.csv</sources>
        <csvGrammar/>
        <make table="big"><rowmaker idmaps="*"/></make>
      </data>
    </resource>
    """
)


def write_table(directory: Path) -> None:
    """The resource: q.rd and a 100k-row CSV from a fixed seed."""
    (directory / "data").mkdir(parents=True, exist_ok=True)
    (directory / "q.rd").write_text(RD)
    rng = random.Random(4)
    kinds = ("star", "galaxy", "qso", "unknown")
    with (directory / "data" / "big.csv").open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["source_id", "ra", "dec", "gmag", "rmag", "parallax", "name", "kind"])
        for i in range(ROWS):
            out.writerow(
                [
                    i,
                    f"{rng.uniform(0, 360):.7f}",
                    f"{rng.uniform(-90, 90):.7f}",
                    f"{rng.uniform(12, 22):.3f}",
                    f"{rng.uniform(12, 22):.3f}",
                    f"{rng.gauss(1, 0.5):.5f}",
                    f"ESAPB-{i:06d}",
                    kinds[i % 4],
                ]
            )


def served_rows(tap_url: str) -> int:
    answer = httpx.post(
        f"{tap_url}/sync",
        data={"REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "csv",
              "QUERY": f"SELECT COUNT(*) AS n FROM {SCHEMA}.big"},  # noqa: S608
        timeout=120,
    )  # fmt: skip
    lines = answer.text.split()
    return int(lines[1]) if answer.status_code == 200 and lines[1:2] and lines[1].isdigit() else -1


def ensure_table(harness: Harness, tap_url: str) -> None:
    """Import the benchmark table into DaCHS unless it is served already."""
    if served_rows(tap_url) == ROWS:
        return
    assert harness.resource is not None
    target = harness.resource.inputs_dir / SCHEMA
    write_table(target)
    env = dachs_env(write_settings(harness.directory, 0))
    _run([_require("dachs"), "imp", f"{SCHEMA}/q"], env, "importing the benchmark table", 900)
    if served_rows(tap_url) != ROWS:
        raise RuntimeError("DaCHS does not serve the benchmark table after the import")


PEER = textwrap.dedent(
    """\
    import json, sys, time, warnings
    from pathlib import Path
    import pyvo
    warnings.simplefilter("ignore")
    url, query, maxrec = sys.argv[1], sys.argv[2], int(sys.argv[3])
    service = pyvo.dal.TAPService(url)
    service.run_sync(query.replace("SELECT *", "SELECT TOP 1 *")).to_table()
    def status():
        found = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
        return found
    Path("/proc/self/clear_refs").write_text("5")
    before = status()["VmRSS"]
    began = time.perf_counter()
    table = service.run_sync(query, maxrec=maxrec).to_table()
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "kb": status()["VmHWM"] - before, "rows": len(table)}))
    """
)


def peer(tap_url: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PEER, tap_url, QUERY, str(2 * ROWS)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def warm(server: EsapServer) -> None:
    """A one-row query: imports, connections, the cache file (as the peer's warm-up)."""
    answer = server.api.post(
        "data/adql",
        json={"service": "archive", "query": QUERY.replace("SELECT *", "SELECT TOP 1 *")},
    )
    answer.raise_for_status()


def ours(server: EsapServer) -> dict[str, float]:
    pid = server.process.pid
    reset_peak(pid)
    before = status(pid)["VmRSS"]
    began = time.perf_counter()
    answer = server.api.post(
        "data/adql", json={"service": "archive", "query": QUERY, "maxrec": 2 * ROWS}
    )
    seconds = time.perf_counter() - began
    answer.raise_for_status()
    event = answer.json()
    peak = status(pid)["VmHWM"]
    return {"seconds": seconds, "kb": peak - before, "rows": event["total"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_dachs(Path(tmp) / "dachs") as (
            harness,
            dachs,
        ),
    ):
        ensure_table(harness, dachs.tap_url)
        config = {"data_services": [{"name": "archive", "type": "tap", "url": dachs.tap_url,
                                     "timeout": 900}]}  # fmt: skip
        mine, theirs = [], []
        for run in range(args.runs):
            # a fresh server per run, like the peer's fresh process, warmed up the same way
            server = EsapServer(Path(tmp) / f"esap-{run}", config)
            try:
                warm(server)
                mine.append(ours(server))
            finally:
                server.stop()
            theirs.append(peer(dachs.tap_url))
    rows = {r["rows"] for r in mine + theirs}
    assert rows == {ROWS}, rows
    t_ours, t_peer = median([r["seconds"] for r in mine]), median([r["seconds"] for r in theirs])
    m_ours, m_peer = median([r["kb"] for r in mine]), median([r["kb"] for r in theirs])
    print(f"{ROWS} rows per query; {args.runs} runs, medians; time = until the answer is usable")
    print(
        f"single query peak memory ({ROWS // 1000}k rows): ours {m_ours / 1024:.0f} MB, "
        f"direct pyvo {m_peer / 1024:.0f} MB, ratio {m_ours / m_peer:.2f} (goal <= 1.2)"
    )
    print(
        f"single query time ({ROWS // 1000}k rows): ours {t_ours:.2f} s, "
        f"direct pyvo {t_peer:.2f} s, ratio {t_ours / t_peer:.2f} (goal <= 1.05)"
    )


if __name__ == "__main__":
    time.sleep(0)
    main()
