"""POST tutorials/copy puts the tutorials into the home and never overwrites the user's copies."""

from __future__ import annotations

import pytest

from esap.tutorials import HOME_FOLDER, shipped_dir, shipped_files
from harness.hub import RunningHub

pytestmark = pytest.mark.hub


def test_copy_keeps_what_the_user_changed(hub: RunningHub, alice: str) -> None:
    home = hub.data_dir / "homes" / "alice"
    shipped = [f"{HOME_FOLDER}/{path.as_posix()}" for path in shipped_files(shipped_dir())]
    with hub.user_api("alice", alice) as api:
        xsrf = api.get("config")  # a GET first, as the lab does
        assert xsrf.status_code == 200
        first = api.post("tutorials/copy").json()
        assert sorted(first["copied"] + first["kept"]) == sorted(shipped)
        assert first["first"].endswith(".ipynb")
        edited = home / first["first"]
        edited.write_text("my own notes")
        (home / shipped[-1]).unlink()
        second = api.post("tutorials/copy").json()
    assert second["copied"] == [shipped[-1]]
    assert first["first"] in second["kept"]
    assert edited.read_text() == "my own notes"


def test_copy_needs_authentication(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", None) as api:
        assert api.post("tutorials/copy").status_code in (302, 403)


def test_copy_does_not_follow_a_link_out_of_the_home(hub: RunningHub) -> None:
    hub.start_server("mallory")
    token = hub.token_for("mallory")
    home = hub.data_dir / "homes" / "mallory"
    outside = hub.data_dir / "outside-mallory"
    outside.mkdir(exist_ok=True)
    (home / HOME_FOLDER).symlink_to(outside)
    try:
        with hub.user_api("mallory", token) as api:
            refused = api.post("tutorials/copy")
        assert refused.status_code == 400, refused.text
        error = refused.json()["error"]
        assert error["code"] == "bad_path"
        assert "leads outside your home" in error["message"]
        assert list(outside.iterdir()) == []
    finally:
        (home / HOME_FOLDER).unlink()
        hub.stop_server("mallory")
