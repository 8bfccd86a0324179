"""ESAP Hub: a JupyterHub distribution for astronomy and particle physics.

The engine lives here once; the REST handlers, the notebook API, the ``esap``
command and the lab panels are thin faces over it.
"""

from __future__ import annotations

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Tell JupyterLab where the prebuilt labextension lives (development installs)."""
    return [{"src": "labextension", "dest": "esap-hub"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Register the ``esap`` jupyter-server extension (REST API under ``/esap/api/v1``)."""
    return [{"module": "esap.server"}]


#: Capabilities a notebook reaches as ``esap.<name>`` after a bare ``import esap``
#: (and, as for any package, as ``from esap import <name>``).
CAPABILITIES = ("basket", "bulk", "data", "publish", "samp", "software", "view")


def __getattr__(name: str) -> object:
    """Import a capability on first use, so ``import esap`` stays light."""
    if name in CAPABILITIES:
        import importlib

        return importlib.import_module(f"esap.{name}")
    raise AttributeError(f"module 'esap' has no attribute {name!r}")


__all__ = ["CAPABILITIES", "__version__"]
