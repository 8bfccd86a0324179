"""Step ``compare`` (cells): the re-run notebook's outputs against the published ones, cell by cell.

What counts as the same, per output:

* text (streams, ``text/plain``, an error's name and value) must be equal
  character for character, except its numbers: the text is cut into words
  and numbers, the words must be equal and each number within the
  tolerance (``|a - b| <= atol + rtol * |b|``, as ``math.isclose``);
* an image (``image/png``, ``image/jpeg``) is compared by a perceptual
  difference: both are turned grey and scaled down to 64x64 (Pillow), and
  the mean absolute difference of their pixels, from 0 to 1, must not
  exceed ``image_threshold``. The ``imagehash`` package was considered: its
  average hash is this same scaled-down grey image cut to one bit a pixel
  at 8x8, which hides a changed curve in a plot, and it would bring SciPy
  and PyWavelets along for it;
* a rich output is compared by its image if it has one, else by its
  ``text/plain`` (an HTML table carries ids that change on every run), else
  by its HTML, else by its data as JSON;
* consecutive stream outputs are joined first (a kernel may flush a print
  in one piece or two), and the number and kinds of outputs must agree.

The publisher sets the tolerances in the notebook's metadata,
``metadata.esap.reproduce = {"rtol": 1e-6, "atol": 0, "image_threshold":
0.02, "ignore": ["regular expression", ...]}``, and may override them per
cell in the cell's ``metadata.esap.reproduce``; ``ignore`` masks what is
expected to change on every run (a timing, a generated id) and
``"compare": false`` leaves a cell out. Without any, numbers must agree to
one part in 10⁹ and images to 2 % of grey.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: The tolerances when the publisher sets none.
DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 0.0
DEFAULT_IMAGE_THRESHOLD = 0.02
#: The side of the grey square images are scaled down to before they are compared.
IMAGE_SIDE = 64
#: Characters of an output kept in the report.
EXCERPT = 1500
#: A number in text: not part of a word or of a longer number (``x2``, ``1.2.3``).
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![A-Za-z0-9_])"
)
IMAGE_TYPES = ("image/png", "image/jpeg")
#: How much a difference weighs, to name a cell by its worst output.
_RANK = {"match": 0, "within_tolerance": 1, "differ": 2}


@dataclass(frozen=True)
class Tolerance:
    """How close a reproduced output must be: numbers, images, and what to ignore in text."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    image_threshold: float = DEFAULT_IMAGE_THRESHOLD
    ignore: tuple[str, ...] = ()

    def merged(self, settings: Any, problems: list[str], where: str) -> Tolerance | None:
        """These tolerances with ``settings`` (a ``metadata.esap.reproduce``) on top.

        ``None`` when the settings leave the cell out (``"compare": false``);
        a setting that is not a number or a regular expression is named in
        ``problems`` and not used.
        """
        if not isinstance(settings, Mapping):
            return self
        if settings.get("compare") is False:
            return None
        values: dict[str, Any] = {}
        for name in ("rtol", "atol", "image_threshold"):
            value = settings.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"{where}: {name} = {value!r} is not a number >= 0 (not used)")
                continue
            values[name] = float(value)
        patterns = settings.get("ignore")
        if isinstance(patterns, str):
            patterns = [patterns]
        extra = []
        for pattern in patterns if isinstance(patterns, list) else []:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                problems.append(f"{where}: ignore {pattern!r} is not a regular expression ({exc})")
                continue
            extra.append(str(pattern))
        return replace(self, **values, ignore=(*self.ignore, *extra))

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ignore": list(self.ignore)}


def notebook_tolerance(document: Mapping[str, Any], problems: list[str]) -> Tolerance:
    """The publisher's tolerances for the whole notebook (``metadata.esap.reproduce``)."""
    metadata = document.get("metadata") or {}
    settings = (metadata.get("esap") or {}).get("reproduce") if isinstance(metadata, dict) else None
    return Tolerance().merged(settings, problems, "the notebook") or Tolerance()


@dataclass(frozen=True)
class Output:
    """An output reduced to what is compared: its kind and its text (or image)."""

    kind: str  # text | image | error
    label: str  # stream name, MIME type, "error"
    value: str

    def excerpt(self) -> str:
        if self.kind == "image":
            return f"[{self.label}, {len(self.value) * 3 // 4} bytes]"
        text = self.value
        return text if len(text) <= EXCERPT else text[:EXCERPT] + " …"


def outputs_of(cell: Mapping[str, Any]) -> list[Output]:
    """A code cell's outputs as compared (streams joined, each rich output by one type)."""
    found: list[Output] = []
    for raw in cell.get("outputs") or []:
        kind = raw.get("output_type")
        if kind == "stream":
            name = str(raw.get("name", "stdout"))
            text = _text(raw.get("text"))
            if found and found[-1].kind == "text" and found[-1].label == name:
                found[-1] = Output("text", name, found[-1].value + text)
            else:
                found.append(Output("text", name, text))
        elif kind == "error":
            found.append(Output("error", "error", f"{raw.get('ename')}: {raw.get('evalue')}"))
        elif kind in ("execute_result", "display_data"):
            data = raw.get("data") or {}
            image = next((mime for mime in IMAGE_TYPES if mime in data), None)
            if image:
                found.append(Output("image", image, _text(data[image]).replace("\n", "")))
            elif "text/plain" in data:
                found.append(Output("text", "text/plain", _text(data["text/plain"])))
            elif "text/html" in data:
                found.append(Output("text", "text/html", _text(data["text/html"])))
            else:
                found.append(Output("text", "data", json.dumps(data, sort_keys=True)))
    return found


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _tokens(text: str) -> Iterator[tuple[bool, str]]:
    """``text`` as (is a number, piece) pairs, in order."""
    at = 0
    for found in _NUMBER.finditer(text):
        if found.start() > at:
            yield False, text[at : found.start()]
        yield True, found.group()
        at = found.end()
    if at < len(text):
        yield False, text[at:]


def _around(text: str, at: int) -> str:
    start = max(0, at - 30)
    piece = text[start : at + 40].replace("\n", "⏎")
    return ("…" if start else "") + piece + ("…" if at + 40 < len(text) else "")


def compare_text(recorded: str, reproduced: str, tolerance: Tolerance) -> tuple[str, str]:
    """``(match | within_tolerance | differ, what differs)`` of two texts."""
    for pattern in tolerance.ignore:
        recorded = re.sub(pattern, "…", recorded)
        reproduced = re.sub(pattern, "…", reproduced)
    if recorded == reproduced:
        return "match", ""
    left, right = list(_tokens(recorded)), list(_tokens(reproduced))
    largest = 0.0
    offset = 0
    for (a_number, a), (b_number, b) in zip(left, right, strict=False):
        if a == b:
            offset += len(a)
            continue
        if a_number and b_number:
            x, y = float(a), float(b)
            if math.isclose(x, y, rel_tol=tolerance.rtol, abs_tol=tolerance.atol) or (
                math.isnan(x) and math.isnan(y)
            ):
                largest = max(largest, abs(x - y))
                offset += len(a)
                continue
            return "differ", (
                f"{a} became {b} (beyond rtol={tolerance.rtol:g}, atol={tolerance.atol:g}) "
                f"at: {_around(recorded, offset)}"
            )
        return "differ", (
            f"recorded: {_around(recorded, offset)!r} — now: {_around(reproduced, offset)!r}"
        )
    if len(left) != len(right):
        return "differ", (
            f"recorded: {_around(recorded, offset)!r} — now: {_around(reproduced, offset)!r}"
        )
    return "within_tolerance", f"numbers within tolerance (largest difference {largest:.3g})"


def image_difference(recorded: str, reproduced: str) -> float:
    """The mean absolute difference (0 to 1) of two base64 images, grey at 64x64."""
    import numpy as np
    from PIL import Image

    def grey(data: str) -> Any:
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            small = image.convert("L").resize((IMAGE_SIDE, IMAGE_SIDE), Image.Resampling.BOX)
            return np.asarray(small, dtype=float) / 255.0

    return float(np.mean(np.abs(grey(recorded) - grey(reproduced))))


def compare_output(recorded: Output, reproduced: Output, tolerance: Tolerance) -> tuple[str, str]:
    """``(state, what differs)`` of one pair of outputs."""
    if recorded.kind != reproduced.kind or (
        recorded.kind == "text" and recorded.label != reproduced.label
    ):
        return "differ", f"a {recorded.label} output became a {reproduced.label} one"
    if recorded.kind == "image":
        if recorded.value == reproduced.value:
            return "match", ""
        try:
            difference = image_difference(recorded.value, reproduced.value)
        except (ValueError, OSError) as exc:
            return "differ", f"an image could not be read ({exc})"
        shown = f"grey difference {difference:.4f} (threshold {tolerance.image_threshold:g})"
        if difference == 0:
            return "match", ""
        if difference <= tolerance.image_threshold:
            return "within_tolerance", shown
        return "differ", shown
    return compare_text(recorded.value, reproduced.value, tolerance)


@dataclass
class CellResult:
    """One code cell as the report shows it."""

    index: int
    execution_count: int | None
    source: str
    state: str  # match | within_tolerance | differ | skipped | not_run
    details: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    reproduced: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _first_line(source: Any) -> str:
    text = _text(source).strip()
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= 100 else line[:99] + "…"


def _pairs(
    recorded: Sequence[Mapping[str, Any]], rerun: Sequence[Mapping[str, Any]]
) -> list[tuple[int, Mapping[str, Any], Mapping[str, Any] | None]]:
    """The record's code cells with the re-run's same cell (by id when both have ids)."""
    ids = [cell.get("id") for cell in rerun]
    by_id = {cell.get("id"): cell for cell in rerun} if all(ids) else {}
    pairs = []
    for index, cell in enumerate(recorded):
        if cell.get("cell_type") != "code":
            continue
        other = (
            by_id.get(cell.get("id")) if by_id else (rerun[index] if index < len(rerun) else None)
        )
        pairs.append((index, cell, other))
    return pairs


def _executed(cell: Mapping[str, Any]) -> bool:
    status = ((cell.get("metadata") or {}).get("papermill") or {}).get("status")
    return status not in ("pending", "running")


def compare_notebooks(
    recorded: Mapping[str, Any], rerun: Mapping[str, Any], problems: list[str]
) -> tuple[Tolerance, list[CellResult]]:
    """Every code cell of the record against the re-run; the notebook's tolerances too."""
    base = notebook_tolerance(recorded, problems)
    results = []
    for index, cell, other in _pairs(recorded.get("cells") or [], rerun.get("cells") or []):
        settings = ((cell.get("metadata") or {}).get("esap") or {}).get("reproduce")
        tolerance = base.merged(settings, problems, f"cell {index + 1}")
        count = cell.get("execution_count")
        result = CellResult(
            index + 1,
            count if isinstance(count, int) else None,
            _first_line(cell.get("source")),
            "match",
        )
        results.append(result)
        if tolerance is None:
            result.state = "skipped"
            result.details.append("left out by the publisher (compare: false)")
            continue
        if other is None or not _executed(other):
            result.state = "not_run"
            result.details.append("the re-run did not reach this cell")
            continue
        mine, theirs = outputs_of(cell), outputs_of(other)
        if len(mine) != len(theirs) or [o.kind for o in mine] != [o.kind for o in theirs]:
            result.state = "differ"
            result.details.append(
                f"{len(mine)} output(s) recorded ({', '.join(o.label for o in mine) or 'none'}), "
                f"{len(theirs)} now ({', '.join(o.label for o in theirs) or 'none'})"
            )
        else:
            for number, (a, b) in enumerate(zip(mine, theirs, strict=True), start=1):
                state, detail = compare_output(a, b, tolerance)
                if _RANK[state] > _RANK[result.state]:
                    result.state = state
                if detail:
                    result.details.append(f"output {number}: {detail}")
        if result.state == "differ":
            result.recorded = [o.excerpt() for o in mine]
            result.reproduced = [o.excerpt() for o in theirs]
    return base, results


__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_IMAGE_THRESHOLD",
    "DEFAULT_RTOL",
    "CellResult",
    "Output",
    "Tolerance",
    "compare_notebooks",
    "compare_output",
    "compare_text",
    "image_difference",
    "notebook_tolerance",
    "outputs_of",
]
