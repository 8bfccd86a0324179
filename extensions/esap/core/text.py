"""Text from archives and catalogues that may be HTML, made plain text for every face.

Zenodo and InvenioRDM keep descriptions as HTML (``<p>Gammapy is ...</p>``),
codemeta as plain text. The panels render text as text (never as HTML, so
nothing an archive sends can run), which showed the raw tags; notebooks
and the CLI printed them too. Descriptions are therefore turned into plain
text once, where a record is made: tags dropped, block elements and ``<br>``
as line breaks, entities decoded. The standard library's ``html.parser``
does the parsing (bleach and nh3 sanitise HTML *to keep* it, which is not
wanted here); text that holds no tag is left exactly as it is, so ``E < 5
GeV`` in a plain description survives.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

#: A tag of the markup archives use in descriptions.
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
#: Elements after which the text goes on on a new line.
_BLOCKS = frozenset(
    {"p", "div", "br", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "table"}
)
#: Elements whose content is not text to show.
_HIDDEN = frozenset({"script", "style", "template", "head", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "li":
            self.parts.append("\n• ")
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(value: str) -> str:
    """``value`` without markup: tags out, paragraphs as lines; plain text unchanged."""
    if not _TAG.search(value):
        return value
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = unescape("".join(parser.parts))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


__all__ = ["plain_text"]
