"""What every capability shares, written once: the rules for paths and URLs from users.

Capabilities (data, basket, software, publish, bulk) and faces (REST, CLI,
notebooks) import from here; nothing here imports a capability.
"""
