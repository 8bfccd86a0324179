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


def _named_groups(config: EsapConfig) -> set[str]:
    """The groups the config names outside ``projects``: those an admin already spelt once."""
    named: set[str] = set()
    oidc = config.auth.oidc if config.auth.type == "oidc" else None
    if oidc is not None:
        named |= set(oidc.allowed_groups) | set(oidc.admin_groups)
    for profile in config.profiles:
        named |= set(profile.groups)
    named |= set(config.dask.group_limits)
    return named


def project_group_warnings(config: EsapConfig) -> list[Problem]:
    """Project groups that may be misspelt: allowed (groups come and go at the provider), warned.

    A group the hub does not know yet is not an error: its members appear
    when the identity provider (or the hub's admin page) puts someone in it.
    A name written nowhere else in the file is worth a second look, and so
    is a name without the leading ``/`` the WLCG profile gives its groups.
    """
    named = _named_groups(config)
    oidc = config.auth.oidc if config.auth.type == "oidc" else None
    paths = oidc is not None and oidc.groups_claim == "wlcg.groups"
    found: list[Problem] = []
    seen: set[str] = set()
    for index, project in enumerate(config.projects):
        for key in ("read_groups", "write_groups"):
            for position, group in enumerate(getattr(project, key)):
                if group in seen:  # one warning per name, where it is first written
                    continue
                seen.add(group)
                where = render_path(("projects", index, key, position))
                if paths and not group.startswith("/"):
                    found.append(
                        Problem(
                            where,
                            render_value(group),
                            "the WLCG profile names groups as paths, so no user will be in it",
                            f"write /{group}",
                        )
                    )
                elif group not in named:
                    found.append(
                        Problem(
                            where,
                            render_value(group),
                            "a group named nowhere else in esap.yaml (allowed: its members "
                            "come from the identity provider or the hub's admin page)",
                            "check its spelling against the groups your users have",
                        )
                    )
    return found


def config_warnings(config: EsapConfig) -> list[Problem]:
    """What in a valid config is allowed but worth the admin's second look."""
    return project_group_warnings(config)


__all__ = ["config_warnings", "cross_problems", "project_group_warnings", "rucio_audiences"]
