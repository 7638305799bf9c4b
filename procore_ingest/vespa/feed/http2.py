"""One HTTP/2 connection to Vespa: many requests multiplexed as streams on h2's state machine,
flow control respected, writes coalesced into one per event-loop turn."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from .endpoint import Endpoint, Lost
from .http2_headers import HeaderDecoder, HeaderEncoder
from .ops import TRANSPORT_ERROR
from .tls import tls_probe, tls_refusal


class StockProtocol(h2.connection.H2Connection):
    """h2's state machine as it comes, remembering fewer closed streams."""

    MAX_CLOSED_STREAMS = 1024  # h2 remembers 65,536 closed streams per connection (~6 MB each)


class CountOnceProtocol(StockProtocol):
    """h2's state machine, minus its per-request count of open streams: h2 counts them by
    walking every stream on each new one (O(in flight) per request, the largest CPU cost at
    hundreds in flight); the feeder never opens more than the server's limit, so the walk
    (which also forgets closed streams) runs once per 256 new streams."""

    _calls = 0

    def _open_streams(self, remainder: int) -> int:
        self._calls += 1
        if self._calls % 256 == 0:
            return super()._open_streams(remainder)
        return 0


def protocol_class(base: type = h2.connection.H2Connection) -> type[StockProtocol]:
    """CountOnceProtocol while h2 (`base`) has the private `_open_streams` it overrides (h2 4.x
    does; pyproject pins h2<5). A release without it would make the override dead code that
    skips nothing, or a method h2 never calls: the stock state machine is used instead, slower
    at hundreds in flight but correct."""
    return CountOnceProtocol if callable(getattr(base, "_open_streams", None)) else StockProtocol


PROTOCOL = protocol_class()  # chosen once, at import


class H2Connection:
    """One HTTP/2 connection: streams multiplexed, flow control respected, writes coalesced."""

    protocol = "h2"

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        # our own headers are well-formed: h2's per-header validation is skipped on the way out
        self.conn = PROTOCOL(h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False))
        # duck-typed: h2 only calls encode() and sets header_table_size
        self.conn.encoder = HeaderEncoder()  # type: ignore[assignment]
        self.conn.decoder = HeaderDecoder()
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
        except (asyncio.TimeoutError, Lost, OSError) as exc:
            self.close()
            if not ep.tls:
                return False  # prior knowledge refused: the server does not speak HTTP/2
            # ALPN chose h2: the server speaks it, and this connection failed. A TLS 1.3 server
            # refuses a client certificate after the handshake, with an alert read here, but
            # closing on our unread preface can reset the connection and lose the alert: a
            # connection that writes nothing finds out why.
            if isinstance(exc, Lost) and exc.refused:
                raise
            if not isinstance(exc, asyncio.TimeoutError):
                probed = await tls_probe(ep, timeout)
                if probed is not None and tls_refusal(probed) is not None:
                    raise Lost(str(tls_refusal(probed)), refused=True) from None
            if isinstance(exc, Lost):
                raise
            raise Lost("no HTTP/2 SETTINGS from the server" if isinstance(exc, asyncio.TimeoutError)
                        else str(exc) or type(exc).__name__) from None
        return True

    async def request(self, method: str, path: str, headers: list[tuple[str, str]],
                      body: bytes | None) -> tuple[int, bytes]:
        if self.closed:
            raise Lost("connection closed")
        ep = self.endpoint
        all_headers = [(":method", method), (":scheme", "https" if ep.tls else "http"),
                       (":path", path), *ep.headers, *headers]
        future = asyncio.get_running_loop().create_future()
        try:
            stream_id = self.conn.get_next_available_stream_id()
            self.conn.send_headers(stream_id, all_headers, end_stream=not body)
        except h2.exceptions.ProtocolError as exc:  # e.g. a GOAWAY arrived: no new streams
            self.closed = True
            raise Lost(str(exc)) from None
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
                entry[0].set_exception(Lost(f"stream reset ({event.error_code})"))
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
                    future.set_exception(Lost("GOAWAY"))
            if not self.streams and self._writer is not None:
                self._writer.close()

    def _lose(self, reason: str, refused: bool = False) -> None:
        self.closed = True
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(Lost(reason, refused))
        for future, _ in self.streams.values():
            if not future.done():
                future.set_exception(Lost(reason, refused))
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
