"""Errors of the configuration and campaign stores that a user can fix (all ConfigErrors)."""

from __future__ import annotations

from cti.domain.config import ConfigError


class ConfigNotFound(ConfigError):
    """The queue, agent, reason or token named does not exist."""


class ConfigConflict(ConfigError):
    """The change is refused because something still refers to what it would remove."""


class InvalidPin(ConfigError):
    """A PIN that is not 4 to 12 digits."""


class InvalidPassword(ConfigError):
    """A supervisor's password that breaks credentials rule 1."""


class CampaignNotFound(ConfigNotFound):
    """The campaign named does not exist."""


class CampaignRefused(ConfigConflict):
    """The campaign's status does not allow it: a status change it may not make, starting
    it without contacts, or changing a finished campaign."""
