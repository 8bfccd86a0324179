"""Launch links for BinderHub, in the form BinderHub documents: ``v2/<provider>/<spec>?urlpath=``.

Configured per catalogue: ``software_catalogues[].options.binderhub_url``
(e.g. ``https://mybinder.org``) in ``esap.yaml``; a catalogue without it
offers no Binder link. Providers follow BinderHub's repo providers:
``gh/<org>/<repo>/<ref>`` (GitHub), ``gl/<url-escaped path>/<ref>``
(GitLab), ``zenodo/<DOI>`` and ``git/<url-escaped URL>/<ref>`` for any
other git repository.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import quote, urlsplit

from esap.core.errors import EsapError
from esap.software.base import SoftwareRecord


class BinderError(EsapError, ValueError):
    """No Binder link can be made for this record; the message says why."""

    code = "no_binder_link"


def _local(host: str | None) -> bool:
    """Whether ``host`` is this machine or a private network a remote BinderHub cannot reach."""
    if not host or host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def spec(repository: str | None, ref: str | None, doi: str | None = None) -> str:
    """The ``<provider>/<spec>`` part of a BinderHub launch URL."""
    ref = ref or "HEAD"
    parts = urlsplit(repository or "")
    if repository and parts.scheme in ("http", "https", "git") and _local(parts.hostname):
        if not doi:
            raise BinderError(
                f"the repository {repository} is on this machine or a private network, which "
                "a BinderHub elsewhere cannot reach — publish it on a public forge"
            )
        repository = None  # the DOI's archived copy is reachable
    if repository:
        path = parts.path.strip("/").removesuffix(".git")
        if parts.netloc == "github.com" and path.count("/") == 1:
            return f"gh/{path}/{quote(ref, safe='')}"
        if parts.netloc == "gitlab.com" and path:
            return f"gl/{quote(path, safe='')}/{quote(ref, safe='')}"
        if parts.scheme in ("http", "https", "git"):
            return f"git/{quote(repository, safe='')}/{quote(ref, safe='')}"
    if doi:
        return f"zenodo/{doi.removeprefix('https://doi.org/')}"
    raise BinderError(
        "the record names no git repository (codeRepository) or DOI that BinderHub can build"
    )


def launch_url(binderhub_url: str, record: SoftwareRecord, urlpath: str = "lab") -> str:
    """``<binderhub>/v2/<provider>/<spec>?urlpath=<urlpath>`` for a record."""
    base = binderhub_url.rstrip("/")
    provider_spec = spec(record.repository, record.ref, record.doi)
    return f"{base}/v2/{provider_spec}?urlpath={quote(urlpath, safe='/')}"


__all__ = ["BinderError", "launch_url", "spec"]
