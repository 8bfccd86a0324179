"""The path and URL rules every capability uses (esap.core), and the attacks they stop.

Unit tests of the two rules on a real folder with real symlinks, then the
same attacks through the basket's REST API on a real user server: a
download of ``file:///etc/hostname`` and of other schemes, a download folder
reached through a symlink out of the home, into ``~/.esap``, with a NUL byte
or an over-long name. Each is refused with a 400 that names the field.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from esap.basket.download import DownloadError, fetch
from esap.basket.models import DataItem
from esap.config import ConfigError, load, public
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
            assert added.json()["error"]["field"] == "items[0].access_url"
            return
        (item_id,) = added.json()["ids"]
        try:
            refused = api.post("jobs/download", json={"ids": [item_id]})
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["field"] == f"items[{item_id}].access_url"
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
            refused = api.post("jobs/download", json={"ids": [item_id], "folder": folder})
            assert refused.status_code == 400, refused.text
            error = refused.json()["error"]
            assert error["field"] == "folder", error
            assert words in error["message"]
        finally:
            api.post("basket/remove", json={"ids": [item_id]})


# ------------------------------------------- schemes the admin adds (fetch.schemes)


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real FTP server (pyftpdlib) on loopback, anonymous and read-only: (base URL, folder)."""
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler
    from pyftpdlib.servers import ThreadedFTPServer

    served = tmp_path / "ftp"
    served.mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(str(served))
    handler = type("Handler", (FTPHandler,), {"authorizer": authorizer, "banner": "test"})
    server = ThreadedFTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"handle_exit": False})
    thread.start()
    try:
        yield f"ftp://127.0.0.1:{server.address[1]}", served
    finally:
        server.close_all()
        thread.join(timeout=10)


def test_an_allowed_scheme_is_fetched_through_fsspec_and_resumed(
    ftp_server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, served = ftp_server
    content = bytes(range(256)) * 400
    (served / "cube.fits").write_bytes(content)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    item = DataItem(
        service="ftp-archive",
        access_url=f"{base}/cube.fits",
        checksum="md5:" + hashlib.md5(content).hexdigest(),  # noqa: S324 - the archive's digest
    )
    with pytest.raises(DownloadError, match=r"fetch\.schemes"):
        fetch(item, home / "refused.fits", schemes=())
    assert not (home / "refused.fits").exists()

    target = home / "cube.fits"
    (home / "cube.fits.part").write_bytes(content[:1000])  # a download that stopped
    seen: list[tuple[int, int | None]] = []
    fetch(item, target, schemes=("ftp",), progress=lambda done, total: seen.append((done, total)))
    assert target.read_bytes() == content
    assert seen[0][0] > 1000
    assert seen[-1] == (len(content), len(content))

    gone = DataItem(service="ftp-archive", access_url=f"{base}/missing.fits")
    with pytest.raises(DownloadError, match=r"missing\.fits"):
        fetch(gone, home / "missing.fits", schemes=("ftp",))


def test_fetch_schemes_in_the_config_are_checked_and_made_public(tmp_path: Path) -> None:
    path = tmp_path / "esap.yaml"
    path.write_text("fetch:\n  schemes: [ftp]\n")
    assert public(load(path))["fetch"] == {"schemes": ["ftp"]}
    path.write_text("fetch:\n  schemes: [https, file, fpt]\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    text = str(caught.value)
    assert "fetch.schemes[0]: 'https': http and https are always fetched" in text
    assert "fetch.schemes[1]: 'file': file: URLs are fetched only inside" in text
    assert "fetch.schemes[2]: 'fpt': no fsspec file system is known" in text
    assert "did you mean 'ftp'?" in text


def test_an_item_may_hold_an_archive_link_but_never_a_script(home: Path) -> None:
    assert DataItem(service="s", access_url="ftp://archive.example.org/x.fits").access_url
    for bad in ("javascript://%0aalert(1)", "data://text/html,x", "https://a b", "no-scheme"):
        with pytest.raises(ValueError, match="access_url"):
            DataItem(service="s", access_url=bad)
