"""Typed models of ``esap.yaml``: the single source of truth for the admin config.

Validation errors, the JSON Schema (``esap config schema``, editors, the Helm
chart's ``values.schema.json``) and the reference docs are all derived from
these models, so a setting is described exactly once: here, in its
``Field(description=...)``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from esap import plugins

#: A reference to a secret: ``env:NAME`` (an environment variable) or
#: ``file:/absolute/path`` (a file whose content, stripped, is the secret).
SECRET_REF_PATTERN = re.compile(r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$")

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"

#: A memory size as Kubernetes and Dask Gateway write it: 4G, 512Mi, 1.5Ti.
MEMORY_PATTERN = r"^[0-9]+(\.[0-9]+)?[KMGT]i?$"

#: Validation codes raised by the models below; ``esap.config.errors`` turns
#: each into a message that says what is wrong and how to fix it.
SECRET_INLINE = "secret_inline"  # noqa: S105 - an error code, not a secret
SECRET_REF_MALFORMED = "secret_ref_malformed"  # noqa: S105 - an error code
SECRET_IN_URL = "secret_in_url"  # noqa: S105 - an error code
OIDC_MISSING = "oidc_missing"
DUPLICATE_NAME = "duplicate_name"
UNKNOWN_TYPE = "unknown_type"
PORT_CLASH = "port_clash"
AUDIENCE_NAME = "audience_name"
FETCH_SCHEME = "fetch_scheme"
GROUP_NAME = "group_name"
PROJECT_NO_GROUPS = "project_no_groups"


class SecretRef(str):
    """A secret given by reference, never inline.

    The value is resolved only where it is used (``resolve()``), so a loaded
    config can be printed, logged or sent to a user server without leaking it.
    """

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            cls._validate,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": SECRET_REF_PATTERN.pattern,
            "description": "A secret by reference: env:NAME or file:/absolute/path.",
        }

    @classmethod
    def _validate(cls, value: str) -> SecretRef:
        if not SECRET_REF_PATTERN.match(value):
            # "env:" / "file:" with a bad name or a relative path is a mistyped
            # reference, not a pasted secret: say so, so the message can show it.
            if value.startswith(("env:", "file:")):
                raise ValueError(SECRET_REF_MALFORMED)
            raise ValueError(SECRET_INLINE)
        return cls(value)

    def resolve(self) -> str:
        """Return the secret's value; raise ``LookupError`` naming what is missing."""
        kind, _, where = self.partition(":")
        if kind == "env":
            value = os.environ.get(where)
            if value is None:
                raise LookupError(f"environment variable {where} is not set")
            return value
        try:
            return Path(where).read_text().strip()
        except OSError as exc:
            raise LookupError(f"cannot read secret file {where}: {exc.strerror}") from exc


def _no_password_in_url(url: AnyHttpUrl) -> AnyHttpUrl:
    """Refuse ``https://user:secret@host``: a password in a URL is an inline secret."""
    if url.password:
        raise ValueError(SECRET_IN_URL)
    return url


#: An http(s) URL with a host and without an inline password.
HttpUrl = Annotated[AnyHttpUrl, AfterValidator(_no_password_in_url)]

#: A memory size such as 4G or 512Mi.
Memory = Annotated[str, Field(pattern=MEMORY_PATTERN)]


def _value_error(code: str, data: Any) -> dict[str, Any]:
    """An error in the shape ``ValidationError.from_exception_data`` takes, for ``code``."""
    return {"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(code)}}


class _Model(BaseModel):
    """Base of every section: unknown keys are errors, values are checked strictly."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class _AdapterEntry(_Model):
    """Base of the entries whose ``type`` names an adapter in a plugin group.

    The allowed names are not a fixed enum: third-party packages add their own
    through entry points, so they are looked up in ``esap.plugins`` at
    validation time (without importing any adapter).
    """

    adapter_group: ClassVar[str]

    @field_validator("type", check_fields=False)
    @classmethod
    def _known_type(cls, value: str) -> str:
        # a name nothing registers (a typo, a package not installed at all) is the admin's
        # to fix, at check and at hub start alike; a registered package that fails to
        # import is the package's problem (esap.config.adapters: a warning at hub start)
        if value not in plugins.names(cls.adapter_group):
            raise ValueError(UNKNOWN_TYPE)
        return value


class HubService(_Model):
    """An external program (a bot, a monitoring job, a test harness) that calls the hub's API."""

    name: Annotated[
        str, Field(pattern=NAME_PATTERN, description="Service name, as the hub shows it.")
    ]
    token: SecretRef = Field(
        description="The service's API token, by reference (env:NAME or file:/path)."
    )
    scopes: list[str] = Field(
        default_factory=list,
        description="JupyterHub scopes granted to the service, "
        "e.g. admin:users, admin:servers, tokens.",
    )


class MetricsSettings(_Model):
    """ESAP's metrics gathered from every running user server into one scrape target."""

    enabled: bool = Field(
        default=False,
        description="Run the esap-metrics hub service: /services/esap-metrics/metrics serves "
        "every running server's metrics with a user label (Prometheus scrapes only the hub).",
    )
    token: SecretRef | None = Field(
        default=None,
        description="Bearer token Prometheus may send to /services/esap-metrics/metrics, by "
        "reference (env:NAME or file:/path); a hub token with the read:metrics scope is "
        "accepted too.",
    )


class HubSection(_Model):
    """How the hub itself runs."""

    title: str = Field(
        default="ESAP Hub", description="Name shown on the login page and in the lab."
    )
    mode: Literal["local", "kubernetes"] = Field(
        default="local",
        description="local: user servers are processes on this machine; "
        "kubernetes: pods via KubeSpawner.",
    )
    ip: str = Field(default="127.0.0.1", description="Address the public proxy listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the public proxy listens on.")
    internal_port: int = Field(
        default=8081, ge=1, le=65535, description="Port of the hub's internal API (on 127.0.0.1)."
    )
    proxy_api_port: int = Field(
        default=8001, ge=1, le=65535, description="Port of the proxy's REST API (on 127.0.0.1)."
    )
    data_dir: Path = Field(
        default=Path(".esap-hub"),
        description="Where the hub keeps its database, secrets and (local mode) user homes; "
        "relative paths are relative to the config file.",
    )
    admin_users: list[str] = Field(default_factory=list, description="Users who are hub admins.")
    cookie_secret: SecretRef | None = Field(
        default=None,
        description="Hub cookie secret by reference; generated in data_dir when absent.",
    )
    services: list[HubService] = Field(
        default_factory=list, description="External programs allowed to call the hub REST API."
    )
    singleuser_default_url: str = Field(
        default="/lab", description="Page a user lands on after spawn."
    )
    cull_idle_after: int = Field(
        default=3600,
        ge=0,
        description="Seconds of inactivity before a user server is stopped "
        "(jupyterhub-idle-culler); 0 never stops idle servers.",
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings,
        description="ESAP's Prometheus metrics from every user server in one hub service.",
    )
    home_quota: Memory | None = Field(
        default=None,
        description="The size each user's home may reach, e.g. 10G (the syntax of profiles' "
        "memory): the lab warns its user past 90%, and new basket downloads and publication "
        "packages are refused once the home holds this much. Local mode measures homes; on "
        "Kubernetes it is also the home volume's size (singleuser.storage.capacity), which a "
        "storage class that enforces volume sizes holds.",
    )

    @model_validator(mode="after")
    def _ports_distinct(self) -> HubSection:
        """The hub, its API and the proxy's API cannot share a port (all bind locally)."""
        if self.internal_port == self.port:
            raise ValueError(f"{PORT_CLASH}:internal_port:port")
        for other in ("port", "internal_port"):
            if self.proxy_api_port == getattr(self, other):
                raise ValueError(f"{PORT_CLASH}:proxy_api_port:{other}")
        return self


#: What a provider preset fills in when ``auth.oidc`` leaves the key out.
#:
#: INDIGO IAM, after its documentation "Support for JWT profiles" (admin guide,
#: https://github.com/indigo-iam/iam-documentation, admin-guide/multi_profile_support.md):
#:
#: - ``indigo-iam``: IAM's own JWT profile (the default profile of an IAM
#:   instance). All the user's groups are in the ``groups`` claim, with no
#:   scope beyond the OpenID ones; group names are IAM's (``escape``,
#:   ``escape/admins``).
#: - ``indigo-iam-wlcg``: a client bound to the WLCG profile (the ``wlcg``
#:   scope among the client's scopes at IAM). Groups are left out of ID tokens
#:   and userinfo unless the ``wlcg.groups`` scope is requested; they then come
#:   in the ``wlcg.groups`` claim as paths (``/escape``, ``/escape/admins``), so
#:   ``allowed_groups`` and ``admin_groups`` are written as paths too.
#:
#: Both ask for ``offline_access``: IAM issues a refresh token only for it, and
#: the hub refreshes access tokens before each spawn. The user's name is the
#: standard ``preferred_username`` claim of the ``profile`` scope.
OIDC_PRESETS: dict[str, dict[str, Any]] = {
    "generic": {},
    "indigo-iam": {
        "scopes": ["openid", "profile", "email", "offline_access"],
        "username_claim": "preferred_username",
        "groups_claim": "groups",
    },
    "indigo-iam-wlcg": {
        "scopes": ["openid", "profile", "email", "offline_access", "wlcg.groups"],
        "username_claim": "preferred_username",
        "groups_claim": "wlcg.groups",
    },
}

#: Names of audience-specific tokens: they become ``ESAP_ACCESS_TOKEN_<NAME>``.
AUDIENCE_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,30}$"


class OidcSettings(_Model):
    """Login through an OpenID Connect provider (INDIGO IAM or any other)."""

    preset: Literal["generic", "indigo-iam", "indigo-iam-wlcg"] = Field(
        default="generic",
        description="Provider defaults for scopes, username_claim and groups_claim; "
        "indigo-iam (IAM's JWT profile): scopes openid profile email offline_access, groups "
        "from the groups claim; indigo-iam-wlcg (a client on IAM's WLCG profile): the same "
        "scopes plus wlcg.groups, groups from the wlcg.groups claim (paths such as /escape). "
        "Keys written here override the preset.",
    )
    issuer: HttpUrl = Field(description="Issuer URL; endpoints are found by OpenID discovery.")
    client_id: str = Field(min_length=1, description="OAuth client id registered at the provider.")
    client_secret: SecretRef = Field(description="OAuth client secret, by reference.")
    scopes: list[str] = Field(
        default_factory=lambda: ["openid", "profile", "email"], description="Scopes to request."
    )
    username_claim: str = Field(
        default="preferred_username", description="Claim that names the user."
    )
    groups_claim: str = Field(default="groups", description="Claim that lists the user's groups.")
    allowed_groups: list[str] = Field(default_factory=list, description="Groups allowed to log in.")
    admin_groups: list[str] = Field(
        default_factory=list, description="Groups whose members are admins."
    )
    auth_state_key: SecretRef | None = Field(
        default=None,
        description="Key that encrypts the tokens the hub keeps for each user (64 hex "
        "characters, `openssl rand -hex 32`), by reference; generated in hub.data_dir when "
        "absent.",
    )
    refresh_age: int = Field(
        default=300,
        ge=0,
        description="Seconds after which a user's groups and tokens are checked again at the "
        "provider (they are always checked at login and before each spawn).",
    )
    min_token_lifetime: int = Field(
        default=600,
        ge=0,
        description="A spawn refreshes the access token when it expires within this many "
        "seconds, so the user server starts with a fresh one.",
    )
    audiences: dict[str, str] = Field(
        default_factory=dict,
        description="Audience-specific tokens for user servers, obtained by RFC 8693 token "
        "exchange at spawn: name -> audience (e.g. rucio: https://rucio.example.org); the "
        "server gets ESAP_ACCESS_TOKEN_<NAME>.",
    )

    @field_validator("audiences")
    @classmethod
    def _audience_names(cls, audiences: dict[str, str]) -> dict[str, str]:
        """Each name becomes part of an environment variable: keep it to a-z, 0-9 and _."""
        for name in audiences:
            if not re.match(AUDIENCE_NAME_PATTERN, name):
                raise ValueError(f"{AUDIENCE_NAME}:{name}")
        return audiences

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        """Fill the keys the admin left out from the provider preset."""
        if not isinstance(data, dict):
            return data
        preset = OIDC_PRESETS.get(str(data.get("preset", "generic")), {})
        return {**preset, **data}


class AuthSection(_Model):
    """How users log in."""

    type: Literal["shared-password", "oidc"] = Field(
        default="shared-password",
        description="shared-password: one password for every user (local hubs, workshops); "
        "oidc: an OpenID Connect provider such as INDIGO IAM.",
    )
    password: SecretRef | None = Field(
        default=None,
        description="shared-password: the user password by reference; when absent one is "
        "generated, kept in data_dir and printed at start.",
    )
    admin_password: SecretRef | None = Field(
        default=None, description="shared-password: a separate password for admin_users (optional)."
    )
    allowed_users: list[str] = Field(
        default_factory=list,
        description="Users allowed to log in; empty means anyone who knows the password.",
    )
    oidc: OidcSettings | None = Field(default=None, description="Settings for type: oidc.")

    @model_validator(mode="wrap")
    @classmethod
    def _oidc_needs_settings(
        cls, data: Any, handler: ModelWrapValidatorHandler[AuthSection]
    ) -> AuthSection:
        """``type: oidc`` without ``oidc:`` settings, reported even beside other errors.

        An ``after`` validator would only run once every field is valid, so an
        admin would learn about the missing section one check later.
        """
        missing = isinstance(data, dict) and data.get("type") == "oidc" and data.get("oidc") is None
        try:
            section = handler(data)
        except ValidationError as exc:
            if not missing:
                raise
            errors = [*exc.errors(), _value_error(OIDC_MISSING, data)]
            raise ValidationError.from_exception_data(exc.title, errors) from None  # type: ignore[arg-type]
        if missing:
            raise ValueError(OIDC_MISSING)
        return section


class Profile(_Model):
    """A server size / image a user may choose at spawn."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="Short id of the profile.")]
    display_name: str | None = Field(default=None, description="Name shown in the spawn form.")
    description: str = Field(default="", description="One line shown under the name.")
    image: str | None = Field(default=None, description="Container image (kubernetes mode).")
    cpu: float | None = Field(default=None, gt=0, description="CPU cores guaranteed and limited.")
    memory: Memory | None = Field(default=None, description="Memory, e.g. 4G or 512Mi.")
    gpu: int = Field(default=0, ge=0, description="GPUs to attach (kubernetes mode).")
    groups: list[str] = Field(
        default_factory=list, description="Groups that may use it; empty means everyone."
    )
    default: bool = Field(default=False, description="Pre-selected in the spawn form.")
    idle_timeout: int | None = Field(
        default=None, gt=0, description="Seconds of inactivity before the server is culled."
    )


class DataServiceEntry(_AdapterEntry):
    """A data service (TAP, SIA2, SCS, SSA, registry, or a third-party adapter)."""

    adapter_group: ClassVar[str] = plugins.DATA_SERVICES

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="Short id, unique in the list.")]
    type: str = Field(
        description="Adapter name, e.g. tap, sia2, scs, ssa, registry "
        "(or one a package registers under the entry-point group esap.data_services).",
        examples=list(plugins.BUILTIN[plugins.DATA_SERVICES]),
    )
    url: HttpUrl = Field(description="Base URL of the service.")
    title: str | None = Field(default=None, description="Name shown in the lab; defaults to name.")
    description: str = Field(default="", description="One line shown in the lab.")
    enabled: bool = Field(default=True, description="Searched by default.")
    timeout: float = Field(
        default=30.0, gt=0, description="Seconds before the service counts as down."
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="The adapter's own settings; each type declares which it accepts "
        "(esap config schema lists them).",
    )


class SoftwareCatalogueEntry(_AdapterEntry):
    """A software catalogue (codemeta folder/URL, the OSSR, or a third-party adapter)."""

    adapter_group: ClassVar[str] = plugins.SOFTWARE_CATALOGUES

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="Short id, unique in the list.")]
    type: str = Field(
        description="Adapter name, e.g. codemeta, ossr "
        "(or one a package registers under the entry-point group esap.software_catalogues).",
        examples=list(plugins.BUILTIN[plugins.SOFTWARE_CATALOGUES]),
    )
    url: HttpUrl | None = Field(default=None, description="Base URL of the catalogue, if remote.")
    path: Path | None = Field(
        default=None,
        description="Folder of codemeta.json files, if local; relative paths are relative "
        "to the config file.",
    )
    title: str | None = Field(default=None, description="Name shown in the lab; defaults to name.")
    description: str = Field(default="", description="One line shown in the lab.")
    enabled: bool = Field(default=True, description="Searched by default.")
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="The adapter's own settings; each type declares which it accepts "
        "(esap config schema lists them).",
    )


class ArchiveEntry(_AdapterEntry):
    """An archive that publications go to (local bag store, Zenodo, InvenioRDM, ...)."""

    adapter_group: ClassVar[str] = plugins.ARCHIVES

    name: Annotated[str, Field(pattern=NAME_PATTERN, description="Short id, unique in the list.")]
    type: str = Field(
        description="Adapter name, e.g. local, zenodo, invenio-rdm "
        "(or one a package registers under the entry-point group esap.archives).",
        examples=list(plugins.BUILTIN[plugins.ARCHIVES]),
    )
    url: HttpUrl | None = Field(default=None, description="API base URL, for remote archives.")
    path: Path | None = Field(
        default=None,
        description="Directory that holds the records (type local); relative paths are "
        "relative to the config file.",
    )
    title: str | None = Field(default=None, description="Name shown in the lab; defaults to name.")
    description: str = Field(default="", description="One line shown in the lab.")
    community: str | None = Field(
        default=None, description="Community the records are submitted to."
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="The adapter's own settings; each type declares which it accepts "
        "(esap config schema lists them).",
    )


class DaskLimits(_Model):
    """Per-user limits, for everyone or for one group."""

    max_clusters: int | None = Field(
        default=None, ge=0, description="Clusters a user may run at once."
    )
    max_cores: float | None = Field(
        default=None, gt=0, description="Cores over all of a user's clusters."
    )
    max_memory: Memory | None = Field(
        default=None, description="Memory over all of a user's clusters, e.g. 16G."
    )


class DaskSection(_Model):
    """Bulk analysis on Dask Gateway."""

    enabled: bool = Field(default=False, description="Run dask-gateway-server as a hub service.")
    worker_cores: float = Field(default=1, gt=0, description="Default cores per worker.")
    worker_memory: Memory = Field(default="2G", description="Default memory per worker.")
    limits: DaskLimits = Field(default_factory=DaskLimits, description="Limits for every user.")
    group_limits: dict[str, DaskLimits] = Field(
        default_factory=dict,
        description="Limits per group, overriding the defaults; a user in several groups "
        "gets the most generous value of each limit.",
    )
    proxy_port: int = Field(
        default=8010,
        ge=1,
        le=65535,
        description="Local mode: HTTP port of the gateway's proxy (API and dashboards, "
        "on 127.0.0.1; the hub also serves it at /services/dask-gateway/).",
    )
    scheduler_port: int = Field(
        default=8011,
        ge=1,
        le=65535,
        description="Local mode: TCP port through which clients reach their schedulers "
        "(on 127.0.0.1).",
    )
    api_port: int = Field(
        default=8012,
        ge=1,
        le=65535,
        description="Local mode: port of the gateway's internal API (on 127.0.0.1).",
    )
    idle_timeout: int = Field(
        default=3600,
        ge=0,
        description="Seconds before a cluster nobody uses is shut down, giving its cores "
        "and memory back to the user's limits; 0 never shuts idle clusters down.",
    )


class WorkshopSection(_Model):
    """Workshop hubs: temporary accounts and course material."""

    material: str | None = Field(default=None, description="Git URL of the course material.")
    branch: str = Field(default="main", description="Branch of the material to pull.")
    users: int = Field(default=0, ge=0, le=1000, description="Temporary accounts to create.")
    hours: float = Field(
        default=4, gt=0, description="Hours before accounts and servers are removed."
    )
    password_mode: Literal["per-user", "shared"] = Field(
        default="per-user",
        description="per-user: each account gets its own generated password; "
        "shared: every participant uses one generated event password.",
    )
    trainer: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(
        default="trainer",
        description="The trainer's account: an admin who sees every participant's server.",
    )
    target: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Folder in each home the material is pulled into; defaults to the "
        "repository's name.",
    )


class ResolverSection(_Model):
    """How target names (M31, Crab) become coordinates in data searches."""

    type: str = Field(
        default="sesame",
        pattern=r"^(sesame|table|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$",
        description="sesame: CDS Sesame through astropy (needs the internet); table: the "
        "names in `targets` only; or package.module:Class for your own resolver.",
    )
    targets: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="type table: name -> [ra, dec] in ICRS degrees, e.g. M31: [10.6847, 41.269].",
    )
    timeout: float = Field(default=10.0, gt=0, description="Seconds before a look-up fails.")


class SkyViewSection(_Model):
    """The sky view of search results in the Data panel (Aladin Lite) and notebooks (ipyaladin)."""

    enabled: bool = Field(default=True, description="Show the Sky view beside each result.")
    hips: str = Field(
        default="CDS/P/DSS2/color",
        min_length=1,
        description="Background survey: a HiPS id from the CDS registry (CDS/P/DSS2/color, "
        "needs the internet) or the http(s) URL of a HiPS your site serves.",
    )
    max_sources: int = Field(
        default=2000,
        ge=1,
        le=100000,
        description="Rows of a result drawn at most (the first ones, in the grid's order).",
    )


class AllVoSection(_Model):
    """Searching the whole Virtual Observatory at once: the registry asked and the limits.

    An all-VO search asks the registry for every service of the chosen types
    (ObsCore TAP, SIAv2, cone search), then all of them, at most
    ``concurrency`` at a time, each for at most ``maxrec`` rows.
    """

    registry: HttpUrl | None = Field(
        default=None,
        description="RegTAP endpoint the services come from; default: the first data service "
        "of type registry, else GAVO's registry (https://reg.g-vo.org/tap, needs the internet).",
    )
    concurrency: int = Field(
        default=32,
        ge=1,
        le=256,
        description="Services asked at once at most; the others wait their turn (a few of "
        "the fastest first, then the slowest, as remembered from earlier searches).",
    )
    timeout: float = Field(
        default=15.0,
        gt=0,
        le=600,
        description="Seconds each service may take, from when its own request starts.",
    )
    maxrec: int = Field(
        default=1000,
        ge=1,
        le=100000,
        description="Rows asked of each service unless the search says; a service that "
        "sends more is cut there (and marked truncated).",
    )
    max_services: int = Field(
        default=500,
        ge=1,
        le=10000,
        description="Services searched at most; the registry's others are counted, not asked.",
    )
    cache_max_age: int = Field(
        default=86400,
        ge=0,
        description="Seconds a registry answer is used as it is; an older one is still used "
        "and refreshed in the background (0: refreshed at every search).",
    )


def _fetch_scheme(scheme: str) -> str:
    """A scheme an admin may add to what ESAP fetches: one fsspec knows, never http(s) or file."""
    if scheme in ("http", "https"):
        raise ValueError(f"{FETCH_SCHEME}:always")
    if scheme == "file":
        raise ValueError(f"{FETCH_SCHEME}:file")
    from fsspec.registry import known_implementations

    if scheme not in known_implementations:
        raise ValueError(f"{FETCH_SCHEME}:unknown")
    return scheme


class FetchSection(_Model):
    """What ESAP fetches on a user's behalf (basket downloads): URL schemes beyond http(s).

    A basket item's URL comes from an archive row, an import file or a desktop
    tool, so what the user server will fetch is the admin's choice, not the
    item's: http and https always, ``file:`` only inside the user's own home,
    and the schemes listed here through fsspec's file systems.
    """

    schemes: list[Annotated[str, AfterValidator(_fetch_scheme)]] = Field(
        default_factory=list,
        description="URL schemes fetched besides http and https, through fsspec, e.g. [ftp]. "
        "Each needs its fsspec file system where user servers run (ftp is built in; s3 needs "
        "s3fs, gcs gcsfs). file: URLs are fetched only inside the user's own home, always.",
    )


def _group_name(value: str) -> str:
    """A hub group's name as JupyterHub and the identity provider write it: no blanks."""
    if not value or value != value.strip() or any(ch.isspace() for ch in value):
        raise ValueError(f"{GROUP_NAME}:{value}")
    return value


#: The name of a hub group: IAM's (``escape``, ``escape/admins``) or a WLCG path (``/escape``).
GroupName = Annotated[str, Field(max_length=255), AfterValidator(_group_name)]


class ProjectEntry(_Model):
    """A project folder a group works in: who reads it, who writes it, how large it may grow.

    Every member finds it as ``~/projects/<name>``. Local mode keeps it below
    ``hub.data_dir`` (``projects/<name>``) and links it into each member's
    home at spawn; the Helm chart gives it a volume of its own, mounted
    read-only for the read groups' members.
    """

    name: Annotated[
        str,
        Field(
            pattern=NAME_PATTERN,
            description="Short id: the folder's name (~/projects/<name>), unique in the list.",
        ),
    ]
    title: str | None = Field(default=None, description="Name shown in the lab; defaults to name.")
    description: str = Field(default="", description="One line shown in the lab.")
    read_groups: list[GroupName] = Field(
        default_factory=list,
        description="Hub groups whose members may read the folder and open its shared basket.",
    )
    write_groups: list[GroupName] = Field(
        default_factory=list,
        description="Hub groups whose members may also write it (and publish baskets to it); "
        "a member of both kinds of group writes.",
    )
    size: Memory | None = Field(
        default=None,
        description="How large the folder may grow, e.g. 500G: on Kubernetes the size of its "
        "volume (held where the storage class enforces sizes); locally a hint the lab shows.",
    )

    @model_validator(mode="after")
    def _has_members(self) -> ProjectEntry:
        """A project no group may read is a folder nobody would ever see."""
        if not self.read_groups and not self.write_groups:
            raise ValueError(PROJECT_NO_GROUPS)
        return self


class SharingSection(_Model):
    """Sharing a running lab with a colleague, through JupyterHub's own shares.

    A share names a user or a group, read-only or full, and ends at a set
    time: a hub service (``esap-sharing``) revokes it then. JupyterHub itself
    keeps the shares and checks them on every request.
    """

    enabled: bool = Field(
        default=False,
        description="Let users share their running lab (the lab's Share dialog and Shared "
        "view); every user may then read the names of users and groups, which sharing by "
        "name needs.",
    )
    max_hours: float = Field(
        default=168,
        gt=0,
        le=87600,
        description="The longest a share may last, in hours; a share made outside the lab "
        "(JupyterHub's own API, an accepted link) ends this long after it was made.",
    )
    check_every: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="Seconds between two looks of the esap-sharing service for shares whose "
        "time is up; a share ends at most this much after its time.",
    )
    realtime: bool = Field(
        default=False,
        description="Real-time collaboration (jupyter-collaboration): people in one shared lab "
        "edit the same notebook together. Needs the jupyter-collaboration package where user "
        "servers run; off, an installed jupyter-collaboration is kept disabled.",
    )


#: The checks a probe round can run besides spawning the bot's lab (always done).
ProbeCheck = Literal["data", "software", "basket", "publish", "dask"]
PROBE_CHECKS: tuple[ProbeCheck, ...] = ("data", "software", "basket", "publish", "dask")


class ProbeTimeouts(_Model):
    """Seconds each check of a probe round may take before it counts as failed."""

    spawn: float = Field(default=120, gt=0, description="Spawning the bot's lab until ready.")
    data: float = Field(default=60, gt=0, description="One search of one data service.")
    software: float = Field(default=30, gt=0, description="One search of one software catalogue.")
    basket: float = Field(default=15, gt=0, description="The basket round trip.")
    publish: float = Field(default=120, gt=0, description="One publication to the local archive.")
    dask: float = Field(default=180, gt=0, description="Starting and stopping one Dask cluster.")
    notebooks: float = Field(default=600, gt=0, description="Running one tutorial notebook.")
    cleanup: float = Field(
        default=60, gt=0, description="Stopping the bot's lab and removing its account."
    )


class ProbeSearch(_Model):
    """Where the probe's searches look: a small cone every data service can answer."""

    ra: float = Field(default=10.6847, ge=0, lt=360, description="Right ascension (ICRS deg).")
    dec: float = Field(default=41.269, ge=-90, le=90, description="Declination (ICRS degrees).")
    radius: float = Field(default=0.1, gt=0, le=10, description="Radius in degrees.")
    maxrec: int = Field(default=10, ge=1, le=10000, description="Rows asked of each service.")


class ProbeSection(_Model):
    """Synthetic monitoring: a bot account uses the hub as a scientist does, on a schedule.

    The bot spawns its lab, searches every enabled data service and software
    catalogue, fills and empties its basket, publishes to the local archive
    and starts a Dask cluster; each result goes to Prometheus, and its
    account, server and files are removed after every round.
    """

    enabled: bool = Field(
        default=False,
        description="Run the esap-probe hub service: a probe round every `interval` seconds, "
        "its results at /services/esap-probe/metrics.",
    )
    interval: int = Field(
        default=300, ge=10, description="Seconds between the starts of two probe rounds."
    )
    user: Annotated[str, Field(pattern=NAME_PATTERN)] = Field(
        default="esap-probe-bot",
        description="The bot's hub account: created for each round, removed after it (any "
        "name but esap-probe, the service's own, which the hub would not let it remove).",
    )
    checks: list[ProbeCheck] = Field(
        default_factory=lambda: list(PROBE_CHECKS),
        description="Checks run after the spawn: data (one search per enabled data service), "
        "software (one per enabled catalogue), basket (add, read, remove), publish (to the "
        "first local archive), dask (start and stop a cluster, when dask.enabled).",
    )
    notebooks: bool = Field(
        default=False, description="Also run every shipped tutorial notebook headless."
    )
    timeouts: ProbeTimeouts = Field(
        default_factory=ProbeTimeouts, description="Seconds each check may take."
    )
    search: ProbeSearch = Field(
        default_factory=ProbeSearch, description="The cone the data searches ask for."
    )
    token: SecretRef | None = Field(
        default=None,
        description="The esap-probe service's hub API token, by reference (env:NAME or "
        "file:/path), registered even while enabled is false, so that `esap probe --once` "
        "can use it; without it the hub makes one for the service at each start.",
    )

    @field_validator("user")
    @classmethod
    def _not_the_service(cls, user: str) -> str:
        """The hub would refuse the service removing a user of its own name."""
        if user == "esap-probe":
            raise ValueError("esap-probe is the probe service's own name; call the bot otherwise")
        return user


class EsapConfig(_Model):
    """The admin config of an ESAP Hub (``esap.yaml``), for the local hub and the Helm chart.

    Every section is optional: an empty file is a working local hub.
    """

    _adapter_warnings: list[Any] = PrivateAttr(default_factory=list)

    @property
    def adapter_warnings(self) -> list[Any]:
        """Adapters the hub could not load, read with ``lenient_adapters`` (hub start).

        Each is a ``Problem`` the hub logs; their entries reach the lab marked broken.
        """
        return self._adapter_warnings

    # A field description equal to its model's docstring is dropped from the JSON
    # Schema by pydantic, so these say a little more than the section docstrings.
    hub: HubSection = Field(
        default_factory=HubSection,
        description="How the hub runs: title, mode, ports, data directory, admins.",
    )
    auth: AuthSection = Field(
        default_factory=AuthSection,
        description="How users log in: a shared password or an OpenID Connect provider.",
    )
    profiles: list[Profile] = Field(default_factory=list, description="Server choices at spawn.")
    data_services: list[DataServiceEntry] = Field(
        default_factory=list, description="Data services searched from the Data panel."
    )
    software_catalogues: list[SoftwareCatalogueEntry] = Field(
        default_factory=list, description="Software catalogues searched from the Software panel."
    )
    archives: list[ArchiveEntry] = Field(
        default_factory=list, description="Archives that publications go to."
    )
    dask: DaskSection = Field(
        default_factory=DaskSection,
        description="Bulk analysis on Dask Gateway: whether it runs, and per-user limits.",
    )
    workshop: WorkshopSection = Field(
        default_factory=WorkshopSection,
        description="Workshops: temporary accounts and the course material they get.",
    )
    resolver: ResolverSection = Field(
        default_factory=ResolverSection,
        description="Name resolution for data searches: Sesame, a fixed table, or your own.",
    )
    sky_view: SkyViewSection = Field(
        default_factory=SkyViewSection,
        description="Sky view of results: whether it shows, its background survey (HiPS).",
    )
    fetch: FetchSection = Field(
        default_factory=FetchSection,
        description="URL schemes ESAP fetches for users (basket downloads) beyond http(s).",
    )
    all_vo: AllVoSection = Field(
        default_factory=AllVoSection,
        description="All-VO search: the registry it asks, services at once, time-out, rows.",
    )
    probe: ProbeSection = Field(
        default_factory=ProbeSection,
        description="Synthetic monitoring: a bot that spawns, searches, publishes on a schedule.",
    )
    projects: list[ProjectEntry] = Field(
        default_factory=list,
        description="Project folders groups share (~/projects/<name>), read or written by group.",
    )
    sharing: SharingSection = Field(
        default_factory=SharingSection,
        description="Sharing a running lab with users or groups, read-only or full, for a time.",
    )

    @field_validator(
        "data_services", "software_catalogues", "archives", "profiles", "projects", mode="wrap"
    )
    @classmethod
    def _names_unique(cls, entries: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Names are ids (in the REST API, the basket, the journal): one entry per name.

        Checked on the raw entries, so a repeated name is reported together with
        any other error in the list rather than only once the list is valid.
        """
        seen: set[str] = set()
        repeated: str | None = None
        for entry in entries if isinstance(entries, list) else []:
            name = entry.get("name") if isinstance(entry, dict) else getattr(entry, "name", None)
            if isinstance(name, str) and name in seen and repeated is None:
                repeated = name
            if isinstance(name, str):
                seen.add(name)
        code = f"{DUPLICATE_NAME}:{repeated}"
        try:
            validated = handler(entries)
        except ValidationError as exc:
            if repeated is None:
                raise
            errors = [*exc.errors(), _value_error(code, entries)]
            raise ValidationError.from_exception_data(exc.title, errors) from None  # type: ignore[arg-type]
        if repeated is not None:
            raise ValueError(code)
        return validated
