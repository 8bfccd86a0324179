"""What every capability shares, written once.

The user's state folder (``state``), SQLite with one transaction per change
(``db``), ids and the stores' clock (``ids``, ``clock``), the users' own
tokens (``tokens``), the one reader of the public config
(``public_config``), the one error model (``errors``) and the rules for
paths, URLs and text that come from users (``paths``, ``urls``, ``text``).

Capabilities (data, software, basket, bulk, publish, samp, workshop, hub)
and faces (REST, CLI, notebooks) import from here; nothing here imports a
capability or a face (``tests/test_layering.py`` checks it).
"""
