"""The streaming feeder: many /document/v1 operations in flight over HTTP/2, with per-operation
outcomes.

    Feeder(url, connections=4).submit(ops) -> Ticket;  ticket.wait() -> [OpOutcome, ...]

* `connections` HTTP/2 connections (the contract's `--workers`), each carrying many streams.
  Cleartext `http://` speaks HTTP/2 with prior knowledge (as Vespa's container accepts);
  `https://` negotiates h2 by ALPN, with mTLS (cert/key) or a data-plane token. A server that
  will not speak HTTP/2 gets HTTP/1.1 over more connections, said once in the log.
* How many operations are in flight is the `Throttle`'s adaptive limit (vespa/throttle.py).
* Operations on one document id never overtake each other: the next waits until the one before
  has its final outcome (retries included).
* 429/503/504 and transport failures are retried with backoff and jitter within the retry
  budget; 507 (a content node is full) with a long backoff and one warning; anything else
  (400, 413, ...) is final at once. A lost connection (GOAWAY, reset) retries only the
  operations that had no answer.
* Bodies above 1 KiB are gzipped, as pyvespa does.

The client is the `h2` protocol state machine on asyncio streams, in one event-loop thread of
its own; callers in other threads submit batches and wait on tickets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import socket
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import orjson
from hpack import Decoder
from hpack.table import HeaderTable

from ..config import scrub
from ..errors import VespaConnectionError
from ..logs import logger
from .sink import RETRIABLE
from .throttle import Throttle

TRANSPORT_ERROR = 599  # no HTTP answer: connection refused, lost, reset or timed out
NO_SPACE = 507
GZIP_ABOVE_BYTES = 1024  # pyvespa's "auto" compression threshold
H1_CONNECTIONS_PER_WORKER = 8  # HTTP/1.1 has one request per connection in flight
USER_AGENT = "procore-ingest-feeder/1"
CLOSED_MESSAGE = "feeder closed before this operation had an answer"


def document_path(namespace: str, doctype: str, user_id: str) -> str:
    """/document/v1 path of a document: each '/'-separated part of the id percent-encoded on
    its own (what vespa-feed-client does), so any text character survives."""
    return (f"/document/v1/{quote(namespace, safe='')}/{quote(doctype, safe='')}/docid/"
            + "/".join(quote(part, safe="") for part in user_id.split("/")))


@dataclass
class FeedOp:
    """One operation: `key` (the full document id) orders operations on one document. The
    body is `body`, or made by `body_of` when the operation is sent (so operations queued
    behind the in-flight limit hold no second copy of their document)."""

    key: str
    method: str  # POST (put) or DELETE (remove)
    path: str
    body: bytes | None = None
    body_of: Callable[[], bytes] | None = None


@dataclass(frozen=True)
class OpOutcome:
    status: int  # HTTP status; 599: no answer
    message: str  # Vespa's message ("" for 200)
    attempts: int

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class FeedStats:
    """What the feeder did so far, for reports and tests."""

    protocol: str  # "h2" or "http/1.1" (or "" before the first connection)
    sent: int
    retried: int
    connections_opened: int


class Ticket:
    """The outcomes of one submitted batch, in submission order, once all are final."""

    def __init__(self, size: int) -> None:
        self.outcomes: list[OpOutcome | None] = [None] * size
        self._left = size
        self._done = threading.Event()
        self._lock = threading.Lock()  # the feeder's thread settles; close() may, from another
        if size == 0:
            self._done.set()

    def _settle(self, index: int, outcome: OpOutcome) -> None:
        with self._lock:
            if self.outcomes[index] is not None:
                return
            self.outcomes[index] = outcome
            self._left -= 1
            if self._left == 0:
                self._done.set()

    def _settle_rest(self, outcome: OpOutcome) -> None:
        """Every operation without an outcome gets `outcome` (the feeder closed)."""
        with self._lock:
            for index, known in enumerate(self.outcomes):
                if known is None:
                    self.outcomes[index] = outcome
            self._left = 0
            self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> list[OpOutcome]:
        if not self._done.wait(timeout):
            raise TimeoutError("feed operations still in flight")
        return [o for o in self.outcomes if o is not None]


@dataclass
class _Pending:
    op: FeedOp
    ticket: Ticket
    index: int
    deadline: float
    attempts: int = 0
    last: tuple[int, str] = (TRANSPORT_ERROR, "not sent")


class _Lost(Exception):
    """The connection went away before this request was answered. `refused`: the server or
    this client refused the TLS connection for a reason no retry mends (see `tls_refusal`)."""

    def __init__(self, reason: str, refused: bool = False) -> None:
        super().__init__(reason)
        self.refused = refused


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


# ---------------------------------------------------------------------------- connections


@dataclass
class _Endpoint:
    host: str
    port: int
    tls: bool
    cert: tuple[str, str | None] | None  # mTLS: certificate file and key file
    headers: list[tuple[str, str]]  # sent with every request (authority, auth, agent)

    def __post_init__(self) -> None:
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}

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
                    raise _Lost(f"cannot load the client certificate (VESPA_CERT_PATH / VESPA_KEY_PATH): "
                                f"{detail}", refused=True) from None
            context.set_alpn_protocols(alpn)
            self._contexts[tuple(alpn)] = context
        return context


async def _tls_probe(ep: _Endpoint, timeout: float) -> BaseException | None:
    """Open a TLS connection to `ep` that writes nothing, and listen for up to a second (a TLS
    1.3 server refuses a client certificate after the handshake); the failure seen, or None."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(ep.host, ep.port, ssl=ep.context(["h2", "http/1.1"])), timeout)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), min(timeout, 1.0))
    except (_Lost, OSError, asyncio.TimeoutError) as exc:
        return exc
    finally:
        if writer is not None:
            writer.close()
    return None


def _hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    """An HPACK integer (RFC 7541 5.1) with the pattern bits `first` in its first byte."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _hpack_str(value: bytes) -> bytes:
    return _hpack_int(len(value), 7, 0) + value  # raw octets, no Huffman


class _HeaderEncoder:
    """HPACK for requests without a dynamic table: static-table entries where they exist,
    literals otherwise, and the encoding of each header but `:path` remembered. Several times
    cheaper than hpack's Encoder (Huffman and table search per header, the feeder's largest
    CPU cost), at a few bytes per request more on the wire. Said once at the start: the table
    is 0 bytes, so the server's decoder state never depends on ours."""

    SECRET = frozenset({b"authorization"})

    def __init__(self) -> None:
        self.pairs: dict[tuple[bytes, bytes], int] = {}
        self.names: dict[bytes, int] = {}
        for index, (name, value) in enumerate(HeaderTable.STATIC_TABLE, 1):
            self.pairs.setdefault((name, value), index)
            self.names.setdefault(name, index)
        self.cache: dict[tuple[bytes, bytes], bytes] = {}
        self.size_update = b"\x20"  # dynamic table size update: 0, in the first block

    @property
    def header_table_size(self) -> int:
        return 0

    @header_table_size.setter
    def header_table_size(self, value: int) -> None:
        self.size_update = b"\x20"  # the server changed its limit: say 0 again

    def field(self, name: bytes, value: bytes) -> bytes:
        index = self.pairs.get((name, value))
        if index is not None:
            return _hpack_int(index, 7, 0x80)
        first = 0x10 if name in self.SECRET else 0x00  # never indexed / without indexing
        index = self.names.get(name)
        if index is not None:
            return _hpack_int(index, 4, first) + _hpack_str(value)
        return bytes([first]) + _hpack_str(name) + _hpack_str(value)

    def encode(self, headers, huffman: bool = True) -> bytes:
        out = [self.size_update]
        self.size_update = b""
        for header in headers:
            name, value = header[0], header[1]
            name = name if isinstance(name, bytes) else name.encode()
            value = value if isinstance(value, bytes) else value.encode()
            if name == b":path":
                out.append(self.field(name, value))
                continue
            encoded = self.cache.get((name, value))
            if encoded is None:
                encoded = self.cache[(name, value)] = self.field(name, value)
            out.append(encoded)
        return b"".join(out)


class _HeaderDecoder(Decoder):
    """hpack's decoder, with the answers it decoded while its dynamic table was empty
    remembered by their bytes: such a block neither reads nor changes the table, so the same
    bytes mean the same headers while the table stays empty. The feeder asks for a 0-byte table
    (SETTINGS_HEADER_TABLE_SIZE), so against Vespa it stays empty and the thousands of
    identical `200` answers are decoded once."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[tuple[bytes, bool], list] = {}

    def decode(self, data: bytes, raw: bool = False):  # type: ignore[override]
        if self.header_table.dynamic_entries:
            return super().decode(data, raw)
        headers = self.known.get((data, raw))
        if headers is None:
            headers = super().decode(data, raw)
            if not self.header_table.dynamic_entries and len(self.known) < 4096:
                self.known[(bytes(data), raw)] = headers
        return list(headers)


class _Protocol(h2.connection.H2Connection):
    """h2's state machine, minus its per-request count of open streams: h2 counts them by
    walking every stream on each new one (O(in flight) per request, the largest CPU cost at
    hundreds in flight); the feeder never opens more than the server's limit, so the walk
    (which also forgets closed streams) runs once per 256 new streams."""

    _calls = 0
    MAX_CLOSED_STREAMS = 1024  # h2 remembers 65,536 closed streams per connection (~6 MB each)

    def _open_streams(self, remainder: int) -> int:
        self._calls += 1
        if self._calls % 256 == 0:
            return super()._open_streams(remainder)
        return 0


class _H2Connection:
    """One HTTP/2 connection: streams multiplexed, flow control respected, writes coalesced."""

    protocol = "h2"

    def __init__(self, endpoint: _Endpoint) -> None:
        self.endpoint = endpoint
        # our own headers are well-formed: h2's per-header validation is skipped on the way out
        self.conn = _Protocol(h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False))
        self.conn.encoder = _HeaderEncoder()
        self.conn.decoder = _HeaderDecoder()
        self.streams: dict[int, tuple[asyncio.Future, list]] = {}
        self.outbound: dict[int, memoryview] = {}
        self.capacity = 100  # until the server's SETTINGS say otherwise
        self.active = 0  # requests given to it by the feeder and not answered yet
        self.closed = False
        self.ready: asyncio.Future | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._flush_scheduled = False
        self._reader_task: asyncio.Task | None = None

    async def open(self, timeout: float) -> bool:
        """Connect and exchange SETTINGS; False when the server will not speak HTTP/2."""
        ep = self.endpoint
        loop = asyncio.get_running_loop()
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(ep.host, ep.port, ssl=ep.context(["h2", "http/1.1"]),
                                    limit=1 << 20), timeout)
        self._writer = writer
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ep.tls:
            ssl_obj = writer.get_extra_info("ssl_object")
            if ssl_obj is None or ssl_obj.selected_alpn_protocol() != "h2":
                writer.close()
                return False
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values={
            h2.settings.SettingCodes.ENABLE_PUSH: 0,
            h2.settings.SettingCodes.HEADER_TABLE_SIZE: 0,
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24,
            h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000,
        })
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window((1 << 30) - 65535)
        self.ready = loop.create_future()
        self._reader_task = loop.create_task(self._read(reader))
        self._flush()
        try:
            await asyncio.wait_for(asyncio.shield(self.ready), timeout)
        except (asyncio.TimeoutError, _Lost, OSError) as exc:
            self.close()
            if not ep.tls:
                return False  # prior knowledge refused: the server does not speak HTTP/2
            # ALPN chose h2: the server speaks it, and this connection failed. A TLS 1.3 server
            # refuses a client certificate after the handshake, with an alert read here, but
            # closing on our unread preface can reset the connection and lose the alert: a
            # connection that writes nothing finds out why.
            if isinstance(exc, _Lost) and exc.refused:
                raise
            if not isinstance(exc, asyncio.TimeoutError):
                probed = await _tls_probe(ep, timeout)
                if probed is not None and tls_refusal(probed) is not None:
                    raise _Lost(str(tls_refusal(probed)), refused=True) from None
            if isinstance(exc, _Lost):
                raise
            raise _Lost("no HTTP/2 SETTINGS from the server" if isinstance(exc, asyncio.TimeoutError)
                        else str(exc) or type(exc).__name__) from None
        return True

    async def request(self, method: str, path: str, headers: list[tuple[str, str]],
                      body: bytes | None) -> tuple[int, bytes]:
        if self.closed:
            raise _Lost("connection closed")
        ep = self.endpoint
        all_headers = [(":method", method), (":scheme", "https" if ep.tls else "http"),
                       (":path", path), *ep.headers, *headers]
        future = asyncio.get_running_loop().create_future()
        try:
            stream_id = self.conn.get_next_available_stream_id()
            self.conn.send_headers(stream_id, all_headers, end_stream=not body)
        except h2.exceptions.ProtocolError as exc:  # e.g. a GOAWAY arrived: no new streams
            self.closed = True
            raise _Lost(str(exc)) from None
        self.streams[stream_id] = (future, [])
        if body:
            self.outbound[stream_id] = memoryview(body)
            self._send_bodies()
        self._schedule_flush()
        try:
            return await future
        except asyncio.CancelledError:  # timed out: tell the server, so it can drop the stream
            self._cancel(stream_id)
            raise

    def _cancel(self, stream_id: int) -> None:
        self.outbound.pop(stream_id, None)
        if self.streams.pop(stream_id, None) is None or self.closed:
            return
        with contextlib.suppress(h2.exceptions.ProtocolError):  # StreamClosedError among them
            self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
            self._schedule_flush()

    def _send_bodies(self) -> None:
        for stream_id in list(self.outbound):
            data = self.outbound[stream_id]
            try:
                while data:
                    window = min(self.conn.local_flow_control_window(stream_id),
                                 self.conn.max_outbound_frame_size)
                    if window <= 0:
                        break
                    chunk, data = data[:window], data[window:]
                    self.conn.send_data(stream_id, chunk.tobytes(), end_stream=not data)
            except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, KeyError):
                data = memoryview(b"")
            if data:
                self.outbound[stream_id] = data
            else:
                del self.outbound[stream_id]

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        data = self.conn.data_to_send()
        if data and self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                for event in self.conn.receive_data(data):
                    self._event(event)
                self._flush()
        except (OSError, h2.exceptions.ProtocolError, asyncio.IncompleteReadError) as exc:
            refusal = tls_refusal(exc)
            self._lose(refusal or "connection lost", refusal is not None)
        finally:
            self._lose("connection lost")

    def _event(self, event: object) -> None:
        if isinstance(event, h2.events.ResponseReceived):
            entry = self.streams.get(event.stream_id)
            if entry is not None:
                entry[1].append(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            entry = self.streams.get(event.stream_id)
            if entry is not None:
                entry[1].append(event.data)
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            entry = self.streams.pop(event.stream_id, None)
            if entry is not None and not entry[0].done():
                future, parts = entry
                status = next((int(v) for k, v in (parts[0] if parts else []) if k == b":status"), 0)
                future.set_result((status or TRANSPORT_ERROR, b"".join(parts[1:])))
            if self.closed and not self.streams and self._writer is not None:
                self._writer.close()  # after a GOAWAY: the last answer is in
        elif isinstance(event, h2.events.StreamReset):
            entry = self.streams.pop(event.stream_id, None)
            self.outbound.pop(event.stream_id, None)
            if entry is not None and not entry[0].done():
                entry[0].set_exception(_Lost(f"stream reset ({event.error_code})"))
        elif isinstance(event, h2.events.WindowUpdated):
            self._send_bodies()
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            setting = event.changed_settings.get(h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS)
            if setting is not None:
                self.capacity = max(1, setting.new_value)
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(True)
        elif isinstance(event, h2.events.ConnectionTerminated):
            # GOAWAY: streams above last_stream_id were not processed; those below still answer
            self.closed = True
            last = event.last_stream_id if event.last_stream_id is not None else 0
            for stream_id in [s for s in self.streams if s > last]:
                future, _ = self.streams.pop(stream_id)
                if not future.done():
                    future.set_exception(_Lost("GOAWAY"))
            if not self.streams and self._writer is not None:
                self._writer.close()

    def _lose(self, reason: str, refused: bool = False) -> None:
        self.closed = True
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(_Lost(reason, refused))
        for future, _ in self.streams.values():
            if not future.done():
                future.set_exception(_Lost(reason, refused))
        self.streams.clear()
        self.outbound.clear()
        if self._writer is not None:
            self._writer.close()

    def close(self) -> None:
        if not self.closed and self._writer is not None and not self._writer.is_closing():
            with contextlib.suppress(Exception):
                self.conn.close_connection()
                self._flush()
        self._lose("closed")
        if self._reader_task is not None:
            self._reader_task.cancel()


class _H1Connection:
    """One HTTP/1.1 keep-alive connection: one request at a time."""

    protocol = "http/1.1"
    capacity = 1

    def __init__(self, endpoint: _Endpoint) -> None:
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
            raise _Lost("connection closed")
        try:
            lines = [f"{method} {path} HTTP/1.1"]
            for name, value in self.endpoint.headers + headers:
                lines.append(f"{'host' if name == ':authority' else name}: {value}")
            lines.append(f"content-length: {len(body or b'')}")
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
            status_line = await self._reader.readline()
            if not status_line:
                raise _Lost("connection closed")
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
            raise _Lost(refusal or str(exc) or type(exc).__name__, refusal is not None) from None
        except BaseException:  # cancelled (a timeout): its late answer would be read as the next one's
            self.close()
            raise

    def close(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.close()


# ---------------------------------------------------------------------------- the feeder


class Feeder:
    """Streams operations to one Vespa endpoint. Thread-safe: `submit` from any thread."""

    def __init__(self, url: str, *, connections: int = 4, cert_path: str | None = None,
                 key_path: str | None = None, token: str | None = None,
                 retry_budget_s: float = 120.0, min_inflight: int | None = None,
                 max_inflight: int | None = None, request_timeout_s: float = 200.0,
                 connect_timeout_s: float = 10.0, full_backoff_s: float = 5.0,
                 description: str = "") -> None:
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
        self.description = description or f"{parts.scheme}://{authority}"
        headers = [(":authority", authority), ("user-agent", USER_AGENT)]
        if token:
            headers.append(("authorization", f"Bearer {token}"))
        self._endpoint = _Endpoint(parts.hostname or "localhost", port, parts.scheme == "https",
                                   (cert_path, key_path) if cert_path else None, headers)
        self._secret = token
        self.connections = max(1, connections)
        self.retry_budget_s = retry_budget_s
        self.request_timeout_s = request_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.full_backoff_s = full_backoff_s  # first pause after a 507, doubling to 60 s
        self.throttle = Throttle(min_inflight or 8 * self.connections,
                                 max_inflight or 128 * self.connections)
        self.protocol = ""
        self._conns: list[_H2Connection | _H1Connection] = []
        self._opening = 0
        self._ready: deque[_Pending] = deque()
        # key -> operations behind its head (None: none yet; most keys never get a second one,
        # and an empty deque is ~600 bytes a queued operation)
        self._waiting: dict[str, deque[_Pending] | None] = {}
        self._in_flight = 0
        self._sent = self._retried = self._opened = 0
        self._warned_full = False
        self._warned_refused = False  # a refused TLS connection is logged once
        # Vespa answered at least once (any HTTP status): a TLS refusal after that (a certificate
        # rotation, one node with a stale CA) is retried, not final like a wrong setup
        self._answered = False
        self._connect_failures = 0  # in a row: reconnecting backs off like a retry
        self._reconnect_at = 0.0
        self._reconnect_scheduled = False
        self._last_retry_log = 0.0
        self._retries_since_log = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._tickets: set[Ticket] = set()  # submitted and not done: close() settles them
        self._closing = False

    # -- public
    def submit(self, ops: list[FeedOp]) -> Ticket:
        """Queue `ops`; the ticket is done when every one has a final outcome."""
        ticket = Ticket(len(ops))
        if ops:
            with self._start_lock:
                self._tickets = {t for t in self._tickets if not t.done()}
                self._tickets.add(ticket)
            loop = self._start()
            deadline = time.monotonic() + self.retry_budget_s
            pending = [_Pending(op, ticket, i, deadline) for i, op in enumerate(ops)]
            loop.call_soon_threadsafe(self._enqueue, pending)
        return ticket

    def run(self, ops: list[FeedOp]) -> list[OpOutcome]:
        return self.submit(ops).wait()

    @property
    def stats(self) -> FeedStats:
        return FeedStats(self.protocol, self._sent, self._retried, self._opened)

    def tls_handshake(self, timeout: float = 5.0) -> str | None:
        """None when this client can open a TLS connection to the endpoint (or it is cleartext);
        else why not, as one line (the server's certificate is not trusted, the client
        certificate is missing, refused or unreadable, nothing listens, ...). For probes that
        fail without saying why."""
        if not self._endpoint.tls:
            return None
        try:
            exc = asyncio.run_coroutine_threadsafe(_tls_probe(self._endpoint, timeout),
                                                   self._start()).result(timeout + 5)
        except (concurrent.futures.TimeoutError, TimeoutError) as waited:
            exc = waited
        if exc is None:
            return None
        return tls_refusal(exc) or (str(exc).splitlines() or [""])[0] or type(exc).__name__

    def close(self) -> None:
        """Stop; every operation without a final outcome gets 599 "feeder closed ...", so no
        caller waits on a ticket forever. The feeder can be used again after."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError, TimeoutError, concurrent.futures.TimeoutError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()
        with self._start_lock:
            tickets, self._tickets = self._tickets, set()
            self._loop = self._thread = None
        closed = OpOutcome(TRANSPORT_ERROR, CLOSED_MESSAGE, 0)
        for ticket in tickets:
            ticket._settle_rest(closed)

    # -- the loop's thread
    def _start(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                # a run after close() starts from empty queues, even if the closed run's loop
                # did not stop in time to clear its own: nothing of it may hold an id back
                self._ready, self._waiting, self._conns, self._tasks = deque(), {}, [], set()
                self._in_flight = self._opening = 0
                self._reconnect_scheduled = False
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="vespa-feeder", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                self._closing = False
            return self._loop

    async def _shutdown(self) -> None:
        self._closing = True  # retries due later start nothing new
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for conn in self._conns:
            conn.close()
        self._conns.clear()
        # and every other task of this loop: the readers of connections already dropped (after
        # a GOAWAY they read on until the server closes) would die pending with the loop
        tasks += [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and t not in tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # what was queued belongs to the closed run (close() answers it): a later run starts clean
        self._ready.clear()
        self._waiting.clear()
        self._in_flight = self._opening = 0
        self._reconnect_scheduled = False  # its timer dies with this loop

    def _enqueue(self, pending: list[_Pending]) -> None:
        waiting = self._waiting
        for p in pending:
            key = p.op.key
            if key not in waiting:
                waiting[key] = None  # p is the head: its key is now busy
                self._ready.append(p)
            else:
                queue = waiting[key]
                if queue is None:
                    queue = waiting[key] = deque()
                queue.append(p)
        self._pump()

    def _spawn(self, coro) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # a bug: said, not swallowed
            exc = task.exception()
            logger.error("the Vespa feeder hit an unexpected error: %s",
                         self._one_line(f"{type(exc).__name__}: {exc}"))

    def _pump(self) -> None:
        """Send what the in-flight limit and the connections allow."""
        if self._closing:
            return
        if self._ready:
            self._grow_pool()
        while self._ready and self._in_flight < self.throttle.limit:
            conn = self._pick()
            if conn is None:
                return
            p = self._ready.popleft()
            self._in_flight += 1
            conn.active += 1  # taken now, before the task runs
            self._spawn(self._send(conn, p))

    def _pick(self) -> _H2Connection | _H1Connection | None:
        self._conns = [c for c in self._conns if not c.closed]
        best = None
        for conn in self._conns:
            if conn.active < conn.capacity and (best is None or conn.active < best.active):
                best = conn
        return best

    def _pool_size(self) -> int:
        return self.connections * (H1_CONNECTIONS_PER_WORKER if self.protocol == "http/1.1" else 1)

    def _grow_pool(self) -> None:
        """Open connections up to the pool's size (one at a time until the protocol is known,
        or while connecting fails)."""
        self._conns = [c for c in self._conns if not c.closed]
        wait = self._reconnect_at - time.monotonic()
        if wait > 0:
            if self._opening == 0 and not self._reconnect_scheduled:
                self._reconnect_scheduled = True
                assert self._loop is not None
                self._loop.call_later(wait, self._reconnect)
            return
        missing = self._pool_size() - len(self._conns) - self._opening
        one_at_a_time = not self.protocol or self._connect_failures > 0
        for _ in range(min(missing, 1 - self._opening) if one_at_a_time else missing):
            self._opening += 1
            self._spawn(self._connect())

    async def _connect(self) -> None:
        try:
            conn: _H2Connection | _H1Connection
            if self.protocol == "http/1.1":
                conn = _H1Connection(self._endpoint)
                await conn.open(self.connect_timeout_s)
            else:
                conn = _H2Connection(self._endpoint)
                if not await conn.open(self.connect_timeout_s):
                    if self.protocol == "h2":  # spoke h2 before: a failed handshake, not a refusal
                        raise _Lost("HTTP/2 handshake failed")
                    self.protocol = "http/1.1"
                    logger.warning("Vespa at %s does not speak HTTP/2; feeding over HTTP/1.1 with %d "
                                   "connections", self.description, self._pool_size())
                    self.throttle.maximum = min(self.throttle.maximum, self._pool_size())
                    self.throttle.minimum = min(self.throttle.minimum, self.throttle.maximum)
                    self.throttle.limit = self.throttle.maximum
                    conn = _H1Connection(self._endpoint)
                    await conn.open(self.connect_timeout_s)
                self.protocol = self.protocol or "h2"
            self._opened += 1
            self._connect_failures = 0
            self._conns.append(conn)
        except Exception as exc:  # unforeseen ones too (h2 state, a bug): no operation may strand
            # nothing to send on: the next operation in line gets a transport error and its
            # backoff, and the next attempt to connect waits too
            self._connect_failures += 1
            self._reconnect_at = time.monotonic() + _backoff(self._connect_failures, 0.1, 5.0)
            # With no live connection, every queued operation gets that answer (each then waits
            # its own backoff, or ends when its retry budget is spent): answering one per attempt
            # would keep a batch waiting connect timeout x operations.
            # A TLS refusal (trust, client certificate) before Vespa ever answered is a wrong
            # setup, final for every queued operation: retrying it for the whole budget would
            # only make the user wait. After an answer it is retried like any failed connect.
            refused = (exc.refused if isinstance(exc, _Lost) else tls_refusal(exc) is not None) and not self._answered
            reason = self._reason(exc)
            if refused and not self._warned_refused:
                self._warned_refused = True
                logger.error("%s", reason)
            live = any(not c.closed for c in self._conns)
            for _ in range(len(self._ready) if not live or refused else 1):
                if not self._ready:
                    break
                p = self._ready.popleft()
                p.attempts += 1
                self._in_flight += 1
                self._answer(p, TRANSPORT_ERROR, reason, 0.0, final=refused)
        finally:
            self._opening -= 1
        self._pump()

    def _reconnect(self) -> None:
        self._reconnect_scheduled = False
        self._pump()

    def _reason(self, exc: BaseException) -> str:
        text = tls_refusal(exc)
        if text is None and isinstance(exc, (OSError, _Lost, asyncio.TimeoutError)):
            text = str(exc) or type(exc).__name__
        elif text is None:  # unforeseen: its type says more than its text
            text = f"{type(exc).__name__}: {exc}"
        return self._one_line(f"cannot reach Vespa at {self.description}: {text}")

    async def _send(self, conn: _H2Connection | _H1Connection, p: _Pending) -> None:
        if p.attempts and time.monotonic() > p.deadline:  # its budget ran out while it queued
            conn.active -= 1
            self._answer(p, *p.last, 0.0, final=True)
            return
        p.attempts += 1
        self._sent += 1
        op = p.op
        try:
            headers, body = _request_body(op)
        except Exception as exc:  # the caller's body_of failed: it would fail again, so final now
            conn.active -= 1
            self._answer(p, TRANSPORT_ERROR, self._one_line(
                f"not sent: its body could not be made ({type(exc).__name__}: {exc})"), 0.0, final=True)
            return
        started = time.monotonic()
        final = False
        try:
            status, data = await asyncio.wait_for(conn.request(op.method, op.path, headers, body),
                                                  self.request_timeout_s)
            message = _message(data) if status != 200 else ""
            self._answered = True
        except asyncio.TimeoutError:  # retried like a lost one, within the budget (see the top of _send)
            status, message = TRANSPORT_ERROR, (f"no answer from Vespa at {self.description} within "
                                                f"{self.request_timeout_s:g}s")
        except (_Lost, OSError) as exc:
            status, message = TRANSPORT_ERROR, self._reason(exc)
            final = (isinstance(exc, _Lost) and exc.refused or tls_refusal(exc) is not None) and not self._answered
        except Exception as exc:  # not foreseen (h2 state, a bug): the connection is suspect,
            conn.close()          # the operation is retried like a lost one and still gets an outcome
            status, message = TRANSPORT_ERROR, self._one_line(
                f"sending to Vespa at {self.description} failed ({type(exc).__name__}: {exc})")
        finally:
            conn.active -= 1
        # scrubbed before it is cut: a token that straddled the cut would leave a prefix behind
        message = scrub(message, self._secret)
        self._answer(p, status, message[:1000], time.monotonic() - started, final)

    def _one_line(self, text: str) -> str:
        return (scrub(text, self._secret).splitlines() or [""])[0][:1000]

    def _answer(self, p: _Pending, status: int, message: str, latency: float,
                final: bool = False) -> None:
        """`final`: no retry, whatever the status (a refused TLS connection)."""
        self._in_flight -= 1
        p.last = (status, message)
        if status == 200:
            self.throttle.success(latency)
            self._final(p)
        elif final:
            self._final(p)
        elif status in RETRIABLE or status == NO_SPACE:
            if status != TRANSPORT_ERROR and status != NO_SPACE:
                self.throttle.throttled(self._in_flight + 1, status)
            pause = _backoff(p.attempts, self.full_backoff_s if status == NO_SPACE else 0.1,
                             60.0 if status == NO_SPACE else 10.0)
            if time.monotonic() + pause > p.deadline:
                self._final(p)
            else:
                self._note_retry(status, message)
                self._retried += 1
                assert self._loop is not None
                self._loop.call_later(pause, self._retry, p)
        else:
            self._final(p)
        self._pump()

    def _retry(self, p: _Pending) -> None:
        self._ready.appendleft(p)  # ahead of new work: it was first
        self._pump()

    def _note_retry(self, status: int, message: str) -> None:
        if status == NO_SPACE and not self._warned_full:
            self._warned_full = True
            logger.warning("feed blocked: a content node is full (HTTP 507: %s); retrying with a long "
                           "backoff until the retry budget runs out", message or "no space")
        self._retries_since_log += 1
        now = time.monotonic()
        if now - self._last_retry_log >= 5.0:
            logger.warning("Vespa could not take %d operations (e.g. HTTP %s %s); retrying with backoff",
                           self._retries_since_log, status, message[:120])
            self._last_retry_log, self._retries_since_log = now, 0

    def _final(self, p: _Pending) -> None:
        status, message = p.last
        p.ticket._settle(p.index, OpOutcome(status, message or (f"HTTP {status}" if status != 200 else ""),
                                            p.attempts))
        queue = self._waiting.get(p.op.key)
        if queue:
            self._ready.append(queue.popleft())  # the next operation on this document may go
        else:
            self._waiting.pop(p.op.key, None)


def _request_body(op: FeedOp) -> tuple[list[tuple[str, str]], bytes | None]:
    """The headers and body of `op`'s request: JSON, gzipped above GZIP_ABOVE_BYTES."""
    headers: list[tuple[str, str]] = []
    body = op.body if op.body_of is None else op.body_of()
    if body is not None:
        headers.append(("content-type", "application/json"))
        if len(body) > GZIP_ABOVE_BYTES:
            compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
            body = compressor.compress(body) + compressor.flush()
            headers.append(("content-encoding", "gzip"))
    return headers, body


def _message(data: bytes) -> str:
    try:
        body = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        return data[:65536].decode("utf-8", "replace")  # cut once scrubbed (see _send)
    if not isinstance(body, dict):
        return ""
    return str(body.get("message") or body.get("Exception") or "")


def _backoff(attempt: int, base: float, cap: float, jitter: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter (0.5x to 1.5x): `base` doubling per attempt up to `cap`
    (0.1 s to 10 s for throttling and lost connections; for 507, 5 s to 60 s)."""
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + jitter())
