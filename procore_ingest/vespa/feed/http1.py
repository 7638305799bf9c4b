"""One HTTP/1.1 keep-alive connection to Vespa, for servers that will not speak HTTP/2: one
request at a time."""

from __future__ import annotations

import asyncio

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
        try:
            lines = [f"{method} {path} HTTP/1.1"]
            for name, value in self.endpoint.headers + headers:
                lines.append(f"{'host' if name == ':authority' else name}: {value}")
            lines.append(f"content-length: {len(body or b'')}")
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
            status_line = await self._reader.readline()
            if not status_line:
                raise Lost("connection closed")
            status = int(status_line.split(b" ", 2)[1])
            length, chunked, close = 0, False, False
            while True:
                line = await self._reader.readline()
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif name == "connection" and value == "close":
                    close = True
            if chunked:
                parts = []
                while True:
                    size = int((await self._reader.readline()).split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        await self._reader.readline()
                        break
                    parts.append(await self._reader.readexactly(size))
                    await self._reader.readline()
                data = b"".join(parts)
            else:
                data = await self._reader.readexactly(length) if length else b""
            if close:
                self.close()
            return status, data
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
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
