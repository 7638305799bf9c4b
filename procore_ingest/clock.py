"""The one spelling of "now" in state files, caches and reports. A bottom module."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> str:
    """Now in UTC as ISO 8601 with microseconds and `Z`: `2026-12-07T19:04:54.123456Z`."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
