"""Send to desktop tool: a 300k-row result served as a VOTable through a SAMP link (peak memory).

The result is put in a fresh result cache (``~/.esap/results.sqlite`` under a
temporary ``$ESAP_STATE_DIR``), 300,000 rows of eight ObsCore-like columns
from a fixed seed, before a jupyter server with the esap extension starts.

* ours: ``POST samp/links`` on the ESAP REST API, then the desktop tool's
  ``GET samp/tables/<id>.vot`` without credentials, read to the end (the
  server streams the VOTable chunk by chunk). Memory is the server
  process's peak RSS during the GET above its RSS before it
  (``/proc/<pid>/status`` VmHWM after resetting it through
  ``/proc/<pid>/clear_refs``), after one warm-up send (imports, the
  cache's connection, the allocator's arenas for one chunk).
* peer: what a notebook user does without the link: the same rows read
  from the same cache into an astropy Table (as ``esap`` jobs'
  ``result()`` does) and ``Table.write(..., format="votable")`` to a file
  TOPCAT can open, in a fresh Python process (imports done first),
  measured the same way.

Runs alternate; medians. The last line:

samp send peak memory (300k rows): ours <x> MB, astropy Table.write <y> MB, ratio <r> (goal <= 0.5)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
import numpy as np
from _data_bench import EsapServer, median, reset_peak, status
from astropy.table import Table

from esap.data.results import ResultStore, columns_of

ROWS = 300_000


def synthetic() -> Table:
    """ObsCore-like rows from a fixed seed."""
    rng = np.random.default_rng(20261124)
    return Table(
        {
            "obs_id": [f"BENCH-{i:07d}" for i in range(ROWS)],
            "obs_collection": ["ESAP benchmark"] * ROWS,
            "dataproduct_type": rng.choice(["image", "cube", "spectrum"], ROWS),
            "s_ra": rng.uniform(0, 360, ROWS),
            "s_dec": rng.uniform(-90, 90, ROWS),
            "t_min": rng.uniform(50000, 60000, ROWS),
            "calib_level": rng.integers(0, 4, ROWS),
            "access_url": [f"https://archive.example.org/data/{i}.fits" for i in range(ROWS)],
        }
    )


def ours(server: EsapServer, result_id: str) -> dict[str, float]:
    link = server.api.post("samp/links", json={"result_id": result_id, "name": "bench"})
    link.raise_for_status()
    pid = server.process.pid
    reset_peak(pid)
    before = status(pid)["VmRSS"]
    began = time.perf_counter()
    size = 0
    url = f"{server.url}/esap/api/v1/{link.json()['path']}"
    with httpx.stream("GET", url, timeout=900) as answer:  # no credentials, as a desktop tool
        answer.raise_for_status()
        for piece in answer.iter_bytes():
            size += len(piece)
    return {"seconds": time.perf_counter() - began, "kb": status(pid)["VmHWM"] - before}


PEER = textwrap.dedent(
    """\
    import json, sys, time
    from pathlib import Path
    from astropy.table import Table
    import astropy.io.votable  # imports before the measurement, as in a warm notebook
    from esap.data.results import ResultStore
    def status():
        found = {}
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
        return found
    cache, result_id, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    store = ResultStore(cache)
    Path("/proc/self/clear_refs").write_text("5")
    before = status()["VmRSS"]
    began = time.perf_counter()
    names = [c["name"] for c in store.describe(result_id).columns]
    rows = [row for chunk in store.iter_rows(result_id) for row in chunk]
    Table(rows=rows, names=names).write(out, format="votable", overwrite=True)
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "kb": status()["VmHWM"] - before}))
    """
)


def peer(cache: Path, result_id: str, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PEER, str(cache), result_id, str(out)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "esap"
        cache = directory / "state" / "results.sqlite"
        cache.parent.mkdir(parents=True)
        table = synthetic()
        result_id = ResultStore(cache).put("bench", table, columns_of(table, {})).id
        del table
        mine, theirs = [], []
        server = EsapServer(directory, {"data_services": []})
        try:
            ours(server, result_id)  # warm-up: imports, the cache's connection
            for _ in range(args.runs):
                mine.append(ours(server, result_id))
                theirs.append(peer(cache, result_id, Path(tmp) / "peer.vot"))
        finally:
            server.stop()
    for name, runs in (("ours", mine), ("peer", theirs)):
        print(
            f"{name}: " + ", ".join(f"{r['seconds']:.1f} s / {r['kb'] / 1024:.0f} MB" for r in runs)
        )
    seconds = (median([r["seconds"] for r in mine]), median([r["seconds"] for r in theirs]))
    print(
        f"samp send time ({ROWS // 1000}k rows): ours {seconds[0]:.1f} s, "
        f"astropy Table.write {seconds[1]:.1f} s (no goal; memory is the figure)"
    )
    mb = (median([r["kb"] for r in mine]) / 1024, median([r["kb"] for r in theirs]) / 1024)
    print(
        f"samp send peak memory ({ROWS // 1000}k rows): ours {mb[0]:.0f} MB, "
        f"astropy Table.write {mb[1]:.0f} MB, ratio {mb[0] / mb[1]:.2f} (goal <= 0.5)"
    )


if __name__ == "__main__":
    main()
