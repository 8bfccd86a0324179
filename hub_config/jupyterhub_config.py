"""JupyterHub configuration for deployments that run ``jupyterhub -f`` themselves.

Everything comes from the admin config named by ``$ESAP_CONFIG`` (default
``esap.yaml``); the Helm chart mounts it from a ConfigMap. ``esap hub`` uses
the same two lines, shipped inside the package.
"""

from esap.hub import configure_from_env

configure_from_env(c)
