"""The contract's log format, written so that it coexists with tqdm progress bars."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(levelname)s: \t %(asctime)s \t %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

logger = logging.getLogger("procore_ingest")


class TqdmAwareHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes through tqdm.write so a log line never tears a progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=self.stream)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def setup_logging(level: str = "INFO", stream=None) -> logging.Logger:
    """Configure the package logger (stderr by default) with the contract's format."""
    handler = TqdmAwareHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, DATE_FORMAT))
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return logger
