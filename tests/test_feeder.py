"""The streaming feeder (procore_ingest/vespa/feeder.py) against the strict Vespa protocol server:
HTTP/2 with many operations in flight, the adaptive limit under a 429 storm, retries (503, 504,
507), a GOAWAY mid-batch, a slow server, per-document order, rejected documents, the HTTP/1.1
fallback, and kill -9 mid-stream followed by --resume."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import orjson
import pytest

from procore_ingest.documents.record import Document
from procore_ingest.state import StateStore
from procore_ingest.vespa.feed import Feeder, FeedOp, document_path
from procore_ingest.vespa.http import VespaAuth, VespaSink
from procore_ingest.vespa.sink import RemoveOp
from tests.helpers import ROOT, execute, run_script
from tests.vespa_server import VespaServer

NS = DOCTYPE = "procore_record"


def put(user_id: str, n: int = 0) -> FeedOp:
    body = orjson.dumps({"fields": {"source_table": "t", "content_text": f"row {n}", "doc_id": user_id}})
    return FeedOp(f"id:{NS}:{DOCTYPE}::{user_id}", "POST", document_path(NS, DOCTYPE, user_id), body)


def remove(user_id: str) -> FeedOp:
    return FeedOp(f"id:{NS}:{DOCTYPE}::{user_id}", "DELETE", document_path(NS, DOCTYPE, user_id))


def puts(count: int, prefix: str = "t:") -> list[FeedOp]:
    return [put(f"{prefix}{i}", i) for i in range(count)]


def stored_ids(server: VespaServer) -> set[str]:
    return set(server.documents(DOCTYPE))


@pytest.fixture
def feeder_for():
    made: list[Feeder] = []

    def make(server: VespaServer, **kwargs) -> Feeder:
        kwargs.setdefault("connections", 2)
        kwargs.setdefault("retry_budget_s", 60)
        feeder = Feeder(server.url, **kwargs)
        made.append(feeder)
        return feeder

    yield make
    for feeder in made:
        feeder.close()


def test_operations_stream_over_http2_connections_with_many_in_flight(vespa, feeder_for):
    vespa.set_delay(0.01)
    feeder = feeder_for(vespa, connections=2, min_inflight=16)
    outcomes = feeder.run(puts(400))
    assert all(o.ok for o in outcomes) and len(outcomes) == 400
    assert len(stored_ids(vespa)) == 400
    posts = [r for r in vespa.requests if r.method == "POST"]
    assert len(posts) == 400 and {r.protocol for r in posts} == {"HTTP/2"}
    assert feeder.stats.protocol == "h2" and feeder.stats.connections_opened == 2
    assert feeder.throttle.limit >= 16


def test_a_429_storm_cuts_the_in_flight_limit_and_it_grows_back(vespa, feeder_for):
    feeder = feeder_for(vespa, min_inflight=2, max_inflight=64)
    assert all(o.ok for o in feeder.run(puts(600, "warm:")))
    before = feeder.throttle.limit
    assert before > 2  # grew while answers were good
    seen = len(feeder.throttle.history)
    vespa.fail_next(150, status=429, methods=["POST"])
    outcomes = feeder.run(puts(1500, "storm:"))
    assert all(o.ok for o in outcomes)
    assert len(stored_ids(vespa)) == 2100
    changes = feeder.throttle.history[seen:]
    cuts = [i for i, c in enumerate(changes) if c.reason == "throttled"]
    assert cuts and all(changes[i].status == 429 for i in cuts)
    lowest = min(c.limit for c in changes)
    assert lowest < before  # adapted down ...
    assert any(c.reason in ("grow", "probe") for c in changes[cuts[-1]:])  # ... and back up
    assert feeder.throttle.limit > lowest
    assert sum(o.attempts - 1 for o in outcomes) == 150  # each 429 retried once, nothing else


def test_503_and_504_are_retried_until_ok(vespa, feeder_for):
    vespa.fail_next(20, status=503, methods=["POST"])
    vespa.fail_next(20, status=504, methods=["POST"])
    outcomes = feeder_for(vespa).run(puts(100))
    assert all(o.ok for o in outcomes)
    statuses = Counter(vespa.statuses("POST"))
    assert statuses[503] == 20 and statuses[504] == 20 and statuses[200] == 100
    assert len(stored_ids(vespa)) == 100


def test_507_warns_once_that_a_content_node_is_full_and_retries(vespa, feeder_for, caplog):
    vespa.fail_next(6, status=507, methods=["POST"])
    with caplog.at_level(logging.WARNING, logger="procore_ingest"):
        outcomes = feeder_for(vespa, full_backoff_s=0.05).run(puts(30))
    assert all(o.ok for o in outcomes) and len(stored_ids(vespa)) == 30
    full = [r.getMessage() for r in caplog.records if "feed blocked: a content node is full" in r.getMessage()]
    assert len(full) == 1 and "507" in full[0]


def test_507_beyond_the_budget_is_a_failure_with_vespas_message(vespa, feeder_for):
    vespa.set_outage(507, methods=["POST"], path_prefix="/document/v1/")
    outcomes = feeder_for(vespa, retry_budget_s=0.5, full_backoff_s=0.1).run(puts(3))
    assert [o.status for o in outcomes] == [507, 507, 507]
    assert all("diskLimitReached" in o.message for o in outcomes)


def test_goaway_mid_batch_resends_only_unanswered_operations(vespa, feeder_for):
    vespa.set_delay(0.002)
    vespa.goaway_after(120)
    feeder = feeder_for(vespa, connections=2, min_inflight=32)
    outcomes = feeder.run(puts(500))
    assert all(o.ok for o in outcomes) and len(stored_ids(vespa)) == 500  # nothing lost
    processed = Counter(r.doc_id for r in vespa.requests if r.method == "POST")
    assert set(processed.values()) == {1}  # nothing answered was sent again
    assert feeder.stats.connections_opened > 2  # the closed connection was replaced
    assert sum(o.attempts > 1 for o in outcomes) > 0  # some had no answer and went again


def test_a_slow_server_gets_every_operation_once(vespa, feeder_for):
    vespa.set_delay(0.1)
    feeder = feeder_for(vespa, connections=1, min_inflight=8, max_inflight=32)
    outcomes = feeder.run(puts(200))
    assert all(o.ok and o.attempts == 1 for o in outcomes)
    assert len([r for r in vespa.requests if r.method == "POST"]) == 200
    assert 8 <= feeder.throttle.limit <= 32


def test_put_then_remove_of_one_id_across_batches_arrive_in_order(vespa, feeder_for):
    target = "order:1"
    # the put is throttled three times: the remove queued behind it must wait for it
    vespa.fail_next(3, status=429, methods=["POST"],
                    path_prefix=document_path(NS, DOCTYPE, target))
    feeder = feeder_for(vespa, min_inflight=16)
    first = feeder.submit([put(target), *puts(50)])
    second = feeder.submit([remove(target), put("order:2")])
    assert all(o.ok for o in first.wait()) and all(o.ok for o in second.wait())
    assert f"id:{NS}:{DOCTYPE}::{target}" not in stored_ids(vespa)
    seen = [(r.method, r.status) for r in vespa.requests if r.doc_id == f"id:{NS}:{DOCTYPE}::{target}"]
    assert seen == [("POST", 429)] * 3 + [("POST", 200), ("DELETE", 200)]


def test_a_rejected_document_fails_at_once_with_vespas_message(vespa):
    sink = VespaSink(vespa.url, workers=2, auth=VespaAuth())
    try:
        docs = [Document(DOCTYPE, NS, f"r:{i}", {"source_table": "r", "content_text": "ok"}, table="r")
                for i in range(20)]
        docs.append(Document(DOCTYPE, NS, "r:bad", {"no_such_field": 1}, table="r"))
        result = sink.feed(docs)
        assert result.ok == 20 and len(result.failures) == 1
        failure = result.failures[0]
        assert failure.id == "r:bad" and failure.status == 400 and "no_such_field" in failure.message
        assert sum(1 for r in vespa.requests if r.doc_id and r.doc_id.endswith("::r:bad")) == 1
        removed = sink.remove([RemoveOp(DOCTYPE, NS, f"r:{i}", "r") for i in range(5)])
        assert removed.ok == 5 and vespa.count(DOCTYPE) == 15
    finally:
        sink.close()


def test_a_server_without_http2_gets_http11_and_one_log_line(caplog):
    with VespaServer(http2=False) as server, caplog.at_level(logging.WARNING, logger="procore_ingest"):
        feeder = Feeder(server.url, connections=2)
        try:
            assert all(o.ok for o in feeder.run(puts(120)))
        finally:
            feeder.close()
        assert feeder.stats.protocol == "http/1.1"
        assert {r.protocol for r in server.requests if r.method == "POST"} == {"HTTP/1.1"}
        assert server.count(DOCTYPE) == 120
    lines = [r.getMessage() for r in caplog.records if "does not speak HTTP/2" in r.getMessage()]
    assert len(lines) == 1


def unreachable_outcomes(count: int) -> list:
    """`count` puts fed to a port nobody listens on, with a half-second retry budget."""
    feeder = Feeder("http://127.0.0.1:1", connections=2, retry_budget_s=0.5, connect_timeout_s=0.5)
    try:
        return feeder.run(puts(count))
    finally:
        feeder.close()


def test_unreachable_vespa_fails_every_operation_within_the_budget():
    outcomes = unreachable_outcomes(5)
    assert [o.status for o in outcomes] == [599] * 5
    assert all("cannot reach Vespa at http://127.0.0.1:1" in o.message for o in outcomes)


def test_unreachable_vespa_answers_every_queued_operation_at_each_failed_connect():
    # one answer per failed connect would leave a batch waiting (backoff + connect timeout) per
    # operation, hours for a batch; each queued operation gets its attempt and its own backoff
    outcomes = unreachable_outcomes(300)
    assert [o.status for o in outcomes] == [599] * 300
    assert all(o.attempts >= 1 for o in outcomes)


# --- kill -9 mid-stream, then --resume --------------------------------------------------------


ROWS = 3000


def _job(state: Path) -> dict | None:
    for path in (state / "jobs").glob("*.json") if (state / "jobs").exists() else []:
        try:
            return json.loads(path.read_text())
        except ValueError:
            return None
    return None


def test_kill_9_mid_stream_then_resume_loses_nothing(pg_url, vespa, tmp_path):
    execute(pg_url, f"CREATE TABLE work_items (id bigint PRIMARY KEY, title text NOT NULL);"
                    f"INSERT INTO work_items SELECT n, 'item ' || n FROM generate_series(1, {ROWS}) n;")
    vespa.set_delay(0.003)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "ingest_database.py"), "--full", "--database-url", pg_url,
         "--vespa-url", vespa.url, "--state-dir", str(tmp_path), "--tables", "work_items",
         "--batch-size", "250", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    job = None
    while time.monotonic() < deadline:
        job = _job(tmp_path)
        if job and job["tables"].get("work_items", {}).get("rows_read", 0) >= 750:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    assert job is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    vespa.set_delay(0)
    killed = StateStore(tmp_path).load_job(job["job_id"])
    assert killed.status == "running" and 0 < killed.tables["work_items"].rows_read < ROWS
    checkpoint = killed.tables["work_items"].rows_read
    # everything the checkpoint counts was acknowledged by Vespa before it was written
    assert len([i for i in stored_ids(vespa) if "::work_items:" in i]) >= checkpoint
    result = run_script("ingest_database.py", "--resume", job["job_id"], "--database-url", pg_url,
                        "--vespa-url", vespa.url, "--state-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    ids = [i for i in stored_ids(vespa) if "::work_items:" in i]
    assert len(ids) == ROWS  # 0 lost, and one document per row (no duplicates)
    done = StateStore(tmp_path).load_job(job["job_id"])
    assert done.status == "completed" and done.tables["work_items"].rows_read == ROWS
    assert done.tables["work_items"].indexed == ROWS


def test_kill_9_while_batches_stream_in_parts_then_resume_loses_nothing(pg_url, vespa, tmp_path):
    # Worker processes hand a batch of 2,500 rows over as ranges of 1,000 + 1,000 + 500, each
    # sent on at once. One row of the second batch's last range is refused (503, retried), so
    # the ranges before it and after it are acknowledged while that batch cannot settle: the
    # checkpoint must stay at the first batch's end.
    # Row 2600 (the second batch's first range) is refused for good (400): it belongs in the
    # failure log once, with the checkpoint of its batch, however often the batch is sent.
    rows, batch, held_back, refused = 12_000, 2500, 4800, 2600
    execute(pg_url, f"CREATE TABLE work_parts (id bigint PRIMARY KEY, title text NOT NULL);"
                    f"INSERT INTO work_parts SELECT n, 'part ' || n FROM generate_series(1, {rows}) n;")
    vespa.reject_ids(lambda user_id: user_id == f"work_parts:{held_back}", status=503)
    vespa.reject_ids(lambda user_id: user_id == f"work_parts:{refused}", status=400)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_"))}
    argv = ["--database-url", pg_url, "--vespa-url", vespa.url, "--state-dir", str(tmp_path)]
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "ingest_database.py"), "--full", *argv, "--tables", "work_parts",
         "--batch-size", str(batch), "--processes", "2", "--retry-budget", "60", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    second_batch_but_last_range = {f"id:{NS}:{DOCTYPE}::work_parts:{n}" for n in range(batch + 1, 4501)
                                   if n != refused}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not second_batch_but_last_range <= stored_ids(vespa):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.5)  # a checkpoint written for those ranges would be on disk by now
    job = _job(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert job is not None
    killed = StateStore(tmp_path).load_job(job["job_id"]).tables["work_parts"]
    assert (killed.rows_read, killed.indexed, killed.last_key) == (batch, batch, [batch])
    failure_log = StateStore(tmp_path).failure_log(job["job_id"])
    assert not failure_log.exists()  # row 2600's batch has no checkpoint yet
    vespa.clear_faults()
    vespa.reject_ids(lambda user_id: user_id == f"work_parts:{refused}", status=400)
    result = run_script("ingest_database.py", "--resume", job["job_id"], *argv)
    assert result.returncode == 3, result.stderr  # done, but one row is not in the index
    assert len([i for i in stored_ids(vespa) if "::work_parts:" in i]) == rows - 1  # 0 lost, no duplicates
    done = StateStore(tmp_path).load_job(job["job_id"]).tables["work_parts"]
    assert done.status == "completed" and (done.rows_read, done.indexed, done.failed) == (rows, rows - 1, 1)
    logged = [json.loads(line)["id"] for line in failure_log.read_text().splitlines()]
    assert logged == [f"work_parts:{refused}"]


def test_a_cancel_while_a_batch_streams_finishes_that_batch_and_resume_completes(pg_url, vespa, tmp_path):
    # As the CLI does on SIGTERM: the batch being sent (here, in three ranges) is read to its
    # end and answered, its checkpoint written, and nothing after it is read.
    import threading

    from procore_ingest.pipeline.ingest import IngestOptions, resume, run_full

    rows, batch, held_back = 12_000, 2500, 4800
    execute(pg_url, f"CREATE TABLE cancel_parts (id bigint PRIMARY KEY, title text NOT NULL);"
                    f"INSERT INTO cancel_parts SELECT n, 'part ' || n FROM generate_series(1, {rows}) n;")
    vespa.reject_ids(lambda user_id: user_id == f"cancel_parts:{held_back}", status=503)
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, tables=["cancel_parts"],
                            state_dir=str(tmp_path), batch_size=batch, processes=2, retry_budget_s=60)
    cancel = threading.Event()
    first_ranges = {f"id:{NS}:{DOCTYPE}::cancel_parts:{n}" for n in range(batch + 1, 4501)}

    def cancel_mid_batch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not first_ranges <= stored_ids(vespa):
            time.sleep(0.01)
        cancel.set()  # the second batch is part-way answered: its last range is held back
        vespa.clear_faults()

    helper = threading.Thread(target=cancel_mid_batch)
    helper.start()
    result = run_full(options, cancel=cancel)
    helper.join()
    table = result.tables["cancel_parts"]
    assert result.status == "cancelled"
    assert table.rows_read % batch == 0 and 2 * batch <= table.rows_read < rows
    assert table.indexed == table.rows_read == len([i for i in stored_ids(vespa) if "::cancel_parts:" in i])
    done = resume(result.job_id, IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path)))
    assert done.status == "completed" and done.tables["cancel_parts"].indexed == rows
    assert len([i for i in stored_ids(vespa) if "::cancel_parts:" in i]) == rows


def test_a_keyless_table_started_over_on_resume_counts_its_soft_deleted_rows_once(pg_url, vespa, tmp_path):
    import threading

    from procore_ingest.pipeline.ingest import IngestOptions, resume, run_full

    rows = 3000
    execute(pg_url, "CREATE TABLE keyless_soft (n bigint, title text, deleted_at timestamptz);"
                    "INSERT INTO keyless_soft SELECT n, 't' || n, CASE WHEN n % 10 = 0 THEN now() END "
                    f"FROM generate_series(1, {rows}) n;")
    vespa.set_delay(0.002)
    cancel = threading.Event()

    def cancel_part_way() -> None:
        deadline = time.monotonic() + 60
        while len(stored_ids(vespa)) < 500 and time.monotonic() < deadline:
            time.sleep(0.01)
        cancel.set()

    helper = threading.Thread(target=cancel_part_way)
    helper.start()
    first = run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, tables=["keyless_soft"],
                                   state_dir=str(tmp_path), batch_size=200), cancel=cancel)
    helper.join()
    vespa.set_delay(0)
    assert first.status == "cancelled" and first.tables["keyless_soft"].soft_deleted > 0
    done = resume(first.job_id, IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path)))
    table = done.tables["keyless_soft"]  # no key to resume from: the table was read again from the start
    assert (table.rows_read, table.indexed, table.soft_deleted) == (rows, rows - rows // 10, rows // 10)


def test_a_private_key_given_in_place_of_its_path_is_refused_without_showing_it(pg_url, vespa, tmp_path):
    from procore_ingest.errors import ConfigError

    key = "-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgS3CR3T\\n-----END PRIVATE KEY-----"
    cert = tmp_path / "client.pem"
    cert.write_text("not read: the key is refused first")
    https = vespa.url.replace("http://", "https://")
    with pytest.raises(ConfigError) as refused:
        VespaSink(https, auth=VespaAuth(str(cert), key))
    assert str(refused.value) == "VESPA_KEY_PATH must be the path of a PEM file, not its contents"
    with pytest.raises(ConfigError) as missing:
        VespaSink(https, auth=VespaAuth(str(cert), str(tmp_path / "absent.key")))
    assert str(missing.value) == f"VESPA_KEY_PATH is not a readable file: {tmp_path / 'absent.key'}"
    result = run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url", https,
                        "--state-dir", str(tmp_path / "state"), "--no-progress",
                        env={"VESPA_CERT_PATH": str(cert), "VESPA_KEY_PATH": key})
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # a setting is wrong
    assert "VESPA_KEY_PATH must be the path of a PEM file, not its contents" in result.stderr
    assert "MIGHAgEA" not in output and "Traceback" not in output
    assert "MIGHAgEA" not in "".join(p.read_text() for p in (tmp_path / "state").rglob("*") if p.is_file())


def test_a_token_never_shows_in_outcomes_or_logs(caplog):
    secret = "vespa_cloud_s3cretTOKEN"
    with caplog.at_level(logging.DEBUG, logger="procore_ingest"):
        feeder = Feeder("http://127.0.0.1:1", connections=1, token=secret, retry_budget_s=0.3,
                        connect_timeout_s=0.3)
        try:
            outcomes = feeder.run(puts(3))
        finally:
            feeder.close()
    assert all(o.status == 599 for o in outcomes)
    assert secret not in " ".join(o.message for o in outcomes) + caplog.text


# --- every operation gets a final outcome, whatever happens ----------------------------------


def test_an_operation_whose_body_cannot_be_made_still_gets_an_outcome(vespa, feeder_for):
    def broken() -> bytes:
        raise TypeError("Type is not JSON serializable: Decimal")

    ops = [*puts(10), FeedOp(f"id:{NS}:{DOCTYPE}::bad", "POST", document_path(NS, DOCTYPE, "bad"),
                             body_of=broken), *puts(10, "after:")]
    outcomes = feeder_for(vespa).submit(ops).wait(timeout=30)
    bad = outcomes[10]
    assert bad.status == 599 and bad.attempts == 1  # final at once: it would fail again
    assert bad.message == "not sent: its body could not be made (TypeError: Type is not JSON serializable: Decimal)"
    assert all(o.ok for i, o in enumerate(outcomes) if i != 10) and len(stored_ids(vespa)) == 20


def test_an_unforeseen_failure_while_connecting_still_settles_every_operation(vespa, monkeypatch):
    import h2.connection

    original = h2.connection.H2Connection.initiate_connection

    def boom(self):
        if self.config.client_side:  # the server in this process uses h2 too
            raise RuntimeError("boom")
        return original(self)

    monkeypatch.setattr(h2.connection.H2Connection, "initiate_connection", boom)
    feeder = Feeder(vespa.url, connections=2, retry_budget_s=0.5)
    try:
        outcomes = feeder.submit(puts(20)).wait(timeout=30)
    finally:
        feeder.close()
    assert [o.status for o in outcomes] == [599] * 20
    assert {o.message for o in outcomes} == {f"cannot reach Vespa at {vespa.url}: RuntimeError: boom"}


def test_close_settles_every_operation_in_flight_or_queued(vespa):
    vespa.set_delay(1.0)
    feeder = Feeder(vespa.url, connections=1, min_inflight=2, max_inflight=2)
    # two in flight at most: the rest queue, and the second put of each id waits behind the first
    tickets = [feeder.submit(puts(10)), feeder.submit(puts(10))]
    feeder.close()
    outcomes = [o for t in tickets for o in t.wait(timeout=30)]
    assert len(outcomes) == 20
    assert {(o.status, o.message) for o in outcomes} == {(599, "feeder closed before this operation had an answer")}
    # the feeder can be used again, and nothing of the closed run holds an id back
    vespa.set_delay(0)
    try:
        assert all(o.ok for o in feeder.run(puts(10)))
    finally:
        feeder.close()
    assert len(stored_ids(vespa)) == 10


def test_a_timed_out_http2_request_is_cancelled_with_rst_stream(vespa):
    vespa.set_delay(2.0)
    feeder = Feeder(vespa.url, connections=1, request_timeout_s=0.2, retry_budget_s=0.3)
    try:
        outcomes = feeder.run(puts(3))
    finally:
        feeder.close()
    assert {o.message for o in outcomes} == {f"no answer from Vespa at {vespa.url} within 0.2s"}
    assert {o.status for o in outcomes} == {599}
    # each timed-out stream was reset with CANCEL (8), so the server could drop it
    sent = sum(o.attempts for o in outcomes)
    deadline = time.monotonic() + 10  # the server's thread reads the last reset on its own time
    while len(vespa.stream_resets) < sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert vespa.stream_resets == [8] * sent


def ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")
@pytest.mark.parametrize("http2", [True, False], ids=["h2", "http1.1"])
def test_an_ipv6_literal_host_keeps_its_brackets(http2):
    with VespaServer(host="::1", http2=http2) as server:
        assert server.url.startswith("http://[::1]:")
        feeder = Feeder(server.url, connections=1)
        try:
            outcomes = feeder.run(puts(20))
        finally:
            feeder.close()
        assert [o.status for o in outcomes] == [200] * 20, outcomes[0].message
        assert server.count(DOCTYPE) == 20
        assert feeder.description == server.url


def test_a_password_in_the_vespa_url_is_refused_at_start_and_never_shown(vespa):
    from procore_ingest.errors import VespaConnectionError

    url = vespa.url.replace("http://", "http://feeder:pa55word@")
    with pytest.raises(VespaConnectionError) as refused:
        Feeder(url)
    message = str(refused.value)
    assert "pa55word" not in message and "\n" not in message
    assert message.startswith(f"the Vespa URL {vespa.url.replace('http://', 'http://***@')} has a user name or password")
    with pytest.raises(VespaConnectionError):
        VespaSink(url)
    # a token pasted as the user name is not shown either
    token = "vespa_cloud_S3CRETtoken"
    with pytest.raises(VespaConnectionError) as refused:
        VespaSink(vespa.url.replace("http://", f"http://{token}@"))
    assert token not in str(refused.value)


def test_cli_refuses_a_password_in_the_vespa_url_with_one_line(pg_url, vespa, tmp_path):
    execute(pg_url, "CREATE TABLE work_items (id bigint PRIMARY KEY, title text);"
                    "INSERT INTO work_items VALUES (1, 'a');")
    url = vespa.url.replace("http://", "http://feeder:pa55word@")
    result = run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url", url,
                        "--state-dir", str(tmp_path), "--no-progress")
    assert result.returncode == 2, result.stderr  # the contract's Vespa connection error
    output = result.stdout + result.stderr
    assert "pa55word" not in output and "Traceback" not in output
    assert len([line for line in result.stderr.splitlines() if "has a user name or password" in line]) == 1
    assert vespa.requests == []
