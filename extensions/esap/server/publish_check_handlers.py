"""``publish/validate``, ``publish/preview``, ``publish/licenses``: check before anything is sent.

The dialog calls ``validate`` as the user types and ``preview`` before the
Publish button; both answer every problem with its field, and neither
writes or uploads anything.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from esap.publish.engine import PreparationError
from esap.publish.metadata import RELATIONS, RESOURCE_TYPES, MetadataError, licenses, parse_metadata
from esap.server.answers import ChoicesAnswer, PreviewAnswer, ValidationAnswer
from esap.server.base import problems_of
from esap.server.bodies import PublicationBody, PublishBody
from esap.server.publish_common import PublishBase, in_thread


class ValidateHandler(PublishBase):
    """Check metadata (and files and archive, when given): ``{"valid", "problems"}``."""

    @web.authenticated
    async def post(self) -> None:
        # every field it is given has its type checked (a 400 as elsewhere),
        # even when the metadata alone is validated
        body = self.body_as(PublicationBody)
        files = body.files
        problems: list[dict[str, str]] = []
        try:
            parse_metadata(body.metadata or {})
        except MetadataError as exc:
            problems.extend(problems_of(exc))
        if files is not None:
            try:
                await in_thread(
                    lambda: self.publisher.check(
                        files,
                        {"title": "x", "creators": ["x"], "description": "x"},
                        body.archive,
                        inputs=body.inputs,
                        allow_absolute=False,
                    )
                )
            except (MetadataError, PreparationError) as exc:
                problems.extend(problems_of(exc))
        self.write_answer(ValidationAnswer, {"valid": not problems, "problems": problems})


class PreviewHandler(PublishBase):
    """What would be published: files, sizes, the package and its RO-Crate."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(PublishBody)
        # a refused publication is a 422 listing every field at fault (``error.problems``)
        preview: dict[str, Any] = await in_thread(
            lambda: self.publisher.preview(
                body.files, body.metadata, body.archive, inputs=body.inputs, allow_absolute=False
            )
        )
        self.write_answer(PreviewAnswer, preview)


class LicensesHandler(PublishBase):
    """The SPDX licence list and the other choices of the metadata form."""

    @web.authenticated
    def get(self) -> None:
        self.write_answer(
            ChoicesAnswer,
            {
                "licenses": [{"id": key, "name": name} for key, name in licenses().items()],
                "resource_types": list(RESOURCE_TYPES),
                "relations": list(RELATIONS),
            },
        )


default_handlers = [
    ("publish/validate", ValidateHandler),
    ("publish/preview", PreviewHandler),
    ("publish/licenses", LicensesHandler),
]
