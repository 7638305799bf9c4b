"""The streaming feeder: many /document/v1 operations in flight over HTTP/2, with per-operation
outcomes.

    Feeder(url, connections=4).submit(ops) -> Ticket;  ticket.wait() -> [OpOutcome, ...]

The front callers use from any thread: it runs the `Scheduler` (scheduler.py) in one event-loop
thread of its own, started on the first submit, and answers every open ticket on close().
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
import time

from ..throttle import Throttle
from .endpoint import Endpoint
from .ops import CLOSED_MESSAGE, TRANSPORT_ERROR, FeedOp, FeedStats, OpOutcome, Ticket
from .options import FeederOptions
from .scheduler import Pending, Scheduler
from .tls import tls_probe, tls_refusal


class Feeder:
    """Streams operations to one Vespa endpoint. Thread-safe: `submit` from any thread.

    `options`, or its fields as keywords (`Feeder(url, connections=2, token=...)`): a keyword
    overrides the field of `options` (an unknown one is a TypeError)."""

    def __init__(self, url: str, options: FeederOptions | None = None, **knobs: object) -> None:
        options = dataclasses.replace(options or FeederOptions(), **knobs)  # type: ignore[arg-type]
        options = dataclasses.replace(options, connections=max(1, options.connections))
        self.options = options
        self._endpoint = Endpoint.from_url(url, cert_path=options.cert_path, key_path=options.key_path,
                                           token=options.token)
        self.description = options.description or self._endpoint.description
        self.throttle = Throttle(options.min_inflight or 8 * options.connections,
                                 options.max_inflight or 128 * options.connections)
        self._scheduler = Scheduler(self._endpoint, options, self.throttle, self.description,
                                    options.token)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._tickets: set[Ticket] = set()  # submitted and not done: close() settles them

    def submit(self, ops: list[FeedOp]) -> Ticket:
        """Queue `ops`; the ticket is done when every one has a final outcome."""
        ticket = Ticket(len(ops))
        if ops:
            with self._start_lock:
                self._tickets = {t for t in self._tickets if not t.done()}
                self._tickets.add(ticket)
            loop = self._start()
            deadline = time.monotonic() + self.options.retry_budget_s
            pending = [Pending(op, ticket, i, deadline) for i, op in enumerate(ops)]
            loop.call_soon_threadsafe(self._scheduler.enqueue, pending)
        return ticket

    def run(self, ops: list[FeedOp]) -> list[OpOutcome]:
        return self.submit(ops).wait()

    @property
    def stats(self) -> FeedStats:
        s = self._scheduler
        return FeedStats(s.protocol, s.sent, s.retried, s.opened)

    def tls_handshake(self, timeout: float = 5.0) -> str | None:
        """None when this client can open a TLS connection to the endpoint (or it is cleartext);
        else why not, as one line (the server's certificate is not trusted, the client
        certificate is missing, refused or unreadable, nothing listens, ...). For probes that
        fail without saying why."""
        if not self._endpoint.tls:
            return None
        try:
            exc = asyncio.run_coroutine_threadsafe(tls_probe(self._endpoint, timeout),
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
            asyncio.run_coroutine_threadsafe(self._scheduler.shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        if not thread.is_alive():
            loop.close()
        with self._start_lock:
            tickets, self._tickets = self._tickets, set()
            self._loop = self._thread = None
        closed = OpOutcome(TRANSPORT_ERROR, CLOSED_MESSAGE, 0)
        for ticket in tickets:
            ticket.settle_rest(closed)

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._scheduler.restart(loop)
                thread = threading.Thread(target=loop.run_forever, name="vespa-feeder", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop
