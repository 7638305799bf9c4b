"""What `--help`, `--version` and `python -m procore_ingest` show a newcomer: every default, the
exit codes, examples, the version from the package metadata."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

COMMANDS = ("discover", "ingest", "sync")


def run_module(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m procore_ingest ARGS` from `cwd` with this checkout first and no PROCORE_/VESPA_/LOG_ settings."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("PROCORE_", "VESPA_", "AWS_", "LOG_"))}
    full.update({"PYTHONPATH": str(ROOT), "COLUMNS": "100", **(env or {})})
    return subprocess.run([sys.executable, "-m", "procore_ingest", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=120)


def help_text(command: str, tmp_path: Path) -> str:
    out = run_module(command, "--help", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())  # argparse wraps lines anywhere: compare words


@pytest.mark.parametrize("command, defaults", [
    ("sync", ["--batch-size N records per batch (default: 1000", "(default: 300; env PROCORE_SYNC_INTERVAL)",
              "(default: 4; env PROCORE_SYNC_WORKERS)", "/tmp/procore-sync.pid", "(default: text)"]),
    ("ingest", ["(default: 10000)", "HTTP/2 connections to Vespa", "(default: 4)", "(default: 120)"]),
    ("discover", ["report format (default: json)", "(default: stdout)"]),
])
def test_help_shows_defaults_groups_exit_codes_and_examples(command, defaults, tmp_path):
    text = help_text(command, tmp_path)
    for default in defaults:
        assert default in text, default
    assert "Exit codes: 0 success" in text
    assert "examples: procore-" in text
    assert "output: " in text and "--config PATH" in text and "--log-format {text,json}" in text


def test_sync_help_names_every_exit_code(tmp_path):
    text = help_text("sync", tmp_path)
    for code in ("0 success", "1 connection error", "2 already running", "3 some documents failed",
                 "130 interrupted", "143 terminated"):
        assert code in text, code


@pytest.mark.parametrize("command", COMMANDS)
def test_version_exits_0_with_the_package_version(command, tmp_path):
    out = run_module(command, "--version", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"procore-ingest {importlib.metadata.version('procore-ingest')}"


def test_package_version_attribute_follows_the_metadata():
    import procore_ingest

    assert procore_ingest.__version__ == importlib.metadata.version("procore-ingest")


def test_python_m_lists_the_commands_and_refuses_unknown_ones(tmp_path):
    out = run_module("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in COMMANDS:
        assert f"  {command} " in out.stdout
    bad = run_module("feed", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown command 'feed'" in bad.stderr


def test_python_m_sync_status_runs(tmp_path):
    out = run_module("sync", "--status", "--state-dir", str(tmp_path / "state"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Sync Status Report")


def test_usage_errors_name_the_command_used(tmp_path):
    out = run_module("ingest", "--batch-size", "0", cwd=tmp_path)
    assert out.returncode == 2
    assert "usage: python -m procore_ingest ingest" in out.stderr and "must be at least 1" in out.stderr
