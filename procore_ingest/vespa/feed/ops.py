"""What the feeder is given and what it gives back: operations (`FeedOp`), their outcomes
(`OpOutcome`), the ticket a batch waits on (`Ticket`), and how an operation becomes a request
body and Vespa's answer a message."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import orjson

TRANSPORT_ERROR = 599  # no HTTP answer: connection refused, lost, reset or timed out
NO_SPACE = 507
GZIP_ABOVE_BYTES = 1024  # pyvespa's "auto" compression threshold
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

    def settle(self, index: int, outcome: OpOutcome) -> None:
        """The feeder's: operation `index` is final (a second outcome for it is ignored)."""
        with self._lock:
            if self.outcomes[index] is not None:
                return
            self.outcomes[index] = outcome
            self._left -= 1
            if self._left == 0:
                self._done.set()

    def settle_rest(self, outcome: OpOutcome) -> None:
        """The feeder's: every operation without an outcome gets `outcome` (the feeder closed)."""
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


def request_body(op: FeedOp) -> tuple[list[tuple[str, str]], bytes | None]:
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


def vespa_message(data: bytes) -> str:
    """Vespa's message in an answer's body (not cut: the caller scrubs it first, then cuts)."""
    try:
        body = orjson.loads(data) if data else {}
    except orjson.JSONDecodeError:
        return data[:65536].decode("utf-8", "replace")
    if not isinstance(body, dict):
        return ""
    return str(body.get("message") or body.get("Exception") or "")
