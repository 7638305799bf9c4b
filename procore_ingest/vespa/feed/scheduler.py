"""The feeder's core, owned by its event loop: per-id queues (operations on one document never
overtake each other), the in-flight limit, the connection pool (HTTP/2, or HTTP/1.1 when the
server will not speak it), retries with backoff within the budget, and their log lines."""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ...config import scrub
from ...logs import logger
from ..sink import RETRIABLE
from ..throttle import Throttle
from .endpoint import Endpoint, Lost
from .http1 import H1Connection
from .http2 import H2Connection
from .ops import NO_SPACE, TRANSPORT_ERROR, FeedOp, OpOutcome, Ticket, request_body, vespa_message
from .options import FeederOptions
from .tls import tls_refusal

H1_CONNECTIONS_PER_WORKER = 8  # HTTP/1.1 has one request per connection in flight


@dataclass
class Pending:
    """One operation on its way: its ticket and place in it, its retry deadline, what it got."""

    op: FeedOp
    ticket: Ticket
    index: int
    deadline: float
    attempts: int = 0
    last: tuple[int, str] = (TRANSPORT_ERROR, "not sent")


def backoff(attempt: int, base: float, cap: float, jitter: Callable[[], float] = random.random) -> float:
    """Exponential backoff with jitter (0.5x to 1.5x): `base` doubling per attempt up to `cap`
    (0.1 s to 10 s for throttling and lost connections; for 507, 5 s to 60 s)."""
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + jitter())


class Scheduler:
    """Sends what the throttle and the connections allow; every operation ends with one final
    outcome on its ticket. Not thread-safe: only its event loop calls it (`restart` aside)."""

    def __init__(self, endpoint: Endpoint, options: FeederOptions, throttle: Throttle, description: str,
                 secret: str | None) -> None:
        self.endpoint = endpoint
        self.options = options
        self.throttle = throttle
        self.description = description
        self.secret = secret
        self.protocol = ""
        self.sent = self.retried = self.opened = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._conns: list[H2Connection | H1Connection] = []
        self._opening = 0
        self._ready: deque[Pending] = deque()
        # key -> operations behind its head (None: none yet; most keys never get a second one,
        # and an empty deque is ~600 bytes a queued operation)
        self._waiting: dict[str, deque[Pending] | None] = {}
        self._in_flight = 0
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
        self._tasks: set[asyncio.Task] = set()
        self._closing = False

    def restart(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run on `loop` (new, not running yet) from empty queues: a run after close() starts
        clean even if the closed run's loop did not stop in time to clear its own, so nothing
        of it may hold an id back."""
        self._ready, self._waiting, self._conns, self._tasks = deque(), {}, [], set()
        self._in_flight = self._opening = 0
        self._reconnect_scheduled = False
        self.loop = loop
        self._closing = False

    async def shutdown(self) -> None:
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

    def enqueue(self, pending: list[Pending]) -> None:
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
        assert self.loop is not None
        task = self.loop.create_task(coro)
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

    def _pick(self) -> H2Connection | H1Connection | None:
        self._conns = [c for c in self._conns if not c.closed]
        best = None
        for conn in self._conns:
            if conn.active < conn.capacity and (best is None or conn.active < best.active):
                best = conn
        return best

    def _pool_size(self) -> int:
        return self.options.connections * (H1_CONNECTIONS_PER_WORKER if self.protocol == "http/1.1" else 1)

    def _grow_pool(self) -> None:
        """Open connections up to the pool's size (one at a time until the protocol is known,
        or while connecting fails)."""
        self._conns = [c for c in self._conns if not c.closed]
        wait = self._reconnect_at - time.monotonic()
        if wait > 0:
            if self._opening == 0 and not self._reconnect_scheduled:
                self._reconnect_scheduled = True
                assert self.loop is not None
                self.loop.call_later(wait, self._reconnect)
            return
        missing = self._pool_size() - len(self._conns) - self._opening
        one_at_a_time = not self.protocol or self._connect_failures > 0
        for _ in range(min(missing, 1 - self._opening) if one_at_a_time else missing):
            self._opening += 1
            self._spawn(self._connect())

    async def _connect(self) -> None:
        connect_timeout_s = self.options.connect_timeout_s
        try:
            conn: H2Connection | H1Connection
            if self.protocol == "http/1.1":
                conn = H1Connection(self.endpoint)
                await conn.open(connect_timeout_s)
            else:
                conn = H2Connection(self.endpoint)
                if not await conn.open(connect_timeout_s):
                    if self.protocol == "h2":  # spoke h2 before: a failed handshake, not a refusal
                        raise Lost("HTTP/2 handshake failed")
                    self.protocol = "http/1.1"
                    logger.warning("Vespa at %s does not speak HTTP/2; feeding over HTTP/1.1 with %d "
                                   "connections", self.description, self._pool_size())
                    self.throttle.cap(self._pool_size())  # one request per connection in flight
                    conn = H1Connection(self.endpoint)
                    await conn.open(connect_timeout_s)
                self.protocol = self.protocol or "h2"
            self.opened += 1
            self._connect_failures = 0
            self._conns.append(conn)
        except Exception as exc:  # unforeseen ones too (h2 state, a bug): no operation may strand
            # nothing to send on: the next operation in line gets a transport error and its
            # backoff, and the next attempt to connect waits too
            self._connect_failures += 1
            self._reconnect_at = time.monotonic() + backoff(self._connect_failures, 0.1, 5.0)
            # With no live connection, every queued operation gets that answer (each then waits
            # its own backoff, or ends when its retry budget is spent): answering one per attempt
            # would keep a batch waiting connect timeout x operations.
            # A TLS refusal (trust, client certificate) before Vespa ever answered is a wrong
            # setup, final for every queued operation: retrying it for the whole budget would
            # only make the user wait. After an answer it is retried like any failed connect.
            refused = (exc.refused if isinstance(exc, Lost) else tls_refusal(exc) is not None) and not self._answered
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
        if text is None and isinstance(exc, (OSError, Lost, asyncio.TimeoutError)):
            text = str(exc) or type(exc).__name__
        elif text is None:  # unforeseen: its type says more than its text
            text = f"{type(exc).__name__}: {exc}"
        return self._one_line(f"cannot reach Vespa at {self.description}: {text}")

    async def _send(self, conn: H2Connection | H1Connection, p: Pending) -> None:
        if p.attempts and time.monotonic() > p.deadline:  # its budget ran out while it queued
            conn.active -= 1
            self._answer(p, *p.last, 0.0, final=True)
            return
        p.attempts += 1
        self.sent += 1
        op = p.op
        try:
            headers, body = request_body(op)
        except Exception as exc:  # the caller's body_of failed: it would fail again, so final now
            conn.active -= 1
            self._answer(p, TRANSPORT_ERROR, self._one_line(
                f"not sent: its body could not be made ({type(exc).__name__}: {exc})"), 0.0, final=True)
            return
        started = time.monotonic()
        final = False
        request_timeout_s = self.options.request_timeout_s
        try:
            status, data = await asyncio.wait_for(conn.request(op.method, op.path, headers, body),
                                                  request_timeout_s)
            message = vespa_message(data) if status != 200 else ""
            self._answered = True
        except asyncio.TimeoutError:  # retried like a lost one, within the budget (see the top of _send)
            status, message = TRANSPORT_ERROR, (f"no answer from Vespa at {self.description} within "
                                                f"{request_timeout_s:g}s")
        except (Lost, OSError) as exc:
            status, message = TRANSPORT_ERROR, self._reason(exc)
            final = (isinstance(exc, Lost) and exc.refused or tls_refusal(exc) is not None) and not self._answered
        except Exception as exc:  # not foreseen (h2 state, a bug): the connection is suspect,
            conn.close()          # the operation is retried like a lost one and still gets an outcome
            status, message = TRANSPORT_ERROR, self._one_line(
                f"sending to Vespa at {self.description} failed ({type(exc).__name__}: {exc})")
        finally:
            conn.active -= 1
        # scrubbed before it is cut: a token that straddled the cut would leave a prefix behind
        message = scrub(message, self.secret)
        self._answer(p, status, message[:1000], time.monotonic() - started, final)

    def _one_line(self, text: str) -> str:
        return (scrub(text, self.secret).splitlines() or [""])[0][:1000]

    def _answer(self, p: Pending, status: int, message: str, latency: float,
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
            pause = backoff(p.attempts, self.options.full_backoff_s if status == NO_SPACE else 0.1,
                            60.0 if status == NO_SPACE else 10.0)
            if time.monotonic() + pause > p.deadline:
                self._final(p)
            else:
                self._note_retry(status, message)
                self.retried += 1
                assert self.loop is not None
                self.loop.call_later(pause, self._retry, p)
        else:
            self._final(p)
        self._pump()

    def _retry(self, p: Pending) -> None:
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

    def _final(self, p: Pending) -> None:
        status, message = p.last
        p.ticket.settle(p.index, OpOutcome(status, message or (f"HTTP {status}" if status != 200 else ""),
                                           p.attempts))
        queue = self._waiting.get(p.op.key)
        if queue:
            self._ready.append(queue.popleft())  # the next operation on this document may go
        else:
            self._waiting.pop(p.op.key, None)
