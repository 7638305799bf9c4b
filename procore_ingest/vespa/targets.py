"""A Vespa target named by URL: `file://DIR` is feed files, `http(s)://` is Vespa's document API."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ..config import redact_url, setting
from ..errors import ConfigError
from .feedfile import FileSink
from .http import VespaAuth, VespaSink
from .sink import Sink


def open_sink(url: str, *, workers: int = 4, retry_budget_s: float = 120.0,
              auth: VespaAuth | None = None, content_cluster: str | None = None) -> Sink:
    """`file://DIR` gives a FileSink; http(s):// a VespaSink."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileSink(parts.path or parts.netloc)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"invalid Vespa URL {redact_url(url)!r}: expected http(s)://host:port or file://DIR")
    cluster = content_cluster or setting(None, "VESPA_CONTENT_CLUSTER", "content") or "content"
    return VespaSink(url, workers=workers, auth=auth or VespaAuth.from_env(), retry_budget_s=retry_budget_s,
                     content_cluster=cluster)


DEFAULT_PORTS = {"http": 80, "https": 443}


def target_identity(url: str) -> str:
    """What makes two Vespa URLs the same target, without credentials: `file://` + the absolute
    folder, or scheme://host:port/path (host lower-cased, the default port written out, no user,
    password, query or trailing slash). Two runs against one target get the same identity
    wherever they were started."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "file://" + os.path.realpath(parts.path or parts.netloc)
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"
