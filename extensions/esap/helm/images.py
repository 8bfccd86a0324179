"""The images the chart runs unless told otherwise: this release's hub and single-user images.

Kept apart from ``esap.helm.values`` so that ``esap helm``'s parser can show
them without importing the value builder, which imports the hub's modules
(and JupyterHub with them).
"""

from __future__ import annotations

from esap import __version__

DEFAULT_HUB_IMAGE = f"esap-hub/hub:{__version__}"
DEFAULT_SINGLEUSER_IMAGE = f"esap-hub/singleuser:{__version__}"

__all__ = ["DEFAULT_HUB_IMAGE", "DEFAULT_SINGLEUSER_IMAGE"]
