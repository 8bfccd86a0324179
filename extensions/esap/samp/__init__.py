"""SAMP: tables to and from desktop tools (TOPCAT, Aladin, DS9) on the user's computer.

The browser speaks the SAMP Web Profile to the user's own hub; the server
side only serves tables behind short-lived capability links
(:mod:`esap.samp.links`, :mod:`esap.samp.tables`) and keeps tables a desktop
tool sent (:mod:`esap.samp.received`).
"""
