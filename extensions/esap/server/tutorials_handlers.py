"""``POST /esap/api/v1/tutorials/copy``: the shipped tutorials into the user's home."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from tornado import web

from esap.server.answers import TutorialsAnswer
from esap.server.base import EsapHandler
from esap.tutorials import copy_tutorials


class TutorialsCopyHandler(EsapHandler):
    """Copy the tutorials the user does not have yet; report what was copied and kept."""

    @web.authenticated
    def post(self) -> None:
        home = Path(self.settings["server_root_dir"]).expanduser()
        try:  # a path the rule refuses is a UserPathError, a 400 of its own
            report = copy_tutorials(home)
        except FileNotFoundError as exc:
            self.fail(
                500,
                "tutorials_missing",
                str(exc),
                "reinstall esap-hub on this server; the tutorials ship with it",
            )
        except OSError as exc:
            self.fail(
                507,
                "tutorials_not_copied",
                f"the tutorials could not be written to your home: {exc.strerror}",
                "free some space in your home (or fix its permissions), then try again",
            )
        self.write_answer(TutorialsAnswer, asdict(report))


default_handlers = [("tutorials/copy", TutorialsCopyHandler)]
