"""Working together on the real local hub: project folders, a shared lab, a project's basket.

One hub for the module (JupyterHub, its proxy, the esap-sharing service and
four real user servers): alice and bob write project ``lofar`` (group
``lofar-team``), carol may only read it (``lofar-friends``), dave is in
neither. Groups are the hub's own (its REST API, as an admin's page or the
identity provider's claim would set them). Every refusal is asked of the
server that must refuse it, with the token of the user it must refuse.

Locally every server runs as the hub's Unix user, so a file written by the
test process stands for what code in a member's notebook can do (make a
link out of the project); what is checked is that ESAP's own doors (the
contents API, the REST API, the project's basket) do not open for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, expect

from harness.browser import log_in, open_side_panel
from harness.hub import SERVICE_NAME, SERVICE_SCOPES, RunningHub, hub_config, start_hub
from harness.kernel import Kernel

pytestmark = pytest.mark.hub

PROJECT = "lofar"
WRITERS = "lofar-team"
READERS = "lofar-friends"
USERS = ("alice", "bob", "carol", "dave")
#: Whose servers run (dave, in no group, only knocks on alice's door).
SERVERS = ("alice", "bob", "carol")
GROUPS = {WRITERS: ["alice", "bob"], READERS: ["carol"]}
#: The Shared panel's picture in the documentation (docs/reference/panels.md).
PICTURE = Path(__file__).resolve().parents[1] / "docs" / "images" / "panels" / "shared.png"
#: Seconds a shared lab may take to notice a changed share (the servers' auth cache, 10 s).
NOTICE = 60.0


@dataclass
class Team:
    """The hub, its users' tokens, and helpers to act as each of them."""

    hub: RunningHub
    tokens: dict[str, str] = field(default_factory=dict)

    def admin(self) -> httpx.Client:
        return self.hub.api()

    def esap(self, owner: str, who: str) -> httpx.Client:
        """``who`` calling the ESAP API of ``owner``'s server."""
        return self.hub.user_api(owner, self.tokens[who])

    def contents(self, owner: str, who: str) -> httpx.Client:
        """``who`` calling the contents API of ``owner``'s server (the file browser's)."""
        return httpx.Client(
            base_url=f"{self.hub.url}/user/{owner}/api/",
            headers={"Authorization": f"token {self.tokens[who]}"},
            timeout=30,
        )

    def home(self, user: str) -> Path:
        return self.hub.data_dir / "homes" / user

    @property
    def folder(self) -> Path:
        return self.hub.data_dir / "projects" / PROJECT


def eventually(check: Callable[[], bool], what: str, timeout: float = NOTICE) -> None:
    """Wait until ``check()`` holds (asked every half second), or fail saying ``what``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.5)


def start_servers(hub: RunningHub, names: tuple[str, ...]) -> None:
    """Spawn every server at once, then wait for each."""
    with hub.api() as api:
        for name in names:
            hub.create_user(name)
            api.post(f"users/{name}/server")
    for name in names:
        hub.start_server(name)


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    directory = tmp_path_factory.mktemp("collaboration")
    config = hub_config(
        directory,
        {
            "hub": {
                "cull_idle_after": 0,
                "services": [
                    {
                        "name": SERVICE_NAME,
                        "token": "env:ESAP_TEST_SERVICE_TOKEN",
                        "scopes": [*SERVICE_SCOPES, "admin:groups", "read:shares"],
                    }
                ],
            },
            "projects": [
                {
                    "name": PROJECT,
                    "title": "LOFAR surveys",
                    "write_groups": [WRITERS],
                    "read_groups": [READERS],
                    "size": "500G",
                }
            ],
            "sharing": {"enabled": True, "check_every": 1, "max_hours": 1},
        },
    )
    hub = start_hub(directory, config)
    try:
        with hub.api() as api:
            for group, members in GROUPS.items():
                api.post(f"groups/{group}").raise_for_status()
                for name in members:
                    hub.create_user(name)
                api.post(f"groups/{group}/users", json={"users": members}).raise_for_status()
        start_servers(hub, SERVERS)
        yield Team(hub, {name: hub.token_for(name) for name in USERS})
    finally:
        hub.stop()


# ------------------------------------------------------------------ project folders


def test_members_find_the_project_and_work_in_one_folder(team: Team) -> None:
    for name in ("alice", "bob", "carol"):
        link = team.home(name) / "projects" / PROJECT
        assert link.is_symlink(), name
        assert link.resolve() == team.folder.resolve()
    assert not (team.home("dave") / "projects" / PROJECT).exists()

    access = {}
    for name in SERVERS:
        with team.esap(name, name) as api:
            response = api.get("projects")
        assert response.status_code == 200, response.text
        access[name] = {p["name"]: p["access"] for p in response.json()["projects"]}
    assert access == {
        "alice": {PROJECT: "write"},
        "bob": {PROJECT: "write"},
        "carol": {PROJECT: "read"},
    }

    path = f"contents/projects/{PROJECT}/plan.md"
    with team.contents("alice", "alice") as api:
        saved = api.put(path, json={"type": "file", "format": "text", "content": "# plan\n"})
    assert saved.status_code in (200, 201), saved.text
    with team.contents("bob", "bob") as api:
        read = api.get(path)
        assert read.status_code == 200, read.text
        assert read.json()["content"] == "# plan\n"
        edited = api.put(
            path, json={"type": "file", "format": "text", "content": "# plan\nbob was here\n"}
        )
        assert edited.status_code == 200, edited.text
    assert (team.folder / "plan.md").read_text() == "# plan\nbob was here\n"
    with team.contents("carol", "carol") as api:
        assert api.get(path).json()["content"].endswith("bob was here\n")


def test_a_reader_cannot_change_the_project(team: Team) -> None:
    base = f"contents/projects/{PROJECT}"
    with team.contents("carol", "carol") as api:
        refused = [
            api.put(f"{base}/mine.md", json={"type": "file", "format": "text", "content": "x"}),
            api.patch(f"{base}/plan.md", json={"path": f"projects/{PROJECT}/moved.md"}),
            api.delete(f"{base}/plan.md"),
            api.post(f"{base}", json={"type": "directory"}),
            api.post(f"{base}/plan.md/checkpoints"),
        ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert "read-only for you" in response.json()["message"]
        assert WRITERS in response.json()["message"]
    assert sorted(p.name for p in team.folder.iterdir() if not p.name.startswith(".")) == [
        "plan.md"
    ]
    # a writer may not remove the project's own link either
    with team.contents("alice", "alice") as api:
        gone = api.delete(base)
    assert gone.status_code == 403, gone.text
    assert (team.home("alice") / "projects" / PROJECT).is_symlink()


def test_the_project_basket_is_read_by_members_written_by_writers(team: Team) -> None:
    items = [
        {
            "kind": "service",
            "service": "lofar-tap",
            "type": "tap",
            "url": "https://vo.astron.nl/__system__/tap/run/tap",
            "title": "LoTSS TAP",
        },
        {
            "kind": "data",
            "service": "lofar-tap",
            "access_url": "https://vo.astron.nl/getproduct/LoTSS-DR2/P000+23",
            "title": "P000+23 mosaic",
            "format": "image/fits",
        },
    ]
    with team.esap("alice", "alice") as api:
        assert api.post("basket", json={"items": items}).status_code == 201
        published = api.post(f"projects/{PROJECT}/basket", json={})
    assert published.status_code == 200, published.text
    assert published.json() == {"project": PROJECT, "published": 2, "count": 2}

    with team.esap("carol", "carol") as api:
        listed = api.get(f"projects/{PROJECT}/basket")
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert (body["access"], body["count"], body["updated_by"]) == ("read", 2, "alice")
        assert {i["title"] for i in body["items"]} == {"LoTSS TAP", "P000+23 mosaic"}
        refused = api.post(f"projects/{PROJECT}/basket", json={})
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "read_only_project"
        assert api.post(f"projects/{PROJECT}/basket/remove", json={"ids": []}).status_code == 403
        copied = api.post(f"projects/{PROJECT}/basket/copy", json={})
        assert copied.status_code == 201, copied.text
        assert copied.json()["total"] == 2


def test_the_project_basket_opens_in_a_readers_notebook(team: Team) -> None:
    with Kernel(team.hub, "carol", team.tokens["carol"]) as kernel:
        found = kernel.json(
            "import esap, json\n"
            f"shared = esap.basket.project({PROJECT!r})\n"
            "table = shared.items()\n"
            "service = shared.open([e for e in shared.entries() if e.kind == 'service'][0])\n"
            "print(json.dumps({'titles': sorted(table['title']), 'n': len(table),\n"
            "    'service': type(service).__name__, 'url': service.baseurl}))\n"
        )
        assert found == {
            "titles": ["LoTSS TAP", "P000+23 mosaic"],
            "n": 2,
            "service": "TAPService",
            "url": "https://vo.astron.nl/__system__/tap/run/tap",
        }
        refused = kernel.json(
            "try:\n"
            f"    esap.basket.project({PROJECT!r}).remove(['x'])\n"
            "except Exception as exc:\n"
            "    print(json.dumps([type(exc).__name__, exc.code]))\n"
        )
        assert refused == ["ProjectReadOnly", "read_only_project"]


def test_path_tricks_are_refused(team: Team) -> None:
    outside = team.hub.data_dir.parent / "secret.txt"  # beside the hub's data: no one's
    outside.write_text("dave's")
    escape = team.folder / "escape"
    escape.symlink_to(outside)
    try:
        with team.contents("carol", "carol") as api:
            followed = api.get(f"contents/projects/{PROJECT}/escape")
            dotted = api.get(f"contents/projects/{PROJECT}/..%2F..%2F..%2F..%2F..%2Fsecret.txt")
        assert followed.status_code == 403, followed.text
        assert "leads outside project" in followed.json()["message"]
        assert dotted.status_code in (400, 403, 404), dotted.text
        assert "dave's" not in dotted.text
        with team.contents("alice", "alice") as api:
            written = api.put(
                f"contents/projects/{PROJECT}/escape",
                json={"type": "file", "format": "text", "content": "overwritten"},
            )
        assert written.status_code == 403, written.text
        assert outside.read_text() == "dave's"
    finally:
        escape.unlink()

    # the project's basket folder turned into a link out of the project
    state = team.folder / ".esap"
    kept = team.folder / ".esap-kept"
    state.rename(kept)
    elsewhere = team.hub.data_dir.parent / "fake"
    elsewhere.mkdir()
    (elsewhere / "basket.json").write_text(json.dumps({"format": "esap-basket", "items": []}))
    state.symlink_to(elsewhere, target_is_directory=True)
    try:
        with team.esap("carol", "carol") as api:
            read = api.get(f"projects/{PROJECT}/basket")
        with team.esap("alice", "alice") as api:
            write = api.post(f"projects/{PROJECT}/basket", json={})
        for response in (read, write):
            assert response.status_code == 400, response.text
            assert "leads outside project" in response.json()["error"]["message"]
        assert json.loads((elsewhere / "basket.json").read_text())["items"] == []
    finally:
        state.unlink()
        kept.rename(state)
    with team.esap("carol", "carol") as api:
        # a project name that is a path is no route at all
        assert api.get("projects/..%2F..%2Fhomes/basket").status_code == 404


# ------------------------------------------------------------------ sharing a running lab


def _share(team: Team, who: str, body: dict[str, Any]) -> dict[str, Any]:
    with team.esap(who, who) as api:
        response = api.post("shares", json=body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _status(team: Team, owner: str, token: str, verb: str, path: str, **kw: Any) -> int:
    """The status ``owner``'s server answers ``token`` on its REST API (jupyter-server's)."""
    with httpx.Client(
        base_url=f"{team.hub.url}/user/{owner}/api/",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    ) as api:
        return api.request(verb, path, **kw).status_code


def test_a_read_only_share_lets_a_colleague_look_not_touch(team: Team) -> None:
    # a server trusts the hub's word on a token for 10 s: each step asks with a fresh token,
    # but the revocation, which must reach a session already open
    assert _status(team, "alice", team.tokens["dave"], "GET", "contents") == 403
    made = _share(
        team, "alice", {"kind": "user", "name": "bob", "access": "read", "expires_in": 3600}
    )
    assert (made["kind"], made["name"], made["access"]) == ("user", "bob", "read")
    assert 3500 < made["expires_at"] - time.time() <= 3600
    bob = team.hub.token_for("bob")
    assert _status(team, "alice", bob, "GET", "contents") == 200
    new_file = {"json": {"type": "file", "format": "text", "content": "bob"}}
    assert _status(team, "alice", bob, "PUT", "contents/by-bob.txt", **new_file) == 403
    assert _status(team, "alice", bob, "POST", "kernels", json={"name": "python3"}) == 403
    with team.hub.user_api("alice", bob) as api:
        assert api.get("basket").status_code == 200
        refused = api.post("basket", json={"items": [{"kind": "service", "service": "x"}]})
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "read_only_share"
    # what alice shares, and what bob sees shared with him
    with team.esap("alice", "alice") as api:
        mine = api.get("shares").json()
    assert [(s["name"], s["access"]) for s in mine["shares"]] == [("bob", "read")]
    with team.esap("bob", "bob") as api:
        given = api.get("shares").json()["incoming"]
    assert [(g["owner"], g["access"], g["via"]) for g in given] == [("alice", "read", "user")]
    assert given[0]["expires_at"] == pytest.approx(made["expires_at"])

    # made full: bob may write; then revoked: bob's open session is out
    _share(team, "alice", {"kind": "user", "name": "bob", "access": "full", "expires_in": 3600})
    bob = team.hub.token_for("bob")
    assert _status(team, "alice", bob, "PUT", "contents/by-bob.txt", **new_file) == 201
    with team.esap("alice", "alice") as api:
        assert api.delete("shares/user/bob").status_code == 204
        assert api.get("shares").json()["shares"] == []
    eventually(lambda: _status(team, "alice", bob, "GET", "contents") == 403, "bob is out")
    assert _status(team, "alice", team.tokens["dave"], "GET", "contents") == 403


def test_an_expired_share_ends(team: Team) -> None:
    _share(team, "alice", {"kind": "user", "name": "carol", "access": "full", "expires_in": 2})
    with team.admin() as api:
        eventually(
            lambda: api.get("shares/alice").json()["items"] == [],
            "the esap-sharing service ends carol's share after 2 s",
        )
    assert _status(team, "alice", team.hub.token_for("carol"), "GET", "contents") == 403
    assert "ended the share of alice/ with user carol" in team.hub.log_path.read_text()


def test_a_share_with_a_group_reaches_its_members_only(team: Team) -> None:
    _share(team, "alice", {"kind": "group", "name": READERS, "access": "read", "expires_in": 600})
    with team.esap("carol", "carol") as api:
        incoming = api.get("shares").json()["incoming"]
    assert [(g["owner"], g["via"], g["name"]) for g in incoming] == [("alice", "group", READERS)]
    assert _status(team, "alice", team.hub.token_for("carol"), "GET", "contents") == 200
    assert _status(team, "alice", team.tokens["dave"], "GET", "contents") == 403
    with team.esap("bob", "bob") as api:
        assert api.get("shares").json()["incoming"] == []
    with team.esap("alice", "alice") as api:
        assert api.delete(f"shares/group/{READERS}").status_code == 204


def test_links_and_bad_shares_are_answered(team: Team) -> None:
    with team.esap("alice", "alice") as api:
        link = api.post("shares/links", json={"access": "read", "expires_in": 120})
        assert link.status_code == 201, link.text
        made = link.json()
        assert made["accept_url"].startswith("/hub/accept-share?code=")
        assert [x["id"] for x in api.get("shares").json()["links"]] == [made["id"]]
        assert api.delete(f"shares/links/{made['id']}").status_code == 204
        assert api.get("shares").json()["links"] == []
        nobody = api.post(
            "shares", json={"kind": "user", "name": "nobody", "access": "read", "expires_in": 60}
        )
        assert nobody.status_code == 400, nobody.text
        assert nobody.json()["error"]["field"] == "name"
        too_long = api.post(
            "shares", json={"kind": "user", "name": "bob", "access": "read", "expires_in": 7200}
        )
        assert too_long.status_code == 400, too_long.text
        assert too_long.json()["error"]["field"] == "expires_in"
        short_link = api.post("shares/links", json={"access": "read", "expires_in": 10})
        assert short_link.status_code == 400, short_link.text


# ------------------------------------------------------------------ leaving the group


def test_a_member_who_left_the_group_loses_the_project_at_the_next_spawn(team: Team) -> None:
    with team.admin() as api:
        api.request("DELETE", f"groups/{WRITERS}/users", json={"users": ["bob"]}).raise_for_status()
    # until then the running server keeps what it was given
    team.hub.stop_server("bob")
    team.hub.start_server("bob")
    assert not (team.home("bob") / "projects" / PROJECT).exists()
    assert (team.home("bob") / "projects").is_dir()
    with team.esap("bob", "bob") as api:
        assert api.get("projects").json()["projects"] == []
        for response in (
            api.get(f"projects/{PROJECT}/basket"),
            api.post(f"projects/{PROJECT}/basket/copy", json={}),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "no_such_project"
    with team.contents("bob", "bob") as api:
        assert api.get(f"contents/projects/{PROJECT}").status_code == 404
    # the folder and what bob wrote in it stay the project's
    assert (team.folder / "plan.md").read_text().endswith("bob was here\n")


# ------------------------------------------------------------------ in the browser


@pytest.mark.browser
def test_sharing_a_lab_and_a_basket_in_the_browser(team: Team, browser: Browser) -> None:
    """alice shares her lab with carol from the Share dialog and revokes it in the Shared
    view; carol opens alice's lab meanwhile, then the project's basket in a notebook."""
    alice_context = browser.new_context(viewport={"width": 1400, "height": 900})
    carol_context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        alice = alice_context.new_page()
        carol = carol_context.new_page()
        for page in (alice, carol):
            page.set_default_timeout(60_000)
        log_in(alice, team.hub, "alice")
        log_in(carol, team.hub, "carol")

        open_side_panel(alice, "esap-shared", alice.locator(".esap-Shared"))
        alice.locator(".esap-Shared").get_by_role("button", name="Share this lab").click()
        dialog = alice.locator(".jp-Dialog")
        dialog.get_by_label("Name", exact=True).fill("carol")
        dialog.get_by_label("Access", exact=True).select_option("read")
        dialog.get_by_label("For", exact=True).select_option("3600")
        dialog.get_by_role("button", name="Share").click()
        row = alice.locator('.esap-Shared-outgoing [data-esap-share="user:carol"]')
        expect(row).to_contain_text("read-only")
        expect(row).to_contain_text("until")
        alice.locator("#esap-shared").screenshot(path=str(PICTURE), animations="disabled")

        carol.goto(f"{team.hub.url}/user/alice/lab")
        # the hub asks a visitor to let alice's server know who they are (JupyterHub's page)
        carol.get_by_role("button", name="Authorize").click()
        expect(carol.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
        expect(carol.locator(".jp-DirListing-content")).to_contain_text("projects")

        def may() -> list[str]:
            """What carol's browser login may do to alice's files (jupyter-server's /api/me)."""
            asked = quote(json.dumps({"contents": ["read", "write"]}))
            answer = carol.request.get(f"{team.hub.url}/user/alice/api/me?permissions={asked}")
            return list(answer.json()["permissions"]["contents"]) if answer.ok else []

        assert may() == ["read"]
        # made full (the browser's login holds only the access scope: the share is asked)
        _share(
            team, "alice", {"kind": "user", "name": "carol", "access": "full", "expires_in": 600}
        )
        eventually(lambda: may() == ["read", "write"], "carol may write once full")
        alice.locator(".esap-SharedPanel").get_by_role("button", name="Refresh").click()
        expect(row).to_contain_text("full access")

        row.get_by_role("button", name="Revoke").click()
        expect(row).to_have_count(0)

        def carol_is_out() -> bool:
            answer = carol.request.get(f"{team.hub.url}/user/alice/api/contents")
            return answer.status in (302, 403) or "Sign in" in answer.text()

        eventually(carol_is_out, "carol's session in alice's lab ends")

        carol.goto(f"{team.hub.url}/user/carol/lab")
        expect(carol.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
        open_side_panel(carol, "esap-shared", carol.locator(".esap-Shared"))
        project = carol.locator(f'.esap-Shared-projects [data-esap-project="{PROJECT}"]')
        expect(project).to_contain_text("read-only")
        expect(project).to_contain_text("2 items")
        project.get_by_role("button", name="Open in notebook").click()
        cell = carol.locator(".jp-Notebook .jp-Cell").first
        expect(cell).to_contain_text(f"esap.basket.project('{PROJECT}')")
        expect(carol.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=60_000)
        cell.click()
        carol.keyboard.press("Shift+Enter")
        expect(carol.locator(".jp-OutputArea-output").first).to_contain_text(
            "P000+23 mosaic", timeout=60_000
        )
    finally:
        alice_context.close()
        carol_context.close()
