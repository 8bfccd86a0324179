"""Step ``report``: what a reproduction found, as JSON (for programs) and HTML (for people).

The JSON (``report.json``, format ``esap-reproduction/1``) holds everything:
the record, every step with its state, each fetched file with its checksum,
the environment and how it differs from the lock, each input, each code
cell and each output file with what matched and what did not. The HTML
(``report.html``, from the template ``report.html.j2`` beside this module)
shows the same, cell by cell and file by file, as one page with no script
and no external resource, so it can be attached to the record it reports on.

Everything in it that came from the record or the notebook (titles, file
names, outputs, an archive's messages) is text: Jinja2 escapes every value
(``autoescape``), so a notebook's HTML output is shown as its source, never
rendered.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment

#: The version of the JSON document's shape.
FORMAT = "esap-reproduction/1"
JSON_NAME = "report.json"
HTML_NAME = "report.html"


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page, every value escaped."""
    template = files(__package__).joinpath("report.html.j2").read_text(encoding="utf-8")
    environment = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(template).render(**report)


def write_report(report: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    as_json, as_html = folder / JSON_NAME, folder / HTML_NAME
    for path, text in ((as_json, json.dumps(report, indent=2)), (as_html, render_html(report))):
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return as_json, as_html


__all__ = ["FORMAT", "HTML_NAME", "JSON_NAME", "render_html", "write_report"]
