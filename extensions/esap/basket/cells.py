"""The code cell "Open in notebook" inserts: it loads the chosen items by id.

Built here (not in the panel) so the notebook API and the cell never drift
apart; ids are hex strings, and every value is written with ``repr`` so no
text from an archive can break out of the string it sits in.
"""

from __future__ import annotations

from collections.abc import Sequence

from esap.basket.models import KINDS

#: Beyond this many ids the cell names the kind (or the whole basket) instead.
MAX_LISTED = 50


def cell(ids: Sequence[str] = (), *, kind: str | None = None, everything: bool = False) -> str:
    """Python source that loads the items as an astropy Table and typed items."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    if everything or (not ids and kind is None):
        selector, what = "", "every item of your basket"
    elif not ids or (len(ids) > MAX_LISTED and kind is not None):
        selector, what = f"kind={kind!r}", f"the {kind} items of your basket"
    else:
        listed = ",\n    ".join(repr(str(item_id)) for item_id in ids)
        selector, what = f"ids=[\n    {listed},\n]", f"{len(ids)} item(s) from your basket"
    return (
        "import esap\n"
        f"# {what}: a table to look at, typed items to work with\n"
        f"basket = esap.basket.items({selector})\n"
        f"entries = esap.basket.entries({selector})\n"
        "basket"
    )


__all__ = ["MAX_LISTED", "cell"]
