"""Settings: command-line flag > environment > `.env` file in the working directory.

Also the one place that knows how to hide credentials in a URL (`redact_url`), so that no log
line, report, state file or exception message ever carries a password.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ConfigError, VespaConnectionError

DEFAULT_VESPA_URL = "http://localhost:8080"
DEFAULT_STATE_DIR = ".procore_ingest"
NAIVE_TIMEZONE_ENV = "PROCORE_NAIVE_TIMEZONE"
MAX_PENDING_ENV = "PROCORE_MAX_PENDING"
DEFAULT_MAX_PENDING = 10_000  # pending operations kept one by one per table (state.TableSyncState)
# rows the content check of a table with key ranges compares per cycle (source.changes.check_slices)
DEFAULT_CHECK_ROWS = 10_000

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
    """The Vespa endpoint from --vespa-url, VESPA_LOCAL_URL, or http://localhost:8080;
    VespaConnectionError (the scripts' Vespa exit code) when it is not a usable URL, so a
    bad URL is refused before a run starts."""
    return check_vespa_url(setting(flag_value, "VESPA_LOCAL_URL", DEFAULT_VESPA_URL) or DEFAULT_VESPA_URL)


def check_vespa_url(url: str) -> str:
    """`url` if it is `http(s)://host[:port]...` or `file://DIR`, else VespaConnectionError
    naming the URL without credentials."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme == "file" and bool(parts.path or parts.netloc) or (
            parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0)
    except ValueError:  # `http://[::1`, a port that is not a number or out of range
        ok = False
    if not ok:
        raise VespaConnectionError(
            f"invalid Vespa URL {redact_url(url)!r}: expected http(s)://host:port or file://DIR")
    return url


def log_level(flag_verbose: bool = False) -> str:
    """LOG_LEVEL from the environment (default INFO); --verbose forces DEBUG."""
    if flag_verbose:
        return "DEBUG"
    level = (setting(None, "LOG_LEVEL", "INFO") or "INFO").upper()
    return level if level in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} else "INFO"


_SECRET_QUERY_KEYS = re.compile(r"pass|secret|token|key|sig|credential|auth", re.I)
# libpq's password keywords (password, sslpassword) in key=value form. A value is a quoted
# string (backslash escapes, possibly unterminated) or a run of non-blanks, plus any following
# words without "=": libpq rejects `password=hunter2 secret`, but "secret" is still the
# user's password and must not be echoed.
_DSN_PASSWORD = re.compile(
    r"(password\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|\S+(?:\s+[^\s=']+(?=\s|$))*)", re.I
)


def _redact_dsn(text: str) -> str:
    return _DSN_PASSWORD.sub(r"\1***", text)


def redact_url(url: str) -> str:
    """`url` with any password, and secret-looking query values, replaced by `***`.

    Works for postgresql:// and http(s):// URLs and for libpq key=value strings. The user
    information of a URL ends at its LAST `@`, not where `urlsplit` would end the authority
    (at `#`, `?` or `/`): libpq accepts `postgresql://u:Zq#9pw@host/db`, whose password is
    `Zq#9pw`. Taking the last `@` may hide more than the password (never less).
    """
    if "://" not in url:
        return _redact_dsn(url)
    scheme, rest = url.split("://", 1)
    userinfo, at, hostinfo = rest.rpartition("@")
    if at:
        user = userinfo.split(":", 1)[0]
        if scheme.lower() in ("http", "https"):  # no database role here: a user name may be a token
            credentials = "***@"
        else:
            credentials = f"{user}:***@" if ":" in userinfo else f"{user}@"
    else:
        credentials = ""
    try:
        parts = urlsplit(f"{scheme}://{hostinfo}")
    except ValueError:
        return "<unparseable URL>"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, "***" if _SECRET_QUERY_KEYS.search(k) else v) for k, v in pairs], safe="/*"
        )
    netloc = credentials + parts.netloc
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, *secrets: str | None) -> str:
    """`text` with every URL-embedded password and each given secret replaced by `***`."""
    # up to the last `@` of the URL (see redact_url): a password may hold `#`, `?` or `@`
    text = re.sub(r"(://[^:/@\s]+:)\S*@", r"\1***@", text)
    text = _redact_dsn(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text



def check_timezone(name: str) -> str:
    """`name` when it is a time zone (IANA name, e.g. UTC, America/New_York), else ConfigError:
    the zone in which the mirror writes `timestamp without time zone` values ($PROCORE_NAIVE_
    TIMEZONE, `naive_timezone`). Used for the epoch-millisecond fields of documents (created_at,
    updated_at) and for the clock that caps naive change columns' watermarks; metadata shows
    the values as written, whatever the zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{NAIVE_TIMEZONE_ENV}: {name!r} is not a time zone name (e.g. UTC, America/New_York)") from None
    return name
