"""Open in my lab: pull a repository into the home and give it a Jupyter kernel of its own.

Steps, each recorded with its output so a failure shows where and why:

1. ``pull``: a branch (or no ref: the default branch) is pulled by
   nbgitpuller's ``GitPuller``, which clones or updates it keeping the user's
   edits, into ``~/software/<name>``. nbgitpuller pulls branches only, so a
   tag or a commit is checked out by git itself (``git clone``, then
   ``git checkout <ref>``, detached) into the same folder; a ref that is none
   of these is an error that names it.
2. ``requirements``: finds requirements.txt, environment.yml or pyproject.toml.
3. ``environment``: ``uv venv ~/.esap/envs/<name>``; the lab's own
   site-packages is appended to its path (a ``.pth`` file) so ipykernel
   comes from the lab and the environment holds only what the software
   declares (its packages come first on ``sys.path``).
4. ``install``: ``uv pip install`` of the requirements, run in the
   repository (relative ``--find-links`` work).
5. ``kernel``: checks the environment imports ipykernel, then installs a
   kernelspec into the user's Jupyter data dir.

When a step fails, what this launch made is removed (the environment, the
kernelspec, a clone it created), so no broken kernel is left behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from esap.core.errors import EsapError
from esap.core.ids import new_id
from esap.core.state import state_dir
from esap.core.urls import UrlPolicyError, git_remote

STEPS = ("pull", "requirements", "environment", "install", "kernel")
REQUIREMENT_FILES = ("requirements.txt", "environment.yml", "environment.yaml", "pyproject.toml")


class LaunchError(EsapError):
    """A launch step failed; ``step`` and ``output`` say which and what it printed."""

    status = 500
    code = "launch_failed"

    def __init__(self, step: str, message: str, output: str = "") -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.output = output


@dataclass
class Step:
    name: str
    state: str = "pending"  # pending | running | done | skipped | error
    output: str = ""


@dataclass
class Launch:
    """One launch, as the REST API shows it."""

    id: str
    repository: str
    ref: str | None
    name: str
    state: str = "running"  # running | done | error
    steps: list[Step] = field(default_factory=lambda: [Step(name) for name in STEPS])
    folder: str | None = None
    kernel: str | None = None
    notebook: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


def slug(text: str) -> str:
    """A short safe name from a repository URL or a title."""
    base = text.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-")[:40] or "software"


def _run(step: str, command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=1800, check=False
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise LaunchError(
            step, f"`{' '.join(command[:3])} ...` exited with {result.returncode}", output
        )
    return output


def uv() -> str:
    """The uv executable (installed with esap-hub)."""
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        raise LaunchError(
            "environment", "uv is not installed — reinstall esap-hub (it depends on uv)"
        )
    return found


def kernels_dir() -> Path:
    """The user's kernelspec folder (Jupyter's data dir)."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kernels"


def pull(repository: str, ref: str | None, target: Path) -> str:
    """Clone or update with nbgitpuller; its output, or LaunchError naming the cause."""
    from nbgitpuller.pull import GitPuller

    try:
        git_remote(repository, field="repository", home=Path.home())
    except UrlPolicyError as exc:
        raise LaunchError("pull", f"{exc.message} — {exc.fix}") from None
    probe = subprocess.run(
        ["git", "ls-remote", "--", repository],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    if probe.returncode != 0:
        raise LaunchError(
            "pull",
            f"{repository} is not a git repository git can read (git ls-remote exited with "
            f"{probe.returncode}) — check the URL and that the repository is public",
            (probe.stdout + probe.stderr).strip(),
        )
    advertised = {line.split("\t", 1)[1] for line in probe.stdout.splitlines() if "\t" in line}
    if ref and f"refs/heads/{ref}" not in advertised:
        return checkout(repository, ref, target, tag=f"refs/tags/{ref}" in advertised)
    lines: list[str] = []
    try:
        puller = GitPuller(repository, str(target), branch=ref or None, depth=1)
        for line in puller.pull():
            lines.append(str(line).rstrip())
    except subprocess.CalledProcessError as exc:
        raise LaunchError(
            "pull",
            f"{repository} is not a git repository git can read (git exited with {exc.returncode})",
            "\n".join(lines) or str(exc),
        ) from None
    except Exception as exc:  # nbgitpuller raises plain exceptions for a missing branch
        name = type(exc).__name__
        if "Branch" in name or "branch" in str(exc).lower():
            raise LaunchError(
                "pull",
                f"ref {ref!r} does not exist in {repository} — name an existing branch",
                "\n".join(lines),
            ) from None
        raise LaunchError("pull", f"{name}: {exc}", "\n".join(lines)) from None
    return "\n".join(lines)


_COMMIT = re.compile(r"[0-9a-fA-F]{4,64}")


def _git(step_output: list[str], *args: str, cwd: Path | None = None) -> bool:
    """Run git quietly (no prompt); keep its output; whether it succeeded."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    step_output.append(f"$ git {' '.join(args)}\n{(result.stdout + result.stderr).strip()}")
    return result.returncode == 0


def checkout(repository: str, ref: str, target: Path, *, tag: bool) -> str:
    """A tag or a commit, checked out (detached) into ``target``: cloned, or fetched into it.

    The ref must be a tag the repository advertises, or look like a commit
    hash that its history holds; anything else names the ref and what to give.
    """
    missing = LaunchError(
        "pull",
        f"ref {ref!r} does not exist in {repository} — name an existing branch, tag or commit",
    )
    if not tag and not _COMMIT.fullmatch(ref):
        raise missing
    lines: list[str] = []
    if (target / ".git").is_dir():
        deepen = ["--unshallow"] if (target / ".git" / "shallow").exists() else []
        fetched = _git(lines, "fetch", "--quiet", "--tags", *deepen, "origin", cwd=target)
        if not fetched:
            raise LaunchError("pull", f"could not fetch {repository}", "\n".join(lines))
    elif not _git(lines, "clone", "--quiet", "--no-checkout", "--", repository, str(target)):
        raise LaunchError(
            "pull", f"could not clone {repository} (git clone failed)", "\n".join(lines)
        )
    if not _git(lines, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=target):
        missing.output = "\n".join(lines)
        raise missing
    if not _git(lines, "checkout", "--quiet", "--detach", ref, cwd=target):
        raise LaunchError(
            "pull",
            f"could not check out {ref!r} in {target.name} — if you changed files there, "
            "commit or move them first",
            "\n".join(lines),
        )
    return "\n".join(lines)


def requirements(folder: Path) -> Path | None:
    """The file that declares the software's dependencies, if any."""
    for name in REQUIREMENT_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _environment_packages(path: Path) -> list[str]:
    """The pip-installable names of an environment.yml (conda-only packages cannot be)."""
    import yaml

    document = yaml.safe_load(path.read_text()) or {}
    packages: list[str] = []
    for dependency in document.get("dependencies") or []:
        if isinstance(dependency, dict):
            packages += [str(p) for p in dependency.get("pip") or []]
        elif isinstance(dependency, str) and not dependency.startswith(("python", "pip")):
            packages.append(
                dependency.replace("=", "==", 1) if "==" not in dependency else dependency
            )
    return packages


def install(env: Path, declared: Path) -> str:
    """Install what ``declared`` lists into the environment."""
    python = str(env / "bin" / "python")
    base = [uv(), "pip", "install", "--python", python]
    if declared.name == "requirements.txt":
        return _run("install", [*base, "-r", declared.name], cwd=declared.parent)
    if declared.name == "pyproject.toml":
        return _run("install", [*base, "."], cwd=declared.parent)
    packages = _environment_packages(declared)
    if not packages:
        return "nothing pip-installable in " + declared.name
    return _run("install", [*base, *packages], cwd=declared.parent)


def make_environment(env: Path) -> str:
    """A fresh virtual environment that sees the lab's ipykernel after its own packages."""
    output = _run("environment", [uv(), "venv", "--python", sys.executable, str(env)])
    lab = sysconfig.get_paths()["purelib"]
    found = list(env.glob("lib/python*/site-packages"))
    if not found:
        raise LaunchError("environment", f"no site-packages in {env}", output)
    (found[0] / "zz-esap-lab.pth").write_text(lab + "\n")
    return output


def install_kernel(env: Path, name: str, display: str) -> str:
    """Check the environment runs ipykernel, then install its kernelspec for the user."""
    from jupyter_client.kernelspec import KernelSpecManager

    python = str(env / "bin" / "python")
    _run("kernel", [python, "-c", "import ipykernel, sys; print(sys.prefix)"])
    with tempfile.TemporaryDirectory() as folder:
        spec = {
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": display,
            "language": "python",
            "metadata": {"esap": {"environment": str(env)}},
        }
        (Path(folder) / "kernel.json").write_text(json.dumps(spec, indent=1))
        KernelSpecManager().install_kernel_spec(folder, name, user=True)
    return f"kernel {name} ({display}) installed"


def first_notebook(folder: Path) -> Path | None:
    """The notebook to open: one named like index/readme/tutorial, else the first found."""
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for preferred in ("index", "readme", "tutorial", "demo", "example"):
        for notebook in notebooks:
            if notebook.stem.lower().startswith(preferred):
                return notebook
    return notebooks[0] if notebooks else None


def launch(
    repository: str,
    ref: str | None = None,
    name: str | None = None,
    report: Callable[[Launch], None] | None = None,
    job: Launch | None = None,
) -> Launch:
    """Run every step (see the module docstring); the returned Launch says how it went."""
    home = Path.home()
    name = slug(name or repository)
    job = job or Launch(new_id(), repository, ref, name)
    target = home / "software" / name
    env = state_dir(home) / "envs" / name
    kernel = f"esap-{name}"
    created_clone = not target.exists()
    made: list[Path] = []
    notify = report or (lambda _: None)
    current = "pull"
    try:
        for current in STEPS:
            step = job.step(current)
            step.state = "running"
            notify(job)
            if current == "pull":
                target.parent.mkdir(parents=True, exist_ok=True)
                step.output = pull(repository, ref, target)
                job.folder = str(target.relative_to(home))
            elif current == "requirements":
                declared = requirements(target)
                step.output = (
                    declared.name if declared else "none declared: the default kernel is used"
                )
                if declared is None:
                    for rest in STEPS[STEPS.index("environment") :]:
                        job.step(rest).state = "skipped"
                    step.state = "done"
                    break
            elif current == "environment":
                if env.exists():
                    shutil.rmtree(env)
                made.append(env)
                step.output = make_environment(env)
            elif current == "install":
                assert declared is not None
                step.output = install(env, declared)
            elif current == "kernel":
                made.append(kernels_dir() / kernel)
                step.output = install_kernel(env, kernel, f"{name} (ESAP)")
                job.kernel = kernel
            step.state = "done"
            notify(job)
    except LaunchError as exc:
        failed = job.step(exc.step if exc.step in STEPS else current)
        failed.state = "error"
        failed.output = exc.output
        job.state = "error"
        job.error = str(exc)
        job.kernel = None
        for path in made:
            shutil.rmtree(path, ignore_errors=True)
        if created_clone and exc.step == "pull":
            shutil.rmtree(target, ignore_errors=True)
        notify(job)
        return job
    notebook = first_notebook(target)
    job.notebook = str(notebook.relative_to(home)) if notebook else None
    job.state = "done"
    notify(job)
    return job


__all__ = ["STEPS", "Launch", "LaunchError", "launch", "slug"]
