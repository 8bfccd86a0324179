"""``python -m esap.bulk.runner JOB_ID``: the process a headless run lives in.

Started by :func:`esap.bulk.jobs.submit` in a session of its own, with its
output going to the job's ``run.log``; it outlives the lab that started it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from esap.bulk.jobs import run_job
from esap.core.jobs import ERROR


def main(argv: list[str]) -> int:
    """Run one recorded job; exit 0 when its notebook ran to the end."""
    if len(argv) != 1:
        print("usage: python -m esap.bulk.runner JOB_ID", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(levelname)s %(message)s"
    )
    state = os.environ.get("ESAP_STATE_DIR")
    job = run_job(argv[0], state=Path(state) if state else None)
    return 1 if job.state == ERROR else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
