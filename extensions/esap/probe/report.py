"""A round as a table for an admin at a terminal: check, service, ok/FAIL, seconds, message."""

from __future__ import annotations

from esap.probe.results import CheckResult, Round

HEADER = ("check", "service", "result", "seconds", "message")


def _row(result: CheckResult) -> tuple[str, str, str, str, str]:
    # a message is one line in the table, however the service worded it
    message = " ".join(result.message.split())
    return (
        result.check,
        result.service,
        "ok" if result.ok else "FAIL",
        f"{result.seconds:.2f}",
        message,
    )


def render(done: Round) -> str:
    """The table of ``done``, columns aligned, seconds right-aligned, then a summary line."""
    rows = [HEADER, *(_row(result) for result in done.results)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        check, service, result, seconds, message = row
        lines.append(
            f"{check:<{widths[0]}}  {service:<{widths[1]}}  {result:<{widths[2]}}  "
            f"{seconds:>{widths[3]}}  {message}".rstrip()
        )
    lines.append(summary(done))
    return "\n".join(lines)


def summary(done: Round) -> str:
    """One line: how many checks, which failed, how long the round took."""
    failed = done.failed
    count = len(done.results)
    if not failed:
        return f"{count} checks passed in {done.seconds:.1f} s"
    names = ", ".join(f"{r.check} {r.service}" for r in failed)
    return f"{len(failed)} of {count} checks failed ({names}) in {done.seconds:.1f} s"
