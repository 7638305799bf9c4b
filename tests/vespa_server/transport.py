"""Sockets: HTTP/1.1 with keep-alive, and cleartext HTTP/2 (h2c with prior knowledge); over
TLS, the protocol ALPN chose.

Vespa's container accepts both on the same port. pyvespa's sync client (httpr.Client,
``http2_only=False``) speaks HTTP/1.1 to an ``http://`` URL; its async client (httpr.AsyncClient,
``http2_only=True``) opens with the HTTP/2 connection preface. Each cleartext connection is
sniffed for that preface and served by the matching protocol. With an ``ssl_context`` every
accepted socket is wrapped (the handshake runs in the connection's thread; a refused handshake
is recorded in ``handshake_failures``) and served as h2 when ALPN chose ``h2``, HTTP/1.1
otherwise. HTTP/2 needs the ``h2`` package; without it h2c connections are closed (and
``VespaServer.http2`` is False).
"""

from __future__ import annotations

import contextlib
import select
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

from .api import Request, Response

try:  # optional: only needed for pyvespa's async (HTTP/2) client
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions
    import h2.settings

    HAVE_H2 = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_H2 = False

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Handles one request; returns None to drop the connection without answering.
Processor = Callable[[Request], "Response | None"]
# Asked once per complete HTTP/2 request: True to answer it (and every later one on that
# connection) with a GOAWAY instead, after the requests before it were answered.
GoawayCheck = Callable[[], bool]


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        process: Processor,
        max_body_bytes: int,
        http2: bool,
        goaway: GoawayCheck | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if ":" in address[0]:  # an IPv6 literal such as ::1
            self.address_family = socket.AF_INET6
        self.process = process
        self.ssl_context = ssl_context
        self.handshake_failures: list[str] = []  # one line per refused TLS handshake
        self.stream_resets: list[int] = []  # error code of each RST_STREAM a client sent
        self.goaway = goaway or (lambda: False)
        self.max_body_bytes = max_body_bytes
        self.http2 = http2 and HAVE_H2
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.ssl_context is not None:  # the handshake runs in the connection's own thread
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def track(self, sock: socket.socket, add: bool) -> None:
        with self._conns_lock:
            (self._conns.add if add else self._conns.discard)(sock)

    def close_connections(self) -> None:
        """Shut down every open client connection, as a stopped Vespa would."""
        with self._conns_lock:
            conns = list(self._conns)
            self._conns.clear()
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "VespaTestServer/1.0"
    server: TcpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every response.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)
        self.refused = False
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.settimeout(10)
                self.connection.do_handshake()
                self.connection.settimeout(None)
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                self.server.handshake_failures.append(str(exc).splitlines()[0] if str(exc) else
                                                      type(exc).__name__)
                self.refused = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, False)

    def handle(self) -> None:
        if self.refused:
            return
        try:
            if isinstance(self.connection, ssl.SSLSocket):
                h2_chosen = self.connection.selected_alpn_protocol() == "h2"
            else:
                h2_chosen = self._is_h2()
            if h2_chosen:
                if self.server.http2:
                    _H2Connection(self.connection, self.server.process, self.server.goaway,
                                  self.server.stream_resets.append).serve()
                return
            super().handle()
        except (ConnectionError, OSError):
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        pass  # keep test output clean; the server keeps its own request log

    def _is_h2(self) -> bool:
        deadline = time.monotonic() + 5
        while True:
            try:
                data = self.connection.recv(len(PREFACE), socket.MSG_PEEK)
            except OSError:
                return False
            if not data or not PREFACE.startswith(data):
                return False
            if len(data) == len(PREFACE):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.001)

    # -------------------------------------------------------------- HTTP/1.1

    def _read_body(self) -> bytes | None:
        """The body; None if it is over the size limit (it is then read and discarded)."""
        limit = self.server.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = self.rfile.read(size)
                self.rfile.readline()
                total += size
                if total <= limit:
                    chunks.append(data)
            return b"".join(chunks) if total <= limit else None
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            remaining = length
            while remaining > 0:
                got = self.rfile.read(min(remaining, 1 << 16))
                if not got:
                    break
                remaining -= len(got)
            return None
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = Request(self.command, self.path, headers, body or b"", "HTTP/1.1", body is None)
        resp = self.server.process(req)
        if resp is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(resp.status)
        for name, value in resp.headers:
            self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD" and resp.body:
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_HEAD = _dispatch


class _H2Connection:
    """One server-side HTTP/2 connection; requests run on a small thread pool. Only the
    connection's own thread reads or writes the socket (an SSL socket must not be used by two
    threads at once): a finished request wakes it through a socket pair to send its answer."""

    def __init__(
        self,
        sock: socket.socket,
        process: Processor,
        goaway: GoawayCheck | None = None,
        on_reset: Callable[[int], None] | None = None,
    ) -> None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.process = process
        cfg = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=cfg)
        self.lock = threading.Lock()
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.outbound: dict[int, memoryview] = {}
        self.pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="vespa-h2")
        self.closed = False
        self.goaway = goaway or (lambda: False)
        self.on_reset = on_reset or (lambda code: None)
        self.going_away = False  # a GOAWAY is due: no request from here on is processed
        self.submitted: list[tuple[int, Future]] = []
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    def serve(self) -> None:
        with self.lock:
            self.conn.initiate_connection()
            self.conn.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 512})
            self._send()
        try:
            while not self.closed:
                buffered = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0
                if not buffered:
                    readable, _, _ = select.select([self.sock, self._wake_r], [], [])
                    if self._wake_r in readable:
                        with contextlib.suppress(BlockingIOError):
                            while self._wake_r.recv(4096):
                                pass
                    if self.sock not in readable:  # answers are ready: send them
                        with self.lock:
                            self._flush()
                            self._send()
                        continue
                data = self.sock.recv(1 << 16)
                if not data:
                    break
                with self.lock:
                    events = self.conn.receive_data(data)
                for ev in events:
                    self._event(ev)
                with self.lock:
                    self._flush()
                    self._send()
                if self.going_away:
                    self._go_away()
                    break
        except (OSError, h2.exceptions.ProtocolError):
            pass
        finally:
            self.closed = True
            self.pool.shutdown(wait=False, cancel_futures=True)
            self._wake_r.close()
            self._wake_w.close()

    def _wake(self) -> None:
        """Have the connection's thread send what is due (called with ``lock`` held)."""
        with contextlib.suppress(OSError):  # a full pair already has a wake-up pending; closed: gone
            self._wake_w.send(b"x")

    def _event(self, ev: object) -> None:
        if isinstance(ev, h2.events.RequestReceived):
            self.streams[ev.stream_id] = (
                {str(k).lower(): str(v) for k, v in ev.headers or []},
                bytearray(),
            )
        elif isinstance(ev, h2.events.DataReceived):
            if ev.stream_id in self.streams:
                self.streams[ev.stream_id][1].extend(ev.data or b"")
            with self.lock:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            stream = self.streams.pop(ev.stream_id, None)
            if stream is not None and not self.going_away:
                if self.goaway():
                    self.going_away = True
                    return
                self.submitted.append(
                    (ev.stream_id, self.pool.submit(self._run, ev.stream_id, *stream))
                )
        elif isinstance(ev, h2.events.StreamReset):
            if ev.remote_reset:
                self.on_reset(int(ev.error_code or 0))
            self.streams.pop(ev.stream_id, None)
            with self.lock:
                self.outbound.pop(ev.stream_id, None)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self.closed = True

    def _run(self, stream_id: int, headers: dict[str, str], body: bytearray) -> None:
        plain = {k: v for k, v in headers.items() if not k.startswith(":")}
        if ":authority" in headers:  # HTTP/2's Host (RFC 9113 8.3.1)
            plain.setdefault("host", headers[":authority"])
        req = Request(
            method=headers.get(":method", "GET"),
            target=headers.get(":path", "/"),
            headers=plain,
            body=bytes(body),
            protocol="HTTP/2",
        )
        resp = self.process(req)
        with self.lock:
            if self.closed:
                return
            if resp is None:
                self.closed = True
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return
            out = [(":status", str(resp.status))]
            out += [(k.lower(), v) for k, v in resp.headers]
            out.append(("content-length", str(len(resp.body))))
            try:
                self.conn.send_headers(stream_id, out, end_stream=not resp.body)
            except h2.exceptions.StreamClosedError:
                return
            if resp.body:
                self.outbound[stream_id] = memoryview(resp.body)
            self._flush()
            self._wake()

    def _go_away(self) -> None:
        """Answer what was taken, then GOAWAY naming the last stream processed; requests after
        it were never processed (the client must send them again), and the connection closes."""
        for _, future in self.submitted:
            with contextlib.suppress(Exception):
                future.result(timeout=30)
        last = max((stream_id for stream_id, _ in self.submitted), default=0)
        with self.lock:
            self._flush()
            with contextlib.suppress(h2.exceptions.ProtocolError):
                self.conn.close_connection(last_stream_id=last)
            self._send()
            self.closed = True
        # Half-close, then drain what the client still sends until it closes too: closing a
        # socket with unread data makes the kernel reset it, and a reset can destroy the
        # answers and the GOAWAY before the client reads them.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(2)
            while self.sock.recv(1 << 16):
                pass

    def _flush(self) -> None:
        """Send as much pending response data as the flow-control windows allow."""
        for stream_id in list(self.outbound):
            data = self.outbound[stream_id]
            try:
                while data:
                    window = min(
                        self.conn.local_flow_control_window(stream_id),
                        self.conn.max_outbound_frame_size,
                    )
                    if window <= 0:
                        break
                    chunk, data = data[:window], data[window:]
                    self.conn.send_data(stream_id, bytes(chunk), end_stream=not data)
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError):
                data = memoryview(b"")
            if data:
                self.outbound[stream_id] = data
            else:
                del self.outbound[stream_id]

    def _send(self) -> None:
        data = self.conn.data_to_send()
        if data:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True
