"""Why a check failed, in words an admin can act on."""

from __future__ import annotations

import contextlib

import httpx


class CheckFailed(Exception):
    """A check saw something wrong: the message names what, and what to do when known."""


def http_failure(what: str, exc: httpx.HTTPError) -> CheckFailed:
    """A transport error of ``what`` (the hub, the bot's lab...), named by its kind.

    httpx's exception names already tell refused connections from time-outs
    and bad answers; the message keeps the address, which is what an admin
    needs to look at.
    """
    address = ""
    with contextlib.suppress(RuntimeError):  # an error raised before a request was built
        address = f" ({exc.request.url})"
    return CheckFailed(f"{what} did not answer{address}: {type(exc).__name__}: {exc}")


def answer_failure(what: str, response: httpx.Response) -> CheckFailed:
    """A non-success answer of ``what``, with its status and its own error text.

    ESAP's REST errors are ``{"error": {"code", "message", "fix"}}``,
    JupyterHub's ``{"status", "message"}``; anything else is quoted short.
    """
    text = response.text.strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        text = f"{error.get('code', 'error')}: {error.get('message', '')}"
        if error.get("fix"):
            text += f" — {error['fix']}"
    elif isinstance(body, dict) and body.get("message"):
        text = str(body["message"])
    if len(text) > 300:
        text = text[:297] + "..."
    return CheckFailed(f"{what} answered {response.status_code}: {text or response.reason_phrase}")
