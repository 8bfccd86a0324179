"""Sphinx configuration of the ESAP Hub documentation.

The pages are MyST Markdown (myst-nb reads both Markdown and the tutorial
notebooks); the reference pages are generated from the code at each build by
the extension in ``_ext/`` (the configuration keys from the config models,
the command from its argument parser, the notebook API from its docstrings,
the REST API from ``openapi.yaml``), so they cannot drift from it. The build
is offline: nothing is fetched, no notebook is executed.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path[:0] = [str(DOCS / "_ext"), str(REPO / "extensions")]

from esap import __version__  # noqa: E402 - the path above makes it importable from a checkout

project = "ESAP Hub"
author = "The ESAP Hub authors"
copyright = "the ESAP Hub authors, Apache-2.0"
release = __version__
version = __version__

extensions = [
    "myst_nb",  # MyST Markdown pages and the tutorial notebooks
    "sphinx.ext.autodoc",
    "sphinxarg.ext",  # the `esap` command, from its argparse parser
    "esap_docs",  # the configuration and REST references and the tutorials, from the sources
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints"]
templates_path: list[str] = []

# Every cross-reference must resolve; what lives in other projects' docs (no
# inventories are fetched: the build is offline) is named, not linked.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(astropy|pyvo|dask|dask_gateway|distributed|ipyaladin|pydantic|requests)(\..*)?"),
    (r"py:.*", r"(annotated_types|httpx)(\..*)?"),
    (r"py:.*", r"(builtins|pathlib|collections|typing|types|os|io|datetime|sqlite3)(\..*)?"),
    (r"py:.*", r"(Path|Table|Row|Any|Iterable|Iterator|Sequence|Mapping|Callable)"),
]
# Engine types that a public signature names but that are not the notebook API
# (the REST handlers and the CLI use them): named, not linked.
nitpick_ignore = [
    ("py:class", "Catalog"),  # esap.data.catalog.Catalog, behind esap.data.JobHandle
    ("py:class", "Job"),  # esap.core.jobs.Job, what esap.data.JobHandle.info reads
    ("py:class", "esap.publish.journal.Entry"),
    ("py:class", "esap.publish.engine.Publisher"),
    ("py:class", "esap.data.results.ResultStore"),
]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the tutorials are executed by the test suite, not here

autodoc_member_order = "bysource"
autodoc_class_signature = "separated"  # a class's fields are listed, not a pydantic __init__
autodoc_typehints = "description"

html_theme = "pydata_sphinx_theme"
html_title = "ESAP Hub"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_last_updated_fmt = None
