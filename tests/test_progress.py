"""Progress as whoever watches a long run sees it: tqdm bars with rate and ETA on a terminal,
and without one (cron, systemd, a pipe) a plain progress log line per table now and then."""

from __future__ import annotations

import io
import re

import pytest

from procore_ingest.cli.output import ConsoleReporter, progress_line
from procore_ingest.logs import setup_logging
from tests.helpers import execute, query
from tests.test_cli_help import run_module

SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL);
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01' FROM generate_series(1, 60) g;
"""
LINE = re.compile(r"photos: ([\d,]+)/([\d,]+) rows \((\d+)%\), [\d,]+ rows/s, (ETA \d+[smh]|done in \d+[smh])")


@pytest.fixture
def env(pg_url, tmp_path):
    execute(pg_url, SCHEMA)
    return {"PROCORE_DATABASE_URL": pg_url, "VESPA_LOCAL_URL": f"file://{tmp_path}/feed",
            "PROCORE_STATE_DIR": str(tmp_path / "state")}


def progress_lines(stderr: str) -> list[re.Match]:
    return [m for m in map(LINE.search, stderr.splitlines()) if m]


def test_without_a_terminal_progress_is_logged_per_table(env, tmp_path, pg_url):
    total = query(pg_url, "SELECT count(*) FROM photos")[0][0]
    out = run_module("ingest", "--full", "--batch-size", "10", "--processes", "1", cwd=tmp_path,
                     env={**env, "PROCORE_PROGRESS_INTERVAL": "0"})  # a line at every step, not every 10 s
    assert out.returncode == 0, out.stderr
    found = progress_lines(out.stderr)
    assert len(found) >= 2, out.stderr
    done = [int(m.group(1).replace(",", "")) for m in found]
    assert done == sorted(done) and done[-1] == total
    assert all(int(m.group(2).replace(",", "")) == total for m in found)
    assert found[-1].group(4).startswith("done in") and found[-1].group(3) == "100"
    assert "Processing tables:" not in out.stdout and "█" not in out.stdout  # no bar drawn into the pipe
    assert all(line.startswith("INFO: \t ") for line in out.stderr.splitlines() if LINE.search(line))


def test_no_progress_means_no_progress_lines(env, tmp_path):
    out = run_module("ingest", "--full", "--batch-size", "10", "--no-progress", cwd=tmp_path,
                     env={**env, "PROCORE_PROGRESS_INTERVAL": "0"})
    assert out.returncode == 0, out.stderr
    assert progress_lines(out.stderr) == []


def test_lines_come_every_interval_and_at_the_end():
    now = [100.0]
    reporter = ConsoleReporter(io.StringIO(), log_every=10, clock=lambda: now[0])
    assert reporter.log_lines and not reporter.bars  # a StringIO is not a terminal
    log = io.StringIO()
    setup_logging("INFO", stream=log)
    reporter.table_started("photos", 1000)
    for _ in range(4):
        now[0] += 3
        reporter.table_advanced("photos", 100)
    reporter.table_finished("photos")
    logged = [line.split(" \t ")[-1] for line in log.getvalue().splitlines()]
    # one line once 10 s had passed (at 12 s, 400 rows), then the end
    assert logged[0] == "photos: 400/1,000 rows (40%), 33 rows/s, ETA 18s"
    assert logged[1] == "photos: 400/1,000 rows (40%), 33 rows/s, done in 12s" and len(logged) == 2


def test_bars_on_a_terminal_show_rate_and_eta():
    stream = io.StringIO()
    reporter = ConsoleReporter(stream, bars=True)
    reporter.table_started("photos", 50)
    reporter.table_advanced("photos", 20)
    reporter.table_finished("photos")
    text = stream.getvalue()
    assert "20/50 ( 40%)" in text and "50/50" not in text  # the contract's shape
    assert re.search(r"20/50 \( 40%\) [\d,]+ rows/s, ETA \d\d:\d\d", text), text


def test_progress_line_without_a_total():
    assert progress_line("events", 1500, None, 3.0) == "events: 1,500 rows, 500 rows/s"
