"""Settings: command-line flag > environment > `.env` file in the working directory.

Also the one place that knows how to hide credentials in a URL (`redact_url`), so that no log
line, report, state file or exception message ever carries a password.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError

DEFAULT_VESPA_URL = "http://localhost:8080"
DEFAULT_STATE_DIR = ".procore_ingest"
NAIVE_TIMEZONE_ENV = "PROCORE_NAIVE_TIMEZONE"
MAX_PENDING_ENV = "PROCORE_MAX_PENDING"
DEFAULT_MAX_PENDING = 10_000  # pending operations kept one by one per table (state.TableSyncState)

_dotenv_loaded = False


def load_env_file(path: str | os.PathLike[str] | None = None) -> None:
    """Load `.env` from the working directory once; real environment variables win."""
    global _dotenv_loaded
    if _dotenv_loaded and path is None:
        return
    from dotenv import load_dotenv

    load_dotenv(dotenv_path=path or Path.cwd() / ".env", override=False)
    _dotenv_loaded = True


def setting(flag_value: str | None, env_name: str, default: str | None = None) -> str | None:
    """Resolve one setting: the flag if given, else the environment (after `.env`), else default."""
    if flag_value not in (None, ""):
        return flag_value
    load_env_file()
    value = os.environ.get(env_name)
    return value if value not in (None, "") else default


def database_url(flag_value: str | None = None) -> str:
    """The PostgreSQL URL from --database-url or PROCORE_DATABASE_URL; ConfigError if neither."""
    url = setting(flag_value, "PROCORE_DATABASE_URL")
    if not url:
        raise ConfigError(
            "no database URL: pass --database-url or set PROCORE_DATABASE_URL (see .env.example)"
        )
    return url


def vespa_url(flag_value: str | None = None) -> str:
    """The Vespa endpoint from --vespa-url, VESPA_LOCAL_URL, or http://localhost:8080."""
    return setting(flag_value, "VESPA_LOCAL_URL", DEFAULT_VESPA_URL) or DEFAULT_VESPA_URL


def log_level(flag_verbose: bool = False) -> str:
    """LOG_LEVEL from the environment (default INFO); --verbose forces DEBUG."""
    if flag_verbose:
        return "DEBUG"
    level = (setting(None, "LOG_LEVEL", "INFO") or "INFO").upper()
    return level if level in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} else "INFO"


_SECRET_QUERY_KEYS = re.compile(r"pass|secret|token|key|sig|credential|auth", re.I)


def redact_url(url: str) -> str:
    """`url` with any password, and secret-looking query values, replaced by `***`.

    Works for postgresql:// and http(s):// URLs and for libpq key=value strings.
    """
    if "://" not in url:
        # libpq keyword/value form: password=... anywhere in the string.
        return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", url, flags=re.I)
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, hostinfo = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        if parts.scheme in ("http", "https"):  # no database role here: a user name may be a token
            netloc = f"***@{hostinfo}"
        else:
            netloc = f"{user}:***@{hostinfo}" if ":" in userinfo else f"{user}@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SECRET_QUERY_KEYS.search(k) else v) for k, v in pairs], safe="/*"
        )
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, *secrets: str | None) -> str:
    """`text` with every URL-embedded password and each given secret replaced by `***`."""
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.I)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def max_pending() -> int:
    """$PROCORE_MAX_PENDING (default 10,000): past this many unacknowledged operations in one
    table, the table is marked for a full reload instead of keeping each in the state."""
    value = setting(None, MAX_PENDING_ENV, str(DEFAULT_MAX_PENDING)) or ""
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"{MAX_PENDING_ENV} must be a whole number of at least 1, not {value!r}")
    return int(value)


def naive_timezone() -> str:
    """$PROCORE_NAIVE_TIMEZONE (an IANA zone name, default UTC): the zone in which the mirror
    writes `timestamp without time zone` values. Used for the epoch-millisecond fields of
    documents (created_at, updated_at) and for the clock that caps naive change columns'
    watermarks; rendered metadata shows the values as written, whatever the setting."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = setting(None, NAIVE_TIMEZONE_ENV, "UTC") or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{NAIVE_TIMEZONE_ENV}={name!r} is not a time zone name (e.g. UTC, America/New_York)") from None
    return name
