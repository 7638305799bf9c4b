"""A fast loopback /document/v1 stub for feed benchmarks (not for correctness: see tests/vespa_server).

    python bench/vespa_stub.py [--port 0] [--latency-ms 20]

Speaks HTTP/1.1 (keep-alive) and cleartext HTTP/2 with prior knowledge on one port, as Vespa's
container does; answers every put/update/remove with 200 and Vespa's body
(`{"pathId": ..., "id": ...}`), a GET of one document with 404, a visit with no documents, and
waits `--latency-ms` before each answer (a remote round trip). Prints its URL, then serves until
stdin closes (or forever with --forever); on exit prints one JSON line of counts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from urllib.parse import unquote, urlsplit

import h2.config
import h2.connection
import h2.events
import h2.settings

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
COUNTS = {"requests": 0, "h2_connections": 0, "h1_connections": 0}


def answer(method: str, target: str) -> tuple[int, bytes]:
    path = urlsplit(target).path
    parts = path.split("/")
    # /document/v1/<ns>/<type>/docid/<id...>
    if len(parts) > 6 and parts[1:3] == ["document", "v1"] and parts[5] == "docid" and parts[6]:
        full_id = f"id:{unquote(parts[3])}:{unquote(parts[4])}::{unquote('/'.join(parts[6:]))}"
        if method == "GET":
            return 404, json.dumps({"pathId": path, "id": full_id}).encode()
        return 200, json.dumps({"pathId": path, "id": full_id}).encode()
    if method == "GET" and path.startswith("/document/v1/"):
        return 200, json.dumps({"pathId": path, "documents": [], "documentCount": 0}).encode()
    return 200, b"{}"


class _Protocol(h2.connection.H2Connection):
    """h2 without its O(open streams) walk per new stream (see procore_ingest/vespa/feed/http2.py):
    the stub must not be what a benchmark measures."""

    _calls = 0

    def _open_streams(self, remainder: int) -> int:
        self._calls += 1
        return super()._open_streams(remainder) if self._calls % 256 == 0 else 0


class Stub(asyncio.Protocol):
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.mode = ""
        self.transport: asyncio.Transport | None = None
        self.h2: h2.connection.H2Connection | None = None
        self.streams: dict[int, list] = {}
        self.loop = asyncio.get_running_loop()
        self.flush_pending = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.mode:
            self.buffer += data
            if len(self.buffer) < len(PREFACE) and PREFACE.startswith(self.buffer):
                return
            self.mode = "h2" if self.buffer.startswith(PREFACE) else "h1"
            data, self.buffer = self.buffer, b""
            if self.mode == "h2":
                COUNTS["h2_connections"] += 1
                self.h2 = _Protocol(h2.config.H2Configuration(
                    client_side=False, header_encoding=None, validate_outbound_headers=False,
                    normalize_outbound_headers=False, validate_inbound_headers=False))
                self.h2.local_settings = h2.settings.Settings(client=False, initial_values={
                    h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 4096,
                    h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24,
                })
                self.h2.initiate_connection()
                self.h2.increment_flow_control_window((1 << 30) - 65535)
            else:
                COUNTS["h1_connections"] += 1
        if self.mode == "h2":
            self.h2_received(data)
        else:
            self.buffer += data
            self.h1_requests()

    # -- HTTP/2
    def h2_received(self, data: bytes) -> None:
        assert self.h2 is not None
        for ev in self.h2.receive_data(data):
            if isinstance(ev, h2.events.RequestReceived):
                headers = dict(ev.headers)
                self.streams[ev.stream_id] = [headers.get(b":method", b"GET").decode(),
                                              headers.get(b":path", b"/").decode()]
            elif isinstance(ev, h2.events.DataReceived):
                self.h2.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                method, target = self.streams.pop(ev.stream_id, ("GET", "/"))
                if self.latency:
                    self.loop.call_later(self.latency, self.h2_respond, ev.stream_id, method, target)
                else:
                    self.h2_respond(ev.stream_id, method, target)
        self.flush()

    def h2_respond(self, stream_id: int, method: str, target: str) -> None:
        assert self.h2 is not None
        COUNTS["requests"] += 1
        status, body = answer(method, target)
        try:
            self.h2.send_headers(stream_id, [(b":status", str(status).encode()),
                                             (b"content-type", b"application/json;charset=utf-8"),
                                             (b"content-length", str(len(body)).encode())])
            self.h2.send_data(stream_id, body, end_stream=True)
        except Exception:  # the stream or connection is gone
            return
        if not self.flush_pending:
            self.flush_pending = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_pending = False
        if self.h2 is not None and self.transport is not None and not self.transport.is_closing():
            data = self.h2.data_to_send()
            if data:
                self.transport.write(data)

    # -- HTTP/1.1
    def h1_requests(self) -> None:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            method, target = head[0].split(" ")[:2]
            if self.latency:
                self.loop.call_later(self.latency, self.h1_respond, method, target)
            else:
                self.h1_respond(method, target)

    def h1_respond(self, method: str, target: str) -> None:
        COUNTS["requests"] += 1
        status, body = answer(method, target)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 %d OK\r\nContent-Type: application/json;charset=utf-8\r\n"
                                 b"Content-Length: %d\r\n\r\n" % (status, len(body)) + body)


async def serve(port: int, latency_ms: float, forever: bool) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Stub(latency_ms / 1000), "127.0.0.1", port)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    if forever:
        await asyncio.Event().wait()
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--forever", action="store_true")
    args = p.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.latency_ms, args.forever))
    print(json.dumps(COUNTS), flush=True)


if __name__ == "__main__":
    main()
