"""Structured logs: one JSON object per line, which Cloud Logging reads as `severity` and `message`.

Log calls pass their figures as `extra={"fields": {...}}`. What goes there is chosen at each call site:
response ids, verdicts, codes, counts and durations — never emails, names, answers, tax codes, secrets or
tokens.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

LOGGER = "elenco"
_LINE = json.JSONEncoder(ensure_ascii=False, default=str)  # made once, not for every line as json.dumps(…, default=)


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as JSON: time, severity, logger, message and the record's `fields`."""
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "severity": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            data.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            err = record.exc_info[1]
            # the exception's type and frames only: its message may quote the data that caused it
            data["error"] = type(err).__name__
            data["frames"] = traceback.format_tb(err.__traceback__)
        return _LINE.encode(data)


def configure_logging(level: int = logging.INFO) -> None:
    """Send the `elenco` loggers to stderr as JSON lines, unless logging is already configured."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    # under pytest (caplog) or an embedding program, whoever configured the root logger decides
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)


def log_fields(logger: logging.Logger, level: int, message: str, fields: dict[str, Any]) -> None:
    """`logger.log(level, message, extra={"fields": fields})` without looking up the caller's file and line.

    The JSON lines carry neither; on the request path the stack walk cost as much as formatting the line.
    """
    if logger.isEnabledFor(level):
        logger.handle(logger.makeRecord(logger.name, level, "(webhook)", 0, message, (), None,
                                        extra={"fields": fields}))
