"""jupyterhub-idle-culler config (``--config``): cull by each server's profile timeout."""

from esap.hub.culling import arbiter

c.IdleCuller.cull_arbiter_hook = arbiter  # type: ignore[name-defined]  # noqa: F821
