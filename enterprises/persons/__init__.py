"""Persons attached to the register (issue #26): private persons a policy may pay, known by
their resident identity number and kept minimal and protected (docs/security.md)."""
