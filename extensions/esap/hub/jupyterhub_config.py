"""JupyterHub configuration used by ``esap hub``: everything comes from ``$ESAP_CONFIG``."""

from esap.hub import configure_from_env

configure_from_env(c)  # type: ignore[name-defined]  # noqa: F821
