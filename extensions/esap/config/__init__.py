"""``esap.yaml``: typed models, loading with admin-friendly errors, public view, schema.

Everything else in ESAP Hub reads its settings through this package::

    from esap.config import load, public
    config = load("esap.yaml")        # ConfigError lists every problem at once
    for_user_servers = public(config) # no secrets, JSON-serialisable
"""

from __future__ import annotations

from esap.config.errors import ConfigError, Problem
from esap.config.loading import load, loads
from esap.config.models import EsapConfig, SecretRef
from esap.config.public import public
from esap.config.schema import json_schema

__all__ = [
    "ConfigError",
    "EsapConfig",
    "Problem",
    "SecretRef",
    "json_schema",
    "load",
    "loads",
    "public",
]
