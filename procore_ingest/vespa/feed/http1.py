"""One HTTP/1.1 keep-alive connection to Vespa, for servers that will not speak HTTP/2: one
request at a time, framed and parsed by h11 (chunked answers, keep-alive or close as the
server says)."""

from __future__ import annotations

import asyncio

import h11

from .endpoint import Endpoint, Lost
from .tls import tls_refusal


class H1Connection:
    """One HTTP/1.1 keep-alive connection: one request at a time."""

    protocol = "http/1.1"
    capacity = 1

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.closed = False
        self.active = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._h11 = h11.Connection(h11.CLIENT)
        # the endpoint's headers in HTTP/1.1 terms: HTTP/2's :authority is the Host header
        self._headers = [("host" if name == ":authority" else name, value)
                         for name, value in endpoint.headers]

    async def open(self, timeout: float) -> bool:
        ep = self.endpoint
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(ep.host, ep.port, ssl=ep.context(["http/1.1"]), limit=1 << 20),
            timeout)
        return True

    async def request(self, method: str, path: str, headers: list[tuple[str, str]],
                      body: bytes | None) -> tuple[int, bytes]:
        if self.closed or self._reader is None or self._writer is None:
            raise Lost("connection closed")
        conn = self._h11
        body = body or b""
        try:
            out = conn.send(h11.Request(method=method, target=path, headers=[
                *self._headers, *headers, ("content-length", str(len(body)))])) or b""
            if body:
                out += conn.send(h11.Data(data=body)) or b""
            out += conn.send(h11.EndOfMessage()) or b""
            self._writer.write(out)
            status, parts = 0, []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await self._reader.read(1 << 16)
                    if not data and not status:  # closed before answering (an idle keep-alive)
                        raise Lost("connection closed")
                    conn.receive_data(data)
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    parts.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    raise Lost("connection closed")
                # else an informational answer (100 Continue): the final one follows
            if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                conn.start_next_cycle()  # keep-alive: the next request reuses the connection
            else:
                self.close()  # the server said "connection: close" (or spoke HTTP/1.0)
            return status, b"".join(parts)
        except (OSError, h11.ProtocolError, asyncio.IncompleteReadError) as exc:
            self.close()
            refusal = tls_refusal(exc)
            raise Lost(refusal or str(exc) or type(exc).__name__, refusal is not None) from None
        except BaseException:  # cancelled (a timeout): its late answer would be read as the next one's
            self.close()
            raise

    def close(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.close()
