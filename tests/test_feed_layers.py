"""The feeder's layers where they meet what they are built on: the HTTP/1.1 fallback on h11
(keep-alive, a timed-out request closing its connection), the stock-h2 fallback when h2 lacks
the private method vespa/feed/http2.py overrides, and the throttle's cap."""

from __future__ import annotations

import h2.connection

from procore_ingest.vespa.feed import Feeder, http2
from procore_ingest.vespa.throttle import Throttle
from tests.test_feeder import DOCTYPE, puts, stored_ids
from tests.vespa_server import VespaServer


def test_http11_connections_are_kept_alive_across_requests():
    with VespaServer(http2=False) as server:
        feeder = Feeder(server.url, connections=1)
        try:
            outcomes = feeder.run(puts(200))
        finally:
            feeder.close()
        assert [o.status for o in outcomes] == [200] * 200
        assert server.count(DOCTYPE) == 200
    # one worker over HTTP/1.1 is a pool of 8 connections; one per request would be 200 here
    assert feeder.stats.protocol == "http/1.1" and feeder.stats.connections_opened <= 8


def test_a_timed_out_http11_request_closes_its_connection_and_the_next_ones_succeed():
    with VespaServer(http2=False) as server:
        server.set_delay(1.0)
        feeder = Feeder(server.url, connections=1, request_timeout_s=0.2, retry_budget_s=0.3)
        try:
            late = feeder.run(puts(3, "late:"))
            opened = feeder.stats.connections_opened
            server.set_delay(0)
            outcomes = feeder.run(puts(20))
        finally:
            feeder.close()
        assert {(o.status, o.message) for o in late} == {(599, f"no answer from Vespa at {server.url} within 0.2s")}
        # a late answer is never read as the next request's: those go on new connections
        assert [o.status for o in outcomes] == [200] * 20
        assert feeder.stats.connections_opened > opened
        assert {f"t:{i}" for i in range(20)} <= {i.split("::", 1)[-1] for i in stored_ids(server)}


def test_the_stock_h2_state_machine_is_used_when_h2_lacks_open_streams():
    assert http2.protocol_class(h2.connection.H2Connection) is http2.CountOnceProtocol
    without = type("H2WithoutOpenStreams", (), {})  # what an h2 release without the method looks like
    assert http2.protocol_class(without) is http2.StockProtocol
    assert "_open_streams" not in vars(http2.StockProtocol)  # h2's own count, every stream


def test_the_feeder_streams_over_stock_h2_too(vespa, monkeypatch):
    monkeypatch.setattr(http2, "PROTOCOL", http2.StockProtocol)
    feeder = Feeder(vespa.url, connections=2, min_inflight=16)
    try:
        outcomes = feeder.run(puts(400))
    finally:
        feeder.close()
    assert [o.status for o in outcomes] == [200] * 400
    assert len(stored_ids(vespa)) == 400
    assert feeder.stats.protocol == "h2" and feeder.stats.connections_opened == 2


def test_a_capped_throttle_starts_at_its_cap_and_never_goes_above():
    throttle = Throttle(32, 512)
    throttle.cap(8)
    assert (throttle.minimum, throttle.maximum, throttle.limit) == (8, 8, 8)
    for _ in range(100):
        throttle.success(0.01)
    assert throttle.limit == 8
    higher = Throttle(2, 16)
    higher.cap(64)  # a cap above the maximum changes nothing but the limit
    assert (higher.minimum, higher.maximum, higher.limit) == (2, 16, 16)
