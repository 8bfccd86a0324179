"""The Sphinx extension that makes the ESAP Hub reference pages from the sources.

- A page with the line ``<!-- esap-docs: configuration -->`` gets the
  configuration reference there, generated from the config models
  (:mod:`esap_docs.config_reference`) when the page is read; one with
  ``<!-- esap-docs: rest-api -->`` the REST API reference, from the
  server's OpenAPI document (:mod:`esap_docs.rest_reference`).
- The shipped tutorial notebooks (``notebooks/`` at the repository's root,
  the same files a lab's Tutorials entry copies) are copied to
  ``tutorials/notebooks/`` before the sources are read, since Sphinx reads
  only files under the documentation folder, each with a note that it is
  shown without outputs; that copy is not committed.
- :func:`cli_parser` is the whole ``esap`` parser, every sub-command
  registered, for sphinx-argparse.
- A class a module imports only for type checking appears in its
  annotations by its bare name (``FileResult``); :func:`bare_class_name`
  links it to the one documented class of that name.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from unittest import mock

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from esap_docs.config_reference import config_reference
from esap_docs.rest_reference import rest_reference

DOCS = Path(__file__).resolve().parents[2]
REPO = DOCS.parent
NOTEBOOKS = REPO / "notebooks"
COPIES = DOCS / "tutorials" / "notebooks"

#: Generated content by its marker in a page.
MARKERS = {
    "<!-- esap-docs: configuration -->": config_reference,
    "<!-- esap-docs: rest-api -->": rest_reference,
}
#: The files the configuration reference is made from: a change rebuilds it.
SOURCES = [
    REPO / "extensions" / "esap" / "config" / "models.py",
    REPO / "extensions" / "esap" / "config" / "options.py",
    REPO / "extensions" / "esap" / "config" / "schema.py",
    REPO / "extensions" / "esap" / "plugins.py",
    REPO / "esap.yaml",
    REPO / "helm" / "esap-hub" / "examples" / "esap.yaml",
    REPO / "extensions" / "esap" / "server" / "openapi.yaml",
    Path(__file__).resolve().parent / "config_reference.py",
    Path(__file__).resolve().parent / "rest_reference.py",
]


def cli_parser() -> argparse.ArgumentParser:
    """The ``esap`` command's parser with every sub-command's arguments.

    Its help lists the adapter types "known here"; it is built as if no
    package but ESAP Hub were installed, so the page describes ESAP Hub and
    not the packages of the machine that builds it.
    """
    from esap import plugins
    from esap.cli import COMMANDS, build_parser

    with mock.patch.object(plugins, "_installed", return_value={}):
        return build_parser(COMMANDS)


#: What each tutorial's page says below its title: the notebook is shown as shipped.
NOTE = (
    ":::{note}\n"
    "This tutorial is shown as it ships, without outputs: the documentation is built "
    "offline and executes nothing. Its tables, progress bars and records appear when you "
    "run it in a lab on an ESAP hub (**ESAP tutorials** in the Launcher copies it into your "
    "home); the test suite runs it from top to bottom against local services.\n"
    ":::"
)


def copy_tutorials(app: Sphinx, config: Config) -> None:
    """Bring the shipped notebooks under the documentation folder, each with the note above.

    A copy is rewritten only when it would change, so a second build reads
    nothing again.
    """
    COPIES.mkdir(parents=True, exist_ok=True)
    shipped = {path.name: path for path in sorted(NOTEBOOKS.glob("*.ipynb"))}
    if not shipped:
        raise FileNotFoundError(f"no tutorial notebooks in {NOTEBOOKS}")
    for stale in COPIES.glob("*.ipynb"):
        if stale.name not in shipped:
            stale.unlink()
    for name, source in shipped.items():
        notebook = json.loads(source.read_text())
        note = {"cell_type": "markdown", "id": "esap-docs-note", "metadata": {}, "source": NOTE}
        notebook["cells"].insert(1, note)  # below the title cell
        text = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
        target = COPIES / name
        if not (target.exists() and target.read_text() == text):
            target.write_text(text)


def generate(app: Sphinx, docname: str, source: list[str]) -> None:
    """Put the generated reference where a page's marker asks for it."""
    for marker, make in MARKERS.items():
        if marker in source[0]:
            source[0] = source[0].replace(marker, make(REPO))
            for path in SOURCES:
                app.env.note_dependency(str(path))


def bare_class_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    """Link a bare class name (``FileResult``) to the one documented class so named."""
    target = node.get("reftarget", "")
    if node.get("refdomain") != "py" or node.get("reftype") != "class" or "." in target:
        return None
    objects = env.domains["py"].objects
    found = [
        (name, entry)
        for name, entry in objects.items()
        if name.endswith(f".{target}") and entry.objtype == "class"
    ]
    if len(found) != 1:
        return None
    name, entry = found[0]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, name)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", copy_tutorials)
    app.connect("source-read", generate)
    app.connect("missing-reference", bare_class_name)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
