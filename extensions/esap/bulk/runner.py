"""``python -m esap.bulk.runner JOB_ID``: the process a headless run lives in.

Started by :func:`esap.bulk.jobs.submit` in a session of its own, with its
output going to the job's ``run.log``; it outlives the lab that started it.
"""

from __future__ import annotations

import logging
import sys

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
    job = run_job(argv[0])  # the state folder is the one the parent named ($ESAP_STATE_DIR)
    return 1 if job.state == ERROR else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
