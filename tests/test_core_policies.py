"""The path and URL rules every capability uses (esap.core), and the attacks they stop.

Unit tests of the two rules on a real folder with real symlinks, then the
same attacks through the basket's REST API on a real user server: a
download of ``file:///etc/hostname`` and of other schemes, a download folder
reached through a symlink out of the home, into ``~/.esap``, with a NUL byte
or an over-long name. Each is refused with a 400 that names the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from esap.core.paths import MAX_NAME, UserPathError, user_path
from esap.core.urls import UrlPolicyError, fetchable
from harness.hub import RunningHub


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    (home / ".esap").mkdir()
    (home / "data" / "m31.fits").write_bytes(b"SIMPLE")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("not yours")
    (home / "escape").symlink_to(tmp_path / "outside")
    (home / "inward").symlink_to(home / "data")
    return home


def test_a_path_inside_the_home_resolves(home: Path) -> None:
    assert user_path("data/m31.fits", home, field="f") == (home / "data" / "m31.fits").resolve()
    assert user_path("~/data", home, field="f") == (home / "data").resolve()
    assert user_path("inward/m31.fits", home, field="f").name == "m31.fits"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("../outside/secret.txt", "leads outside your home"),
        ("escape/secret.txt", "leads outside your home"),
        ("/etc/hostname", "is absolute"),
        (".esap/archive-tokens.json", "inside .esap"),
        ("data/../.esap", "inside .esap"),
        ("data/\x00x", "control character"),
        ("data/a\nb", "control character"),
        ("x" * (MAX_NAME + 1), f"longer than {MAX_NAME} bytes"),
        ("", "is empty"),
    ],
)
def test_a_path_that_leaves_the_home_or_enters_its_state_is_refused(
    home: Path, raw: str, words: str
) -> None:
    with pytest.raises(UserPathError) as caught:
        user_path(raw, home, field="files[0]")
    assert caught.value.field == "files[0]"
    assert words in caught.value.message
    assert caught.value.fix


def test_an_absolute_path_may_be_allowed_but_must_stay_home(home: Path) -> None:
    inside = str(home / "data")
    assert user_path(inside, home, field="f", allow_absolute=True) == (home / "data").resolve()
    with pytest.raises(UserPathError, match="outside your home"):
        user_path("/etc", home, field="f", allow_absolute=True)


def test_http_urls_and_files_of_the_home_are_fetched(home: Path) -> None:
    url = "https://archive.example.org/data/m31.fits?x=1"
    assert fetchable(url, field="u", home=home) == url
    own = (home / "data" / "m31.fits").as_uri()
    assert fetchable(own, field="u", home=home) == own


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "file://otherhost/home/x",
        "ftp://archive.example.org/x.fits",
        "gopher://127.0.0.1:6379/_INFO",
        "javascript:alert(1)",
        "https:///no-host",
        "https://archive.example.org/x\r\nInjected: 1",
        "",
    ],
)
def test_other_urls_are_refused(home: Path, url: str) -> None:
    with pytest.raises(UrlPolicyError) as caught:
        fetchable(url, field="items[a].access_url", home=home)
    assert caught.value.field == "items[a].access_url"
    assert caught.value.fix


def test_a_file_url_through_a_link_out_of_the_home_is_refused(home: Path) -> None:
    with pytest.raises(UrlPolicyError, match="outside your home"):
        fetchable((home / "escape" / "secret.txt").as_uri(), field="u", home=home)


# ------------------------------------------------------------- through the REST API


@pytest.mark.hub
@pytest.mark.parametrize(
    "url",
    ["file:///etc/hostname", "ftp://127.0.0.1/x.fits", "file:///proc/self/environ"],
)
def test_a_basket_item_pointing_outside_is_not_downloaded(
    hub: RunningHub, alice: str, url: str
) -> None:
    with hub.user_api("alice", alice) as api:
        item = {"kind": "data", "service": "attack", "access_url": url}
        added = api.post("basket", json={"items": [item]})
        if added.status_code == 400:  # refused when added: nothing to download
            assert "access_url" in added.json()["error"]["message"]
            return
        (item_id,) = added.json()["ids"]
        try:
            refused = api.post("basket/downloads", json={"ids": [item_id]})
            assert refused.status_code == 400, refused.text
            message = refused.json()["error"]["message"]
            assert f"items[{item_id}].access_url" in message
        finally:
            api.post("basket/remove", json={"ids": [item_id]})


@pytest.mark.hub
@pytest.mark.parametrize(
    ("folder", "words"),
    [
        (".esap/samp", "inside .esap"),
        ("data/\u0000x", "control character"),
        ("d" * 300, "longer than"),
        ("/etc", "outside your home"),
    ],
)
def test_a_download_folder_is_checked_by_the_path_rule(
    hub: RunningHub, alice: str, folder: str, words: str
) -> None:
    with hub.user_api("alice", alice) as api:
        item = {"kind": "data", "service": "s", "access_url": "https://127.0.0.1:9/x.fits"}
        (item_id,) = api.post("basket", json={"items": [item]}).json()["ids"]
        try:
            refused = api.post("basket/downloads", json={"ids": [item_id], "folder": folder})
            assert refused.status_code == 400, refused.text
            message = refused.json()["error"]["message"]
            assert message.startswith("folder:"), message
            assert words in message
        finally:
            api.post("basket/remove", json={"ids": [item_id]})
