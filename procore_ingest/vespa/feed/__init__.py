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

Modules, from the caller down: `feeder` (the thread-safe front: submit, tickets, close),
`options` (FeederOptions), `scheduler` (per-id order, in-flight limit, pool, retries, backoff),
`http2` + `http2_headers` (HTTP/2 on h2, with its HPACK codec), `http1` (HTTP/1.1 on h11),
`endpoint` (the URL made into host, TLS contexts and headers), `tls` (refusals and the probe),
`ops` (FeedOp, OpOutcome, Ticket, request bodies).
"""

from .endpoint import Endpoint
from .feeder import Feeder
from .ops import (
    CLOSED_MESSAGE,
    NO_SPACE,
    TRANSPORT_ERROR,
    FeedOp,
    FeedStats,
    OpOutcome,
    Ticket,
    document_path,
)
from .options import FeederOptions
from .tls import tls_refusal

__all__ = ["CLOSED_MESSAGE", "NO_SPACE", "TRANSPORT_ERROR", "Endpoint", "FeedOp", "FeedStats",
           "Feeder", "FeederOptions", "OpOutcome", "Ticket", "document_path", "tls_refusal"]
