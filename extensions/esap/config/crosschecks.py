"""Checks across sections of a valid ``esap.yaml``: one key that names another.

The models check each section on its own; what one section says about
another (a data service naming a token audience of ``auth.oidc``) is checked
here, after them, with the same kind of message: the key at fault, what is
wrong, and how to fix it.
"""

from __future__ import annotations

from esap.config.errors import Loc, Problem, render_path, render_value
from esap.config.models import EsapConfig


def rucio_audiences(config: EsapConfig) -> list[tuple[Loc, Problem]]:
    """A rucio service's ``options.audience`` must name an ``auth.oidc.audiences`` entry.

    The user's server finds its Rucio token in ``ESAP_ACCESS_TOKEN_<NAME>``,
    which the hub sets only for the audiences it exchanges tokens for.
    """
    oidc = config.auth.oidc if config.auth.type == "oidc" else None
    known = sorted((oidc.audiences if oidc else {}).keys())
    found: list[tuple[Loc, Problem]] = []
    for index, entry in enumerate(config.data_services):
        audience = entry.options.get("audience")
        if entry.type != "rucio" or audience is None or audience in known:
            continue
        loc: Loc = ("data_services", index, "options", "audience")
        if oidc is None:
            what = "names a token audience, but the hub does not log in with OpenID Connect"
            fix = "use auth.type: oidc with auth.oidc.audiences, or remove options.audience"
        else:
            what = "is not a name under auth.oidc.audiences, so the server gets no token for it"
            listed = ", ".join(known) or "none yet"
            fix = (
                f"add {audience}: <Rucio's audience> under auth.oidc.audiences "
                f"(names there: {listed})"
            )
        found.append((loc, Problem(render_path(loc), render_value(audience), what, fix)))
    return found


def cross_problems(config: EsapConfig) -> list[tuple[Loc, Problem]]:
    """Every cross-section problem of ``config``."""
    return rucio_audiences(config)


__all__ = ["cross_problems", "rucio_audiences"]
