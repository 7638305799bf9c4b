"""Where the feeder connects, made from the Vespa URL once: host, port, TLS contexts (with the
client certificate) and the headers every request carries. And `Lost`: why a request had no
answer, raised by every connection type."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from ...config import scrub
from ...errors import VespaConnectionError

USER_AGENT = "procore-ingest-feeder/1"


class Lost(Exception):
    """The connection went away before this request was answered. `refused`: the server or
    this client refused the TLS connection for a reason no retry mends (see `tls_refusal`)."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


@dataclass
class Endpoint:
    host: str
    port: int
    tls: bool
    cert: tuple[str, str | None] | None  # mTLS: certificate file and key file
    headers: list[tuple[str, str]]  # sent with every request (authority, auth, agent)
    description: str = ""  # scheme://host[:port], for messages

    def __post_init__(self) -> None:
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}

    @classmethod
    def from_url(cls, url: str, *, cert_path: str | None = None, key_path: str | None = None,
                 token: str | None = None) -> Endpoint:
        """The endpoint of `url` (http:// or https://); VespaConnectionError when the URL has a
        user name or password in it (neither is shown)."""
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname or "localhost"
        authority = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        if parts.port:
            authority += f":{parts.port}"
        if parts.username is not None or parts.password is not None:
            # refused as Vespa not reachable with this URL (ingest exit 2, as the contract has it);
            # neither part is echoed: a token is often pasted as the user name
            raise VespaConnectionError(f"the Vespa URL {parts.scheme}://***@{authority} has a user name or "
                                       "password in it, which is never sent: use VESPA_TOKEN or "
                                       "VESPA_CERT_PATH/VESPA_KEY_PATH and a URL without them")
        headers = [(":authority", authority), ("user-agent", USER_AGENT)]
        if token:
            headers.append(("authorization", f"Bearer {token}"))
        return cls(host, port, parts.scheme == "https", (cert_path, key_path) if cert_path else None,
                   headers, f"{parts.scheme}://{authority}")

    def context(self, alpn: list[str]) -> ssl.SSLContext | None:
        """A TLS context offering `alpn`, with the client certificate; None for cleartext. The
        trusted roots are OpenSSL's defaults (SSL_CERT_FILE / SSL_CERT_DIR point elsewhere).
        Made once per ALPN list: a context loads the whole CA bundle."""
        if not self.tls:
            return None
        context = self._contexts.get(tuple(alpn))
        if context is None:
            context = ssl.create_default_context()
            if self.cert is not None:
                try:
                    context.load_cert_chain(*self.cert)
                except OSError as exc:  # ssl.SSLError too: not a certificate, or not its key
                    detail = exc.strerror or str(exc).splitlines()[0] or type(exc).__name__
                    # the paths stay out of the message: a key path misused for the key itself
                    # would show the key (VespaAuth.check_paths refuses such values first)
                    detail = scrub(detail, *self.cert)
                    raise Lost(f"cannot load the client certificate (VESPA_CERT_PATH / VESPA_KEY_PATH): "
                               f"{detail}", refused=True) from None
            context.set_alpn_protocols(alpn)
            self._contexts[tuple(alpn)] = context
        return context
