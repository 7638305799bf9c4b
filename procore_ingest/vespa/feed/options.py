"""The feeder's knobs, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeederOptions:
    """How the feeder connects, how much it keeps in flight, and how long it tries."""

    connections: int = 4  # HTTP/2 connections (the contract's --workers); x8 over HTTP/1.1
    cert_path: str | None = None  # mTLS client certificate (VESPA_CERT_PATH)
    key_path: str | None = None  # and its key (VESPA_KEY_PATH)
    token: str | None = None  # data-plane token (VESPA_TOKEN), sent as a bearer token
    retry_budget_s: float = 120.0  # from submit to the last retry of an operation
    min_inflight: int | None = None  # the throttle's floor; None: 8 per connection
    max_inflight: int | None = None  # its ceiling; None: 128 per connection
    request_timeout_s: float = 200.0  # one request without an answer: retried like a lost one
    connect_timeout_s: float = 10.0
    full_backoff_s: float = 5.0  # first pause after a 507, doubling to 60 s
    description: str = ""  # how messages name the endpoint; "": scheme://host[:port]
