"""Log lines on stderr, written so that they coexist with tqdm progress bars: the contract's
text format by default, or one JSON object a line (`LOG_FORMAT=json`) for log shippers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from .config import scrub

LOG_FORMAT = "%(levelname)s: \t %(asctime)s \t %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

logger = logging.getLogger("procore_ingest")

# What every LogRecord carries: anything else on a record came through `extra=` and is a field.
_RECORD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class TqdmAwareHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes through tqdm.write so a log line never tears a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


class TextFormatter(logging.Formatter):
    """The contract's `LEVEL: \\t time \\t message`, with URL passwords scrubbed."""

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT, DATE_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601 UTC), level, logger, message, then the record's
    `extra=` fields (e.g. a sync cycle's tables, changes, fed, removed, failed, pending,
    duration_s), and the exception's text if any. Strings are scrubbed like text lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in entry:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(_scrubbed(entry), ensure_ascii=False, default=str)


def _scrubbed(value: Any) -> Any:
    """`value` with every string in it (lists and dicts too) scrubbed."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    return value


def setup_logging(level: str = "INFO", stream=None, fmt: str = "text") -> logging.Logger:
    """Configure the package logger (stderr by default): `fmt` "text" (the contract's format)
    or "json" (one object a line)."""
    handler = TqdmAwareHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return logger
