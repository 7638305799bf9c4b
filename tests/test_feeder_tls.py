"""The feeder's https path against the test server in TLS mode (tests/vespa_server/tls.py): h2 by
ALPN, the HTTP/1.1 fallback, mTLS with VESPA_CERT_PATH/VESPA_KEY_PATH, a token over https, and a
server certificate the client does not trust.

The client trusts the session's private CA through SSL_CERT_FILE (the feeder: Python's ssl, so
OpenSSL's default verify paths) and HTTPR_CA_BUNDLE (pyvespa's httpr client, used by
VespaSink.check and visits); the system store is never touched."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from procore_ingest.documents.record import Document
from procore_ingest.errors import VespaConnectionError
from procore_ingest.state import StateStore
from procore_ingest.vespa.feed import Feeder, document_path
from procore_ingest.vespa.http import VespaAuth, VespaSink
from procore_ingest.vespa.sink import RemoveOp
from tests.helpers import execute, run_script
from tests.test_feeder import DOCTYPE, NS, puts, remove, stored_ids
from tests.vespa_server import VespaServer
from tests.vespa_server.tls import Pki, TlsOptions, make_pki

SECRET = "vespa_cloud_TESTtoken_5f3a9c"


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory) -> Pki:
    """Another CA: its certificates are trusted by nobody here."""
    return make_pki(tmp_path_factory.mktemp("other-pki"), "some other CA")


@pytest.fixture
def trust(pki, monkeypatch) -> dict[str, str]:
    """The client side trusts the test CA (in this process, and for scripts run with the env)."""
    env = {"SSL_CERT_FILE": str(pki.ca), "HTTPR_CA_BUNDLE": str(pki.ca)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def https_server(options: TlsOptions, **kwargs) -> VespaServer:
    return VespaServer(tls=options, **kwargs)


def docs(count: int, prefix: str = "tls:") -> list[Document]:
    return [Document(DOCTYPE, NS, f"{prefix}{i}", {"source_table": "t", "content_text": f"row {i}"},
                     table="t") for i in range(count)]


def feed_and_close(feeder: Feeder, count: int = 20):
    try:
        return feeder.run(puts(count))
    finally:
        feeder.close()


# --- 1. h2 by ALPN -----------------------------------------------------------------------------


def test_https_negotiates_h2_by_alpn_and_puts_and_removes_land(pki, trust):
    with https_server(TlsOptions.for_pki(pki)) as server:
        assert server.url.startswith("https://")
        feeder = Feeder(server.url, connections=2)
        try:
            assert all(o.ok for o in feeder.run(puts(200)))
            assert all(o.ok for o in feeder.run([remove(f"t:{i}") for i in range(50)]))
        finally:
            feeder.close()
        assert feeder.stats.protocol == "h2"
        assert len(stored_ids(server)) == 150
        fed = [r for r in server.requests if r.method in ("POST", "DELETE")]
        assert len(fed) == 250 and {r.protocol for r in fed} == {"HTTP/2"}


def test_vespa_sink_checks_feeds_and_visits_over_https(pki, trust):
    # the probe and the visit go through pyvespa's client (trusting HTTPR_CA_BUNDLE), the feed
    # through the feeder (trusting SSL_CERT_FILE)
    with https_server(TlsOptions.for_pki(pki)) as server:
        sink = VespaSink(server.url, workers=2, auth=VespaAuth())
        try:
            sink.check()
            assert sink.feed(docs(30)).ok == 30
            assert sink.remove([RemoveOp(DOCTYPE, NS, "tls:0", "t")]).ok == 1
            assert sink.list_ids(DOCTYPE, NS, "t") == {f"tls:{i}" for i in range(1, 30)}
        finally:
            sink.close()


def test_check_says_which_variable_pyvespas_client_reads_for_a_private_ca(pki, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))  # the feeder trusts the CA, pyvespa does not
    monkeypatch.delenv("HTTPR_CA_BUNDLE", raising=False)
    with https_server(TlsOptions.for_pki(pki)) as server:
        sink = VespaSink(server.url, auth=VespaAuth())
        try:
            with pytest.raises(VespaConnectionError, match="pyvespa's client reads HTTPR_CA_BUNDLE"):
                sink.check()
        finally:
            sink.close()


# --- 2. a server offering only http/1.1 ------------------------------------------------------------


def test_https_server_offering_only_http11_gets_http11_and_one_log_line(pki, trust, caplog):
    with https_server(TlsOptions.for_pki(pki, alpn=("http/1.1",))) as server, \
            caplog.at_level(logging.WARNING, logger="procore_ingest"):
        feeder = Feeder(server.url, connections=2)
        outcomes = feed_and_close(feeder, 120)
        assert all(o.ok for o in outcomes)
        assert feeder.stats.protocol == "http/1.1"
        assert {r.protocol for r in server.requests if r.method == "POST"} == {"HTTP/1.1"}
        assert server.count(DOCTYPE) == 120
    lines = [r.getMessage() for r in caplog.records if "does not speak HTTP/2" in r.getMessage()]
    assert len(lines) == 1 and server.url in lines[0]


# --- 3. mTLS -------------------------------------------------------------------------------------


def mtls(pki: Pki) -> TlsOptions:
    return TlsOptions.for_pki(pki, client_ca=True)


def test_mtls_with_the_client_certificate_from_the_environment(pki, trust, monkeypatch):
    monkeypatch.setenv("VESPA_CERT_PATH", str(pki.client_cert))
    monkeypatch.setenv("VESPA_KEY_PATH", str(pki.client_key))
    with https_server(mtls(pki)) as server:
        sink = VespaSink(server.url, workers=2, auth=VespaAuth.from_env())
        try:
            sink.check()
            result = sink.feed(docs(40))
        finally:
            sink.close()
        assert result.ok == 40 and not result.failures
        assert sink.feeder.stats.protocol == "h2"
        assert server.count(DOCTYPE) == 40 and server.handshake_failures == []


def test_mtls_without_a_client_certificate_is_refused_with_a_clear_reason(pki, trust, caplog):
    with https_server(mtls(pki)) as server:
        with caplog.at_level(logging.WARNING, logger="procore_ingest"):
            outcomes = feed_and_close(Feeder(server.url, connections=2), 30)
        assert server.count(DOCTYPE) == 0 and server.handshake_failures  # refused by the server
        assert {o.status for o in outcomes} == {599}
        # a refused certificate is final at once, not retried for the whole budget
        assert all(o.attempts == 1 for o in outcomes)
        reasons = {o.message for o in outcomes}
        assert reasons == {f"cannot reach Vespa at {server.url}: the server requires a client "
                           "certificate (set VESPA_CERT_PATH and VESPA_KEY_PATH)"}
        # said once, and not mistaken for a server that does not speak HTTP/2
        assert [r.levelname for r in caplog.records if "client certificate" in r.getMessage()] == ["ERROR"]
        assert "does not speak HTTP/2" not in caplog.text
        sink = VespaSink(server.url, auth=VespaAuth())
        try:
            with pytest.raises(VespaConnectionError, match="requires a client certificate"):
                sink.check()
        finally:
            sink.close()


def test_mtls_with_a_client_certificate_of_another_ca_is_refused(pki, other_pki, trust):
    with https_server(mtls(pki)) as server:
        feeder = Feeder(server.url, connections=1, cert_path=str(other_pki.client_cert),
                        key_path=str(other_pki.client_key))
        outcomes = feed_and_close(feeder, 5)
    assert {o.status for o in outcomes} == {599} and all(o.attempts == 1 for o in outcomes)
    assert {o.message.split(": ", 1)[1] for o in outcomes} == {
        "the server refused the client certificate (signed by a CA it does not know)"}


def test_an_unreadable_client_certificate_is_a_one_line_outcome(pki, trust, tmp_path):
    with https_server(mtls(pki)) as server:
        feeder = Feeder(server.url, connections=1, cert_path=str(tmp_path / "missing.pem"),
                        key_path=str(tmp_path / "missing.key"))
        outcomes = feed_and_close(feeder, 3)
    assert {o.status for o in outcomes} == {599} and all(o.attempts == 1 for o in outcomes)
    message = outcomes[0].message
    # the settings are named, their values not (a key pasted in place of its path would show)
    assert "cannot load the client certificate (VESPA_CERT_PATH / VESPA_KEY_PATH): No such file" in message
    assert "missing" not in message
    assert "\n" not in message


def write_table(pg_url: str, rows: int) -> None:
    execute(pg_url, "CREATE TABLE work_items (id bigint PRIMARY KEY, title text NOT NULL);"
                    f"INSERT INTO work_items SELECT n, 'item ' || n FROM generate_series(1, {rows}) n;")


def ingest(pg_url: str, server: VespaServer, state: Path, env: dict[str, str]):
    return run_script("ingest_database.py", "--full", "--database-url", pg_url, "--vespa-url",
                      server.url, "--state-dir", str(state), "--tables", "work_items",
                      "--no-progress", env=env)


def test_cli_over_mtls_feeds_and_without_the_certificate_exits_2(pg_url, pki, trust, tmp_path):
    write_table(pg_url, 300)
    with https_server(mtls(pki)) as server:
        refused = ingest(pg_url, server, tmp_path / "a", trust)
        assert refused.returncode == 2, refused.stderr  # the contract's Vespa connection error
        assert "Traceback" not in refused.stderr + refused.stdout
        errors = [line for line in refused.stderr.splitlines() if "requires a client certificate" in line]
        assert len(errors) == 1 and server.url in errors[0]
        assert server.count(DOCTYPE) == 0
        env = {**trust, "VESPA_CERT_PATH": str(pki.client_cert), "VESPA_KEY_PATH": str(pki.client_key)}
        result = ingest(pg_url, server, tmp_path / "b", env)
        assert result.returncode == 0, result.stderr
        assert len([i for i in stored_ids(server) if "::work_items:" in i]) == 300
        assert {r.protocol for r in server.requests if r.method == "POST"} == {"HTTP/2"}


# --- 4. a token over https -------------------------------------------------------------------------


def test_a_token_over_https_is_sent_as_bearer_and_feeds(pki, trust, monkeypatch):
    monkeypatch.setenv("VESPA_TOKEN", SECRET)
    with https_server(TlsOptions.for_pki(pki), token=SECRET) as server:
        sink = VespaSink(server.url, workers=2, auth=VespaAuth.from_env())
        try:
            sink.check()
            assert sink.feed(docs(25)).ok == 25
        finally:
            sink.close()
        # the server takes nothing without `Authorization: Bearer <the token>`
        assert server.count(DOCTYPE) == 25
        assert {r.status for r in server.requests if r.method == "POST"} == {200}


def test_a_refused_token_fails_with_401_or_403_and_never_shows(pki, trust, caplog):
    with https_server(TlsOptions.for_pki(pki), token=SECRET) as server, \
            caplog.at_level(logging.DEBUG, logger="procore_ingest"):
        right = VespaSink(server.url, workers=1, auth=VespaAuth(token=SECRET))
        # three puts refused with a message that echoes the token back: it must still never show
        server.fail_next(3, status=403, methods=["POST"], message=f"token {SECRET} is not valid here")
        try:
            echoed = right.feed(docs(5))
        finally:
            right.close()
        wrong = VespaSink(server.url, workers=1, auth=VespaAuth(token="not-" + SECRET))
        try:
            rejected = wrong.feed(docs(2, "wrong:"))
            with pytest.raises(VespaConnectionError) as refused:
                wrong.check()
        finally:
            wrong.close()
        outcomes = feed_and_close(Feeder(server.url, connections=1), 2)  # no token at all
    assert echoed.ok == 2 and [f.status for f in echoed.failures] == [403] * 3
    assert all(f.message == "token *** is not valid here" for f in echoed.failures)
    assert {f.status for f in rejected.failures} == {403} and rejected.ok == 0
    assert "refused the credentials (HTTP 403)" in str(refused.value)
    assert {o.status for o in outcomes} == {401} and all(o.attempts == 1 for o in outcomes)
    shown = " ".join(f.message for f in echoed.failures + rejected.failures) + str(refused.value)
    assert SECRET not in shown + caplog.text
    assert server.count(DOCTYPE) == 2


def test_cli_with_a_token_writes_no_token_to_output_state_or_the_failure_log(pg_url, pki, trust, tmp_path):
    write_table(pg_url, 200)
    with https_server(TlsOptions.for_pki(pki), token=SECRET) as server:
        missing = ingest(pg_url, server, tmp_path / "none", trust)
        assert missing.returncode == 2 and "refused the credentials (HTTP 401)" in missing.stderr
        # three rows rejected with a message that echoes the token: final (403), into the log
        server.fail_next(3, status=403, methods=["POST"], message=f"bad token {SECRET}",
                         path_prefix=document_path(NS, DOCTYPE, "work_items:"))
        result = ingest(pg_url, server, tmp_path / "state", {**trust, "VESPA_TOKEN": SECRET})
    assert result.returncode == 3, result.stderr  # partial failure
    assert len([i for i in stored_ids(server) if "::work_items:" in i]) == 197
    log = StateStore(tmp_path / "state").failure_log(_only_job(tmp_path / "state"))
    lines = log.read_text().splitlines()
    assert len(lines) == 3 and all('"status": 403' in line or '"status":403' in line for line in lines)
    assert all("bad token ***" in line for line in lines)
    everything = result.stdout + result.stderr + missing.stdout + missing.stderr + "".join(
        p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*") if p.is_file())
    assert SECRET not in everything
    assert "Traceback" not in everything


def _only_job(state: Path) -> str:
    (job,) = (state / "jobs").glob("*.json")
    return job.stem


# --- 5. a server certificate the client does not trust ----------------------------------------------


def test_an_untrusted_server_certificate_is_a_clear_one_line_error(pki, other_pki, trust, caplog):
    with https_server(TlsOptions.for_pki(other_pki)) as server:
        with caplog.at_level(logging.WARNING, logger="procore_ingest"):
            outcomes = feed_and_close(Feeder(server.url, connections=2), 10)
        assert {o.status for o in outcomes} == {599} and all(o.attempts == 1 for o in outcomes)
        message = outcomes[0].message
        assert message.startswith(f"cannot reach Vespa at {server.url}: the server's certificate "
                                  "is not trusted (unable to get local issuer certificate)")
        assert "SSL_CERT_FILE" in message and "\n" not in message
        assert server.count(DOCTYPE) == 0 and server.requests == []
        sink = VespaSink(server.url, auth=VespaAuth())
        try:
            with pytest.raises(VespaConnectionError, match="certificate is not trusted"):
                sink.check()
        finally:
            sink.close()


def test_cli_against_an_untrusted_certificate_exits_2_with_one_line(pg_url, other_pki, trust, tmp_path):
    write_table(pg_url, 10)
    with https_server(TlsOptions.for_pki(other_pki)) as server:
        result = ingest(pg_url, server, tmp_path, trust)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert len([line for line in result.stderr.splitlines() if "certificate is not trusted" in line]) == 1
