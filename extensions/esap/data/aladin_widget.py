"""The notebook sky view's widget: ipyaladin, with Aladin Lite loaded from the user's own lab.

ipyaladin's front end is an anywidget ES module whose only import is Aladin
Lite from a CDN (``import C from "https://esm.sh/aladin-lite@..."``): on a hub
with no way out, common at institutes, the widget shows nothing. The lab
extension's build ships Aladin Lite's ES module (npm ``aladin-lite``, the copy
the Data panel's sky view bundles, its WebAssembly inlined) unmodified at
``<lab extensions URL>/esap-hub/static/aladin-lite/aladin.js``, versioned with
the lab. :class:`EsapAladin` is ipyaladin's widget with its front end
rewritten at import to ``await import()`` that file instead.

The rewrite is of ipyaladin's own ``static/widget.js`` read from the installed
package, so ipyaladin's fixes arrive with it; the one import line is matched
exactly, and if an ipyaladin upgrade changes it, importing this module fails
with the ipyaladin version and what to do, rather than silently bringing the
CDN back. anywidget evaluates the module from a blob URL, where a relative
URL has no base: the served file's absolute URL is computed in the browser
from the page's ``jupyter-config-data`` (JupyterLab and Notebook 7 both write
it). Writing a widget front end of our own was considered and rejected:
ipyaladin's already speaks the Python API users know.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ipyaladin
from ipyaladin import Aladin
from ipyaladin.utils.call_store import CallStore

from esap.core.errors import EsapError

#: Where the lab extension's build puts Aladin Lite, under the lab's extensions URL.
SERVED_PATH = "esap-hub/static/aladin-lite/aladin.js"
#: The supported ipyaladin range, as pyproject.toml pins it.
SUPPORTED = "ipyaladin>=0.8.1,<0.9"

_CDN_IMPORT = re.compile(
    r'import\s*(?P<name>[A-Za-z_$][\w$]*)\s*from\s*"https://esm\.sh/aladin-lite@[^"]*"\s*;?'
)
#: Any import of an absolute URL left after the rewrite (another CDN).
_REMOTE_IMPORT = re.compile(r"""(\bimport\b|\bfrom\b)\s*\(?\s*["']https?://""")

_LOADER = """
const __esapAladinLiteUrl = (() => {{
  const node = document.getElementById('jupyter-config-data');
  if (!node) {{
    throw new Error(
      'ESAP sky view: this page has no jupyter-config-data, so the lab that serves ' +
        'Aladin Lite is unknown; open the notebook in JupyterLab or Notebook 7 on the hub'
    );
  }}
  const config = JSON.parse(node.textContent);
  const base = config.fullLabextensionsUrl || (config.baseUrl || '/') + 'lab/extensions';
  return new URL(base.replace(/\\/?$/, '/') + {path!r}, window.location.href).href;
}})();
const __esapAladinLite = (await import(__esapAladinLiteUrl)).default;
// ipyaladin's render asks the view's WCS at once, which reads the base layer:
// for a survey given by URL that layer is there only once its properties have
// loaded, and the render failed before telling the kernel it was loaded (so no
// overlay was ever drawn). Until then the WCS is unknown ({{}}, which ipyaladin
// reads as "not ready"); its stackChanged handler sends the WCS once the layer is in.
const {name} = Object.create(__esapAladinLite, {{
  aladin: {{
    // ipyaladin calls it with `new`: a function, not an arrow, returning the view
    value: function (div, options) {{
      const view = __esapAladinLite.aladin(div, options);
      const viewWCS = view.getViewWCS.bind(view);
      view.getViewWCS = () => (view.getBaseImageLayer() ? viewWCS() : {{}});
      return view;
    }}
  }}
}});
"""


class SkyWidgetError(EsapError, RuntimeError):
    """ipyaladin's front end is not the one this module knows how to rewrite."""

    status = 500
    code = "sky_widget_mismatch"


def offline_esm(source: str, version: str, where: str = "static/widget.js") -> str:
    """ipyaladin's front end ``source`` with its CDN import replaced by the lab's copy.

    Raises :class:`SkyWidgetError` naming ``version`` when the import line is
    not there exactly once, or when another remote import remains.
    """
    found = list(_CDN_IMPORT.finditer(source))
    fix = (
        f"install the supported range (pip install '{SUPPORTED}'), or teach "
        "esap.data.aladin_widget the new front end"
    )
    if len(found) != 1:
        raise SkyWidgetError(
            f"ipyaladin {version}: its front end ({where}) has {len(found)} imports of "
            "Aladin Lite from https://esm.sh/aladin-lite@..., where ESAP Hub expects exactly "
            f"one to load it from the lab instead; {fix}"
        )
    match = found[0]
    loader = _LOADER.format(path=SERVED_PATH, name=match.group("name"))
    rewritten = source[: match.start()] + loader + source[match.end() :]
    remote = _REMOTE_IMPORT.search(rewritten)
    if remote is not None:
        line = rewritten[remote.start() : remote.start() + 80].splitlines()[0]
        raise SkyWidgetError(
            f"ipyaladin {version}: its front end ({where}) still imports from the internet "
            f"after the rewrite ({line!r}); {fix}"
        )
    return rewritten


def _ipyaladin_esm() -> str:
    path = Path(ipyaladin.__file__).parent / "static" / "widget.js"
    version = str(getattr(ipyaladin, "__version__", "unknown"))
    if not path.is_file():
        raise SkyWidgetError(
            f"ipyaladin {version}: its front end {path} is missing; "
            f"reinstall it (pip install --force-reinstall '{SUPPORTED}')"
        )
    return offline_esm(path.read_text(encoding="utf-8"), version, str(path))


class EsapAladin(Aladin):  # type: ignore[misc]  # ipyaladin ships no type hints
    """ipyaladin's ``Aladin``, loading Aladin Lite from the lab rather than a CDN.

    Its front end also waits for the base survey before reading the view's WCS
    (see the loader above), so overlays added before the view shows are drawn.

    Aladin Lite's start-up usage log to CDS (it sends the page's URL, which
    names the user) is off unless ``log=True`` is given.
    """

    _esm = _ipyaladin_esm()

    def __init__(self, **init_options: Any) -> None:
        init_options.setdefault("log", False)
        # ipyaladin keeps the calls made before the view has loaded in one store
        # on the class, replayed (never emptied) whenever any widget loads: each
        # widget gets its own, so one's overlays are not sent again with another's
        self._call_store = CallStore()
        super().__init__(**init_options)


__all__ = ["SERVED_PATH", "SUPPORTED", "EsapAladin", "SkyWidgetError", "offline_esm"]
