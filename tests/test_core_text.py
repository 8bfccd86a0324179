"""Descriptions that archives send as HTML become plain text, once, for every face."""

from __future__ import annotations

import pytest

from esap.core.text import plain_text
from esap.software.base import SoftwareRecord, from_codemeta


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Gammapy is <b>great</b> &amp; fast.</p>", "Gammapy is great & fast."),
        ("<p>One</p><p>Two<br>three</p>", "One\n\nTwo\nthree"),
        ("<p>Intro</p><ul><li>a</li><li>b</li></ul>", "Intro\n\n• a\n• b"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
        ('<img src=x onerror="alert(1)">caption', "caption"),
    ],
)
def test_markup_becomes_text(html: str, text: str) -> None:
    assert plain_text(html) == text


@pytest.mark.parametrize("text", ["E < 5 GeV and x>3", "plain text\nwith lines", "a<b"])
def test_plain_text_is_left_as_it_is(text: str) -> None:
    assert plain_text(text) == text


def test_every_software_record_carries_plain_text() -> None:
    record = SoftwareRecord(catalogue="c", identifier="1", name="n", description="<p>Hi</p>")
    assert record.description == "Hi"
    parsed = from_codemeta("c", {"name": "n", "description": "<p>From <i>Zenodo</i></p>"})
    assert parsed.description == "From Zenodo"
    assert parsed.basket_item()["description"] == "From Zenodo"
