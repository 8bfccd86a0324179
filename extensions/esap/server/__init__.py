"""The ``esap`` jupyter-server extension: the REST API under ``/esap/api/v1``.

One handler module per resource, each exporting ``default_handlers`` (as
JupyterHub's ``apihandlers`` do); this module only mounts them.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from esap.bulk import watch
from esap.server import (
    basket_handlers,
    basket_transfer_handlers,
    config_handlers,
    data_common,
    data_crossmatch_handlers,
    data_cutout_handlers,
    data_lake_handlers,
    data_lookup_handlers,
    data_results_handlers,
    data_search_handlers,
    data_services_handlers,
    data_tokens_handlers,
    job_kinds,
    jobs_handlers,
    openapi_handlers,
    projects_handlers,
    publish_check_handlers,
    publish_handlers,
    publish_tokens_handlers,
    samp_handlers,
    shares_handlers,
    software_handlers,
    tutorials_handlers,
    usage_handlers,
    view_handlers,
)
from esap.server.base import NoRouteHandler

API_PREFIX = "esap/api/v1"

#: Every handler module of the API, in mount order.
HANDLER_MODULES = (
    config_handlers,
    openapi_handlers,
    basket_handlers,
    basket_transfer_handlers,
    data_services_handlers,
    data_tokens_handlers,
    data_search_handlers,
    data_results_handlers,
    data_lake_handlers,
    data_cutout_handlers,
    data_crossmatch_handlers,
    data_lookup_handlers,
    jobs_handlers,
    tutorials_handlers,
    publish_check_handlers,
    publish_handlers,
    publish_tokens_handlers,
    software_handlers,
    samp_handlers,
    usage_handlers,
    view_handlers,
    projects_handlers,
    shares_handlers,
)


def api_handlers() -> list[tuple[str, Any]]:
    """Every ``(path relative to the API prefix, handler)`` the API serves."""
    return [route for module in HANDLER_MODULES for route in module.default_handlers]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Mount the API on the server's base URL."""
    base_url = serverapp.web_app.settings["base_url"]
    routes = [
        (url_path_join(base_url, API_PREFIX, path), handler) for path, handler in api_handlers()
    ]
    # last, so it answers only the paths under the prefix that no route matches
    routes.append((url_path_join(base_url, API_PREFIX) + "(?:/.*)?", NoRouteHandler))
    serverapp.web_app.add_handlers(".*$", routes)
    data_common.warm_imports()
    basket_handlers.record_basket_at_start(serverapp.log)
    job_kinds.resume(serverapp.web_app.settings.get("server_root_dir"), serverapp.log)
    serverapp.web_app.settings["esap_cluster_watch"] = watch.start_watching(serverapp.log)
    serverapp.log.info("ESAP Hub API mounted at %s", url_path_join(base_url, API_PREFIX))
