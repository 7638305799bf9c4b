"""TLS failures that trying again will not mend (`tls_refusal`), and a connection that only
handshakes and listens (`tls_probe`), to find out why a TLS connection failed."""

from __future__ import annotations

import asyncio
import contextlib
import ssl

from .endpoint import Endpoint, Lost

# TLS alerts a server sends when it will not take this client's certificate (or none)
_CLIENT_CERT_ALERTS = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate "
                                         "(set VESPA_CERT_PATH and VESPA_KEY_PATH)",
    "SSLV3_ALERT_BAD_CERTIFICATE": "the server refused the client certificate (bad certificate)",
    "TLSV1_ALERT_UNKNOWN_CA": "the server refused the client certificate (signed by a CA it "
                              "does not know)",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN": "the server refused the client certificate",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED": "the server refused the client certificate (expired)",
    "SSLV3_ALERT_CERTIFICATE_REVOKED": "the server refused the client certificate (revoked)",
    "TLSV1_ALERT_ACCESS_DENIED": "the server refused the client certificate (access denied)",
}


def tls_refusal(exc: BaseException) -> str | None:
    """A one-line reason when `exc` is a TLS failure that trying again will not mend (the
    server's certificate is not trusted, or the server refused this client's), else None."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or "certificate verify failed"
        return (f"the server's certificate is not trusted ({detail}); for a private CA, point "
                f"SSL_CERT_FILE and HTTPR_CA_BUNDLE at its PEM file")
    if isinstance(exc, ssl.SSLError):
        return _CLIENT_CERT_ALERTS.get(exc.reason or "")
    return None


async def tls_probe(ep: Endpoint, timeout: float) -> BaseException | None:
    """Open a TLS connection to `ep` that writes nothing, and listen for up to a second (a TLS
    1.3 server refuses a client certificate after the handshake); the failure seen, or None."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(ep.host, ep.port, ssl=ep.context(["h2", "http/1.1"])), timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), min(timeout, 1.0))
    except (Lost, OSError, asyncio.TimeoutError) as exc:
        return exc
    finally:
        if writer is not None:
            writer.close()
    return None
