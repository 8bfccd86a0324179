"""The documentation site builds without a warning, and its reference pages follow the code.

The site is built as ``make docs`` builds it (Sphinx, warnings as errors,
every cross-reference checked), into a temporary folder. The reference pages
are generated from the code at each build, so each check below reads what
the code has (the config models' keys, the built-in adapters' options, the
paths of ``openapi.yaml``, the command's sub-commands, the shipped
tutorials, the panel pictures) and looks for it in the pages built.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import yaml

from esap import plugins
from esap.cli import COMMANDS
from esap.config.models import EsapConfig
from esap.config.options import options_model

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module; a build with any warning fails here, showing them."""
    out = tmp_path_factory.mktemp("docs")
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-n",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, (
        f"the documentation build failed (exit {built.returncode}):\n{built.stderr}"
    )
    assert "WARNING" not in built.stderr, built.stderr
    return out / "html"


def page(site: Path, name: str) -> str:
    path = site / f"{name}.html"
    assert path.is_file(), f"{name}.html was not built"
    return path.read_text()


def ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', html))


def text(html: str) -> str:
    """What a reader sees of some HTML (highlighted code is split into many spans)."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_every_section_of_the_config_has_its_keys_documented(site: Path) -> None:
    built = ids(page(site, "reference/configuration"))
    for section, field in EsapConfig.model_fields.items():
        assert f"config-{section.replace('_', '-')}" in built, f"no section for {section}"
        annotation = field.annotation
        model = getattr(annotation, "model_fields", None)
        for key in model or {}:
            anchor = f"config-{section}-{key}".replace("_", "-")
            assert anchor in built, f"no entry for {section}.{key}"


def test_the_config_reference_gives_type_default_allowed_values_and_an_example(site: Path) -> None:
    html = page(site, "reference/configuration")
    start = html.index('id="config-hub-port"')
    entry = text(html[start : html.index('id="config-hub-internal-port"')])
    for fact in ("Type", "integer", "Default", "8000", "Allowed", "65535", "hub:\n  port: 8000"):
        assert fact in entry, f"the entry of hub.port has no {fact!r}"


def test_every_builtin_adapter_has_its_options_documented(site: Path) -> None:
    built = ids(page(site, "reference/configuration"))
    lists = {
        plugins.DATA_SERVICES: "data-services",
        plugins.SOFTWARE_CATALOGUES: "software-catalogues",
        plugins.ARCHIVES: "archives",
    }
    for group, names in plugins.BUILTIN.items():
        for type_name in names:
            anchor = f"config-{lists[group]}-{type_name}"
            assert anchor in built, f"no section for the {type_name} adapter's options"
            for option in options_model(plugins.load(group, type_name)).model_fields:
                wanted = f"{anchor}-{option.replace('_', '-')}"
                assert wanted in built, f"no entry for {type_name}'s option {option}"


def test_every_route_of_the_openapi_document_is_in_the_rest_reference(site: Path) -> None:
    built = ids(page(site, "reference/rest-api"))
    spec = yaml.safe_load((REPO / "extensions/esap/server/openapi.yaml").read_text())
    for path, item in spec["paths"].items():
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                anchor = "api-" + re.sub(r"[^a-z0-9]+", "-", f"{method}-{path}".lower()).strip("-")
                assert anchor in built, f"{method.upper()} {path} is not in the REST reference"
    for name in spec["components"]["schemas"]:
        assert f"api-schema-{name.lower()}" in built, f"the schema {name} is not documented"


def test_the_rest_reference_shows_bodies_and_statuses(site: Path) -> None:
    html = page(site, "reference/rest-api")
    start = html.index('id="api-post-samp-links"')
    entry = text(html[start : html.index('id="api-get-samp-tables-link-file"')])
    for fact in ("Request body", "basket_ids", "ttl", "201", "404"):
        assert fact in entry, f"POST /samp/links shows no {fact!r}"


def test_every_subcommand_of_esap_is_in_the_command_reference(site: Path) -> None:
    built = ids(page(site, "reference/cli"))
    for command in COMMANDS:
        assert f"esap-{command}" in built, f"esap {command} is not in the command reference"
    assert "esap-config-check" in built
    assert "esap-publish-create" in built


def test_the_notebook_api_is_documented_from_the_docstrings(site: Path) -> None:
    built = ids(page(site, "reference/notebook-api"))
    for name in (
        "esap.data.search",
        "esap.basket.add",
        "esap.basket.download",
        "esap.software.search",
        "esap.publish.publish",
        "esap.bulk.cluster",
        "esap.bulk.map_basket",
        "esap.core.errors.EsapError",
    ):
        assert name in built, f"{name} is not in the notebook API reference"


def test_every_shipped_tutorial_is_rendered(site: Path) -> None:
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert notebooks
    for notebook in notebooks:
        html = page(site, f"tutorials/notebooks/{notebook.stem}")
        first_code = next(
            cell
            for cell in json.loads(notebook.read_text())["cells"]
            if cell["cell_type"] == "code"
        )
        line = "".join(first_code["source"]).splitlines()[0]
        assert re.sub(r"\W+", "", line)[:20] in re.sub(r"\W+", "", text(html)), (
            f"{notebook.name}'s first cell is not on its page"
        )


def test_every_panel_picture_is_on_the_panels_page(site: Path) -> None:
    html = page(site, "reference/panels")
    pictures = sorted((DOCS / "images" / "panels").glob("*.png"))
    assert pictures
    for picture in pictures:
        assert picture.name in html, f"{picture.name} is not on the panels page"
        assert (site / "_images" / picture.name).is_file()


def test_the_readme_is_a_front_page_that_links_into_the_docs() -> None:
    readme = (REPO / "README.md").read_text()
    assert readme.index("make run") < readme.index("make test") < readme.index("## ")
    links = re.findall(r"\]\((docs/[^)#]+)\)", readme)
    assert links, "the README links to no page of the documentation"
    for link in links:
        assert (REPO / link).is_file(), f"the README links to {link}, which does not exist"
