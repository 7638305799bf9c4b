"""`pip install .` gives the three commands, working from any folder without the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_pip_install_gives_three_working_commands(tmp_path: Path) -> None:
    # a copy of the project without its .venv, installed (not editable) into a new virtualenv
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", ".pytest_cache", ".procore_ingest", "demo-output", "*.egg-info", "build"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(source)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-2000:]
    shutil.rmtree(source)  # nothing may depend on the checkout any more
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{env_dir / 'bin'}{os.pathsep}/usr/bin:/bin", "HOME": str(tmp_path)}
    for command, words in (("procore-discover", "--include-samples"), ("procore-ingest", "--resume"),
                           ("procore-sync", "--pid-file")):
        proc = subprocess.run([command, "--help"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert words in proc.stdout and f"usage: {command}" in proc.stdout
    # and one that does something: a bad URL is the contract's one-line error and exit 1
    proc = subprocess.run(["procore-discover", "--database-url", "postgresql://nobody@127.0.0.1:1/none"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
