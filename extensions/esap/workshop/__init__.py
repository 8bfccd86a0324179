"""Workshops: a hub with temporary accounts, course material pulled into every home.

``esap workshop start`` creates the accounts (:mod:`esap.workshop.roster`),
runs the hub with :class:`~esap.workshop.auth.WorkshopAuthenticator` and the
material as every server's landing page (nbgitpuller, :mod:`esap.workshop.link`),
and a hub service (:mod:`esap.workshop.ender`) removes the accounts and their
servers when the event ends.

The hub composes a workshop (``esap.hub.compose`` applies
:mod:`esap.workshop.hub`, and the command, ``esap.hub.workshop_command``,
runs that hub); nothing here imports the hub.
"""
