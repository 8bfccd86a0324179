"""Hub side of ESAP Hub: compose a JupyterHub from one ``esap.yaml``.

``configure(c, config)`` is the only entry point a ``jupyterhub_config.py``
needs; ``esap hub`` and the Helm chart both go through it, so the local hub and
a Kubernetes deployment are built from the same code.

Both are imported on first use, not with the package: the composition
imports JupyterHub (~100 MB), and ``esap`` commands that never start a hub
import modules of this package (``esap.hub.command``, ``esap.hub.state``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esap.hub.compose import configure, configure_from_env


def __getattr__(name: str) -> Any:
    """``esap.hub.configure`` and ``configure_from_env``, from ``esap.hub.compose`` (PEP 562)."""
    if name in __all__:
        from esap.hub import compose

        return getattr(compose, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["configure", "configure_from_env"]
