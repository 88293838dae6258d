"""Run problems are exceptions; data problems are values (`sync.model.Problem`).

ElencoError
 ├── ConfigError      something a person must fix: configuration, sheet structure, credentials, sharing
 │    └── LockedError a file is open in LibreOffice/Excel: close it and run again
 └── TransientError   429, 5xx, timeouts: retried a bounded number of times, then reported
"""


class ElencoError(Exception):
    """Base of the errors the edges present to people (message in Italian)."""


class ConfigError(ElencoError):
    """A configuration or structure problem that a person must fix; the message says how."""


class LockedError(ConfigError):
    """A file the sync must write is open in another program."""


class TransientError(ElencoError):
    """A temporary failure of the storage (quota, server error, timeout); the next sync converges."""
