"""The exception hierarchy.

Three families, kept apart because they are answered differently at the edges:
caller mistakes (HTTP 4xx, CLI message), model misbehaviour (fall back, count it),
and our own configuration or data problems (fail loudly at start-up).
"""

from __future__ import annotations


class RondetafelError(Exception):
    """Base for every error Rondetafel raises on purpose."""


class CallerError(RondetafelError):
    """The caller asked for something wrong; the message says what."""

    status_code = 400


class NotFound(CallerError):
    """The thing does not exist, or the caller may not know it exists."""

    status_code = 404


class Unauthenticated(CallerError):
    status_code = 401


class Forbidden(CallerError):
    status_code = 403


class Conflict(CallerError):
    status_code = 409


class InvalidInput(CallerError):
    """Well-formed request whose content cannot be accepted."""

    status_code = 422


class PayloadTooLarge(CallerError):
    status_code = 413


class UnsupportedMediaType(CallerError):
    status_code = 415


class ModelError(RondetafelError):
    """A model endpoint misbehaved: timeout, bad status, invalid or ungrounded output."""


class ConfigurationError(RondetafelError):
    """Our own files or settings are wrong (missing prompt, bad schema version, ...)."""


class SchemaVersionError(ConfigurationError):
    """The data directory was written by a version we cannot read safely."""
