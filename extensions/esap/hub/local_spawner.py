"""The local-mode spawner: JupyterHub's ``SimpleLocalProcessSpawner`` with profiles.

It offers the same profile choice as KubeSpawner does on Kubernetes: the same
``profile_list`` (built by :mod:`esap.hub.profiles`) rendered by
KubeSpawner's own ``form.html`` template, parsed into the same
``user_options`` (``{"profile": slug}``). A local process cannot be given a
CPU or memory limit portably, so the chosen profile's limits are recorded
(``cpu_limit`` / ``mem_limit``, which JupyterHub passes on as ``CPU_LIMIT`` /
``MEM_LIMIT``) and not enforced; its image is ignored.
"""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader
from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Any as AnyTrait
from traitlets import default


class EsapLocalSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]
    """Local user servers with the profile form; limits recorded, not enforced."""

    profile_list = AnyTrait(
        None,
        allow_none=True,
        config=True,
        help="A callable (spawner) -> list of KubeSpawner profile_list entries, or None.",
    )

    @default("options_form")
    def _options_form_default(self) -> Any:
        if self.profile_list is None:
            return ""
        return self._render_profile_form

    @default("options_from_form")
    def _options_from_form_default(self) -> Any:
        return self._profile_from_form

    def _profiles(self) -> list[dict[str, Any]]:
        return list(self.profile_list(self)) if self.profile_list is not None else []

    def _render_profile_form(self, spawner: Any) -> str:
        """KubeSpawner's ``form.html`` over our profile list (a 403 when none is open).

        With a single profile open to the user there is nothing to choose: no form.
        """
        profiles = self._profiles()
        if len(profiles) < 2:
            return ""
        environment = Environment(
            loader=ChoiceLoader([PackageLoader("kubespawner", "templates")]), autoescape=True
        )
        environment.policies["json.dumps_kwargs"] = {"sort_keys": False}
        return environment.get_template("form.html").render(
            profile_list=profiles, user_options=self.user_options or {}
        )

    @staticmethod
    def _profile_from_form(formdata: dict[str, list[str]]) -> dict[str, Any]:
        return {"profile": formdata.get("profile", [None])[0]}

    def chosen_profile(self) -> dict[str, Any] | None:
        """The profile in ``user_options`` (or the default), checked against the user's list."""
        profiles = self._profiles()
        if not profiles:
            return None
        slug = (self.user_options or {}).get("profile")
        if not slug:
            return next((p for p in profiles if p.get("default")), profiles[0])
        for profile in profiles:
            if profile["slug"] == slug:
                return profile
        raise ValueError(
            f"profile {slug!r} is not open to {self.user.name}; "
            f"choose one of: {', '.join(p['slug'] for p in profiles)}"
        )

    async def start(self) -> Any:
        """Record the chosen profile, then start the process as usual."""
        profile = self.chosen_profile()
        if profile is not None:
            override = profile["kubespawner_override"]
            self.cpu_limit = override.get("cpu_limit")
            self.mem_limit = override.get("mem_limit")
            environment: dict[str, Any] = dict(self.environment)  # type: ignore[has-type]
            self.environment = {**environment, **override.get("environment", {})}
            self.log.info(
                "Starting %s with profile %s (limits recorded, not enforced locally)",
                self.user.name,
                profile["slug"],
            )
        return await super().start()
