"""nbgitpuller links: one click pulls a course repository into the user's home.

The link format is nbgitpuller's own (``/git-pull?repo=&branch=&urlpath=``,
behind the hub's ``/hub/user-redirect/`` so one link works for everyone):
the user's server clones the repository on the first visit and, on later
visits, merges new commits without overwriting the user's own edits.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit


def default_target(repo: str) -> str:
    """The folder nbgitpuller clones into by default: the repository's last path part."""
    return repo.rstrip("/").split("/")[-1]


def check_repo(repo: str) -> str | None:
    """A message saying what is wrong with ``repo`` as a git URL, or ``None``."""
    parts = urlsplit(repo)
    if parts.scheme not in ("https", "http", "git", "ssh", "file"):
        return (
            f"{repo!r} is not a git URL — give the repository's clone address, "
            "e.g. https://github.com/org/course.git"
        )
    if parts.scheme != "file" and not parts.netloc:
        return f"{repo!r} has no host — write it as https://host/org/course.git"
    if not default_target(repo):
        return f"{repo!r} names no repository — write it as https://host/org/course.git"
    return None


def pull_path(
    repo: str, branch: str | None = None, path: str | None = None, target: str | None = None
) -> str:
    """The user-server path (``git-pull?…``) that pulls ``repo`` and opens ``path`` in the lab.

    ``path`` is a file or folder inside the repository (default: its top);
    ``target`` the folder in the home (default: the repository's name).
    """
    folder = target or default_target(repo)
    opened = "/".join(part for part in (folder, (path or "").strip("/")) if part)
    query: dict[str, str] = {"repo": repo}
    if branch:
        query["branch"] = branch
    if target:
        query["targetpath"] = target
    query["urlpath"] = f"lab/tree/{opened}"
    return "git-pull?" + urlencode(query)


def hub_link(
    hub_url: str,
    repo: str,
    branch: str | None = None,
    path: str | None = None,
    target: str | None = None,
) -> str:
    """The link to hand out: ``<hub>/hub/user-redirect/git-pull?…``."""
    return f"{hub_url.rstrip('/')}/hub/user-redirect/{pull_path(repo, branch, path, target)}"
