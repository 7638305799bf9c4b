"""A Vespa target named by URL: `file://DIR` is feed files, `http(s)://` is Vespa's document API."""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

from ..config import check_vespa_url, setting
from .feedfile import FileSink
from .http import VespaAuth, VespaSink
from .sink import Sink


def open_sink(url: str, *, workers: int = 4, retry_budget_s: float = 120.0,
              auth: VespaAuth | None = None, content_cluster: str | None = None) -> Sink:
    """`file://DIR` gives a FileSink; http(s):// a VespaSink."""
    parts = urlsplit(check_vespa_url(url))
    if parts.scheme == "file":
        return FileSink(parts.path or parts.netloc)
    cluster = content_cluster or setting(None, "VESPA_CONTENT_CLUSTER", "content") or "content"
    return VespaSink(url, workers=workers, auth=auth or VespaAuth.from_env(), retry_budget_s=retry_budget_s,
                     content_cluster=cluster)


DEFAULT_PORTS = {"http": 80, "https": 443}


def target_identity(url: str) -> str:
    """What makes two Vespa URLs the same target, without credentials: `file://` + the absolute
    folder, or scheme://host:port/path (host lower-cased, the default port written out, no user,
    password, query or trailing slash). Two runs against one target get the same identity
    wherever they were started.

    Every spelling of this machine's loopback (`localhost`, `127.0.0.1`, `[::1]`, a name that
    resolves only to loopback addresses) is one host, `loopback`; other IP literals are written
    in their canonical form. Two different DNS names of one remote cluster stay two targets:
    their addresses can be shared by unrelated services (a load balancer) or rotate, so they
    are not compared."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "file":
        return "file://" + os.path.realpath(parts.path or parts.netloc)
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    host = canonical_host((parts.hostname or "").lower().rstrip("."))
    host = f"[{host}]" if ":" in host else host  # an IPv6 literal, bracketed as in a URL
    return f"{scheme}://{host}:{port}{parts.path.rstrip('/')}"


def _is_local(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified  # 0.0.0.0 and :: reach this machine too


def canonical_host(host: str) -> str:
    """`loopback` for any name or address of this machine's loopback interface, an IP literal
    in canonical form, else the (lower-cased) name itself. A name is resolved once
    (`getaddrinfo`); a name that does not resolve is kept as written."""
    try:
        return "loopback" if _is_local(host) else str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host:
        return host
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError):
        return host
    return "loopback" if addresses and all(_is_local(str(a)) for a in addresses) else host
