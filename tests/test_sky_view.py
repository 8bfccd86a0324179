"""Sky view footprints: ObsCore ``s_region`` parsing, and the notebook widget's state.

What is tested here is what the widget is told to draw (its overlays and the
messages queued for the front end) and the rewrite of ipyaladin's front end
that loads Aladin Lite from the lab; the widget is rendered in Chromium, with
the internet blocked, in ``test_browser_sky_notebook.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from astropy.table import MaskedColumn, Table

from esap.config.models import EsapConfig
from esap.config.public import public
from esap.data.aladin_widget import SERVED_PATH, EsapAladin, SkyWidgetError, offline_esm
from esap.data.sky import Circle, Polygon, SRegionError, parse_s_region, sky_view


def test_polygon_with_frame_and_flavour() -> None:
    shapes = parse_s_region("Polygon ICRS BARYCENTER SPHERICAL2 10 40 11 40.5 10.5 41")
    assert shapes == [Polygon(((10.0, 40.0), (11.0, 40.5), (10.5, 41.0)))]


def test_circle_lower_case_without_frame() -> None:
    assert parse_s_region("circle 359.5 -89.9 0.25") == [Circle(359.5, -89.9, 0.25)]


def test_box_becomes_four_corners_widened_by_declination() -> None:
    (box,) = parse_s_region("BOX ICRS 180 60 2 1")
    assert isinstance(box, Polygon)
    decs = sorted({dec for _, dec in box.vertices})
    assert decs == [59.5, 60.5]
    ras = sorted({ra for ra, _ in box.vertices})
    # 1 degree of arc at dec 60 is 2 degrees of RA
    assert ras == pytest.approx(
        [180 - 1 / math.cos(math.radians(60)), 180 + 1 / math.cos(math.radians(60))]
    )


def test_union_of_mixed_shapes() -> None:
    shapes = parse_s_region(
        "Union ICRS (Polygon 1 1 2 1 2 2 Circle 10 20 0.5 Union (Box 5 5 1 1 Circle 0 0 1))"
    )
    assert [type(s).__name__ for s in shapes] == ["Polygon", "Circle", "Polygon", "Circle"]
    assert shapes[1] == Circle(10.0, 20.0, 0.5)


def test_dali_polygon_and_circle_as_bare_numbers() -> None:
    assert parse_s_region("10 40 11 40 11 41") == [
        Polygon(((10.0, 40.0), (11.0, 40.0), (11.0, 41.0)))
    ]
    assert parse_s_region("10.5 40.5 0.2") == [Circle(10.5, 40.5, 0.2)]
    with pytest.raises(SRegionError, match="odd count"):
        parse_s_region("10 40 11 40 11")


def test_ra_wraps_into_0_360() -> None:
    (poly,) = parse_s_region("POLYGON -1 0 1 0 1 1")
    assert poly.vertices[0] == (359.0, 0.0)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "empty"),
        ("Polygon ICRS 10 40 11 40", "at least 3 vertices"),
        ("Polygon ICRS 10 40 11 40 11", "odd count"),
        ("Circle ICRS 10 40", "circle radius is missing"),
        ("Circle ICRS 10 abc 1", "'abc' is not a number"),
        ("Circle ICRS 10 95 1", "declination 95"),
        ("Circle ICRS 10 40 -1", "radius must be > 0"),
        ("Circle GALACTIC 10 40 1", "frame GALACTIC"),
        ("Ellipse ICRS 10 40 1 0.5 30", "'Ellipse' is not drawn"),
        ("Union (Circle 1 1 1", "closing parenthesis"),
        ("Union Circle 1 1 1", "parentheses"),
        ("Circle 1 1 1 extra", "unexpected 'extra'"),
        ("Box ICRS 10 40 0 1", "width and height"),
        ("Circle ICRS 10 nan 1", "not finite"),
    ],
)
def test_bad_s_region_names_the_problem_and_the_fix(text: str, named: str) -> None:
    with pytest.raises(SRegionError) as caught:
        parse_s_region(text)
    message = str(caught.value)
    assert named in message
    assert repr(text) in message


def test_stcs_round_trip() -> None:
    for text in ("Polygon ICRS 10 40 11 40.5 10.5 41", "Circle ICRS 10.68 41.27 0.1"):
        (shape,) = parse_s_region(text)
        assert parse_s_region(shape.stcs()) == [shape]


def test_sky_view_config_defaults_and_public() -> None:
    config = EsapConfig.model_validate({"sky_view": {"hips": "http://127.0.0.1:9/hips"}})
    assert public(config)["sky_view"] == {
        "enabled": True,
        "hips": "http://127.0.0.1:9/hips",
        "max_sources": 2000,
    }
    assert EsapConfig().sky_view.hips == "CDS/P/DSS2/color"


def _results() -> Table:
    return Table(
        {
            "obs_id": ["a", "b", "c"],
            "s_ra": MaskedColumn([10.0, 11.0, 0.0], mask=[False, False, True]),
            "s_dec": MaskedColumn([40.0, 41.0, 0.0], mask=[False, False, True]),
            "s_region": [
                "Polygon ICRS 9.9 39.9 10.1 39.9 10.1 40.1",
                "",
                "Union (Circle ICRS 12 42 0.1 Circle ICRS 12.5 42 0.1)",
            ],
        }
    )


def test_notebook_widget_draws_region_positions_and_footprints() -> None:
    widget = sky_view(_results(), ra=10.5, dec=40.5, radius=1.0, survey="http://127.0.0.1:9/hips")
    assert widget.survey == "http://127.0.0.1:9/hips"
    assert widget.overlays == ["search region", "results", "footprints"]
    layers = dict(widget._overlay_manager.items())
    assert len(layers["results"]["table"]) == 2  # the row without a position is left out
    assert list(layers["results"]["table"]["obs_id"]) == ["a", "b"]
    assert layers["footprints"]["update_info"] == [
        "Polygon ICRS 9.9 39.9 10.1 39.9 10.1 40.1",
        "Circle ICRS 12 42 0.1",
        "Circle ICRS 12.5 42 0.1",
    ]
    assert layers["search region"]["update_info"] == ["Circle ICRS 10.5 40.5 1"]


def test_notebook_widget_without_positions_says_so() -> None:
    with pytest.raises(SRegionError, match="no positions"):
        sky_view(Table({"obs_id": ["a"]}))


def test_esap_data_sky_view_takes_the_survey_from_the_config(tmp_path: Path) -> None:
    import esap.data

    config = tmp_path / "esap.yaml"
    config.write_text("sky_view:\n  hips: http://127.0.0.1:9/site-hips\n")
    result = esap.data.SearchResult(
        tables={"local": _results()}, resolved={"ra": 10.5, "dec": 40.5}
    )
    widget = esap.data.sky_view(result, radius=0.5, config=config)
    assert widget.survey == "http://127.0.0.1:9/site-hips"
    assert (widget.target.ra.deg, widget.target.dec.deg) == pytest.approx((10.5, 40.5))
    assert widget.overlays == ["search region", "results", "footprints"]


def test_notebook_widget_loads_aladin_lite_from_the_lab() -> None:
    widget = sky_view(_results(), ra=10.5, dec=40.5, survey="http://127.0.0.1:9/hips")
    assert isinstance(widget, EsapAladin)
    assert "esm.sh" not in widget._esm
    assert "https://" not in widget._esm
    assert "await import(" in widget._esm
    assert SERVED_PATH in widget._esm
    # no start-up report to CDS, no request for CDS's survey list
    assert widget._init_options["log"] is False
    assert widget._init_options["hips_list"] == ["http://127.0.0.1:9/hips"]


def test_the_lab_extension_ships_aladin_lite_unmodified() -> None:
    import sys

    served = Path(sys.prefix, "share/jupyter/labextensions", SERVED_PATH)
    if not served.is_file():
        pytest.fail(f"{served} is missing: run `make test`, which builds the lab extension")
    text = served.read_text(encoding="utf-8")
    assert "data:application/wasm;base64," in text  # self-contained: its core is inlined
    assert "export{" in text[-200:]  # an ES module, as ipyaladin's front end imports it
    assert (served.parent / "LICENSE").read_text().startswith("GNU LESSER GENERAL PUBLIC")


@pytest.mark.parametrize(
    ("source", "named"),
    [
        ('import C from"https://cdn.jsdelivr.net/npm/aladin-lite";var l=C;', "0 imports"),
        (
            'import C from"https://esm.sh/aladin-lite@3.9";import D from"https://esm.sh/aladin-lite@4";',
            "2 imports",
        ),
        (
            'import C from"https://esm.sh/aladin-lite@3.9.2";import E from"https://esm.sh/x";',
            "still imports from the internet",
        ),
    ],
)
def test_an_unknown_ipyaladin_front_end_fails_loudly(source: str, named: str) -> None:
    with pytest.raises(SkyWidgetError) as caught:
        offline_esm(source, "9.9.9")
    message = str(caught.value)
    assert "ipyaladin 9.9.9" in message
    assert named in message
    assert "ipyaladin>=0.8.1,<0.9" in message


def test_each_notebook_widget_replays_only_its_own_early_calls() -> None:
    first = sky_view(_results(), ra=10.5, dec=40.5, radius=1.0, survey="http://127.0.0.1:9/a")
    second = sky_view(Table({"s_ra": [1.0], "s_dec": [2.0]}), survey="http://127.0.0.1:9/b")
    # queued until each view has loaded: region, table and footprints for one, a table for the other
    assert len(first._call_store.calls) == 3
    assert len(second._call_store.calls) == 1
