"""Small helpers shared by tests: run SQL, run a script as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]


def execute(url: str, statements: str) -> None:
    """Run SQL (several statements allowed) as the owner, autocommit."""
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statements)
    conn.close()


def query(url: str, statement: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


@dataclass
class ScriptResult:
    returncode: int
    stdout: str
    stderr: str


def run_script(name: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               timeout: float = 120) -> ScriptResult:
    """Run scripts/<name> in a subprocess with a clean PROCORE_/VESPA_ environment."""
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("PROCORE_", "VESPA_", "AWS_", "LOG_LEVEL"))}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True, text=True, env=full_env, cwd=cwd or ROOT, timeout=timeout,
    )
    return ScriptResult(proc.returncode, proc.stdout, proc.stderr)
