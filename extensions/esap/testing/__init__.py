"""The adapter conformance suite: the checks every adapter, built-in or third-party, passes.

An adapter is only as good as its promises to the rest of ESAP Hub: the
admin's ``esap config check`` understands its entry, its options reach it
on the user's server, the engine's faces get its results, and whatever it
raises stays its own error. This package checks those promises through the
real engine, the way fsspec's ``tests/abstract`` checks a filesystem:
abstract pytest classes that a test module subclasses, supplying only
fixtures. (The REST handlers and the panels are thin faces over the same
engine functions, so they are not driven here.)

Each class checks, through the functions an admin's command, the hub and a
user server call (nothing re-implemented):

* the config: an ``esap.yaml`` holding the entry passes ``esap.config.load``
  and ``esap config check``; an unknown option is named
  ``<section>[0].options.<key>`` (or, for an adapter that declares no
  ``Options``, any mapping is accepted); a mistyped option is named by its
  key path;
* the public config (what the hub gives user servers) carries the entry, its
  options less hub-only ones, secrets as references only; and the adapter
  built as a user server builds it has exactly its validated options;
* the faces: ``esap.data.search`` and ``esap search`` find rows, and
  ``describe()`` lists exactly the abilities (typed protocols) implemented
  (:class:`DataServiceConformance`); ``esap.software.search`` finds records
  and ``esap.software.get`` opens a hit (:class:`SoftwareCatalogueConformance`);
  the publish engine publishes a notebook and a file into a record, and the
  same content again gives the same record (:class:`ArchiveConformance`);
* containment: an exception raised by the adapter (its main method, its
  constructor) is that adapter's error, while another adapter's results
  arrive, or, for an archive, a publication error naming it that a retry
  resumes.

How to use it, in the adapter package's tests (pytest collects the
``Test...`` subclasses; the classes here do not start with ``Test``, so
they are not collected on their own)::

    import pytest
    from esap.testing import ArchiveConformance, DataServiceConformance


    class TestLofarCollection(DataServiceConformance):
        @pytest.fixture
        def entry(self, archive_server):      # your own fixture: a server to talk to
            return {"name": "lofar", "type": "lofar-collection",
                    "url": archive_server.url, "options": {"collection": "LOFAR"}}

        @pytest.fixture
        def search_kwargs(self):             # a search that finds at least one row
            return {"ra": 10.68, "dec": 41.27, "radius": 0.5}


    class TestLabArchive(ArchiveConformance):
        @pytest.fixture
        def entry(self, tmp_path):
            return {"name": "lab", "type": "lab-archive", "path": str(tmp_path / "lab")}

Fixtures (methods of the subclass, as above, or module-level fixtures):

``entry`` (every kind)
    The adapter's entry exactly as written under its section of
    ``esap.yaml`` (name, type, url/path, options ...).
``config_extra`` (optional, every kind)
    Other top-level sections of ``esap.yaml`` (default ``{}``), e.g. a
    ``resolver`` for a search by target name.
``search_kwargs`` (data services, software catalogues)
    Keyword arguments of ``esap.data.search`` (``ra``, ``dec``, ``radius``,
    ``text``, ``params`` ...) or of ``esap.software.search`` (``text``,
    ``language``, ``licence``, ``runtime``, ``limit``) that find at least
    one row or record on the adapter's service.
``cli_args`` (optional, data services)
    Arguments of ``esap search`` that find rows, when ``search_kwargs``
    holds something the command line cannot say (``params``).
``token`` (optional, archives)
    A personal token the archive accepts (default ``None``); required for an
    adapter with ``needs_token = True``.

Each check runs in its own folder with its own state (``$ESAP_STATE_DIR``),
needs nothing but the adapter's server, and fails with a message that says
what to fix in the adapter. The suite imports pytest: import it from tests
only.
"""

from __future__ import annotations

from esap.testing.archive import ArchiveConformance
from esap.testing.data import DataServiceConformance
from esap.testing.software import SoftwareCatalogueConformance

__all__ = ["ArchiveConformance", "DataServiceConformance", "SoftwareCatalogueConformance"]
