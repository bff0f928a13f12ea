"""Errors of the configuration store that a user can fix (all are ConfigErrors)."""

from __future__ import annotations

from cti.domain.config import ConfigError


class ConfigNotFound(ConfigError):
    """The queue, agent, reason or token named does not exist."""


class ConfigConflict(ConfigError):
    """The change is refused because something still refers to what it would remove."""


class InvalidPin(ConfigError):
    """A PIN that is not 4 to 12 digits."""
