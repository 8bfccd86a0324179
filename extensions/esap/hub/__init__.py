"""Hub side of ESAP Hub: compose a JupyterHub from one ``esap.yaml``.

``configure(c, config)`` is the only entry point a ``jupyterhub_config.py``
needs; ``esap hub`` and the Helm chart both go through it, so the local hub and
a Kubernetes deployment are built from the same code.
"""

from esap.hub.compose import configure, configure_from_env

__all__ = ["configure", "configure_from_env"]
