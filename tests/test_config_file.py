"""The configuration file as an operator uses it: precedence flag > environment > file > default
through the commands, one-line refusals of unknown keys, wrong types and secrets, and
`--print-config` with each setting's source and no secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from procore_ingest.errors import ConfigError
from procore_ingest.settings import DocumentSettings, TableSettings, load_config
from tests.helpers import ROOT, execute
from tests.test_cli_help import run_module

PASSWORD = "cfg-s3cret-pw"


def printed(out: str) -> dict[str, tuple[str, str]]:
    """{key: (value, source)} of `--print-config` output (TOML lines with a `# source` comment)."""
    settings = {}
    for line in out.splitlines():
        if " = " in line and not line.startswith("#") and "  # " in line:
            assignment, source = line.split("  # ", 1)
            key, value = assignment.split(" = ", 1)
            settings[key] = (value, source)
    return settings


def write(tmp_path: Path, text: str, name: str = "procore-ingest.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_flag_beats_environment_beats_file_beats_default(tmp_path):
    path = write(tmp_path, '[sync]\nbatch_size = 500\ninterval = 120\nworkers = 3\n', "tuning.toml")
    out = run_module("sync", "--print-config", "--config", str(path), "--batch-size", "7", cwd=tmp_path,
                     env={"PROCORE_SYNC_INTERVAL": "90", "PROCORE_SYNC_BATCH_SIZE": "80"})
    assert out.returncode == 0, out.stderr
    got = printed(out.stdout)
    assert got["batch_size"] == ("7", "flag")
    assert got["interval"] == ("90", "env PROCORE_SYNC_INTERVAL")
    assert got["workers"] == ("3", f"file {path} [sync]")
    assert got["overlap"] == ("300", "default")


def test_command_section_beats_top_level_and_sections_stay_apart(tmp_path):
    write(tmp_path, 'state_dir = "top"\n[sync]\nstate_dir = "for-sync"\n[ingest]\nbatch_size = 11\n')
    sync = printed(run_module("sync", "--print-config", cwd=tmp_path).stdout)
    ingest = printed(run_module("ingest", "--print-config", cwd=tmp_path).stdout)
    assert sync["state_dir"][0] == '"for-sync"' and ingest["state_dir"][0] == '"top"'
    assert ingest["batch_size"][0] == "11" and sync["batch_size"] == ("1000", "default")


def test_the_file_is_found_by_flag_environment_or_working_directory(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", "[sync]\ninterval = 11\n")  # ./procore-ingest.toml of folder a
    env_file = write(tmp_path / "b", "[sync]\ninterval = 22\n", "env.toml")
    assert printed(run_module("sync", "--print-config", cwd=tmp_path / "a").stdout)["interval"][0] == "11"
    by_env = run_module("sync", "--print-config", cwd=tmp_path / "a", env={"PROCORE_CONFIG": str(env_file)})
    assert printed(by_env.stdout)["interval"][0] == "22"
    none = run_module("sync", "--print-config", cwd=tmp_path / "b")
    assert printed(none.stdout)["interval"] == ("300", "default") and "configuration file: none" in none.stdout


def test_print_config_redacts_urls_and_names_sources(tmp_path):
    write(tmp_path, 'database_url = "postgresql://reader@db.example.com/procore"\n')
    url = f"postgresql://reader:{PASSWORD}@db.example.com:5432/procore"
    out = run_module("sync", "--print-config", cwd=tmp_path,
                     env={"PROCORE_DATABASE_URL": url, "VESPA_LOCAL_URL": "https://tok:vespa-tok3n@v.example.com"})
    assert out.returncode == 0, out.stderr
    assert PASSWORD not in out.stdout + out.stderr and "vespa-tok3n" not in out.stdout
    got = printed(out.stdout)
    assert got["database_url"] == ('"postgresql://reader:***@db.example.com:5432/procore"', "env PROCORE_DATABASE_URL")
    assert got["vespa_url"][1] == "env VESPA_LOCAL_URL" and "***@v.example.com" in got["vespa_url"][0]


@pytest.mark.parametrize("command", ["discover", "ingest", "sync"])
@pytest.mark.parametrize("text, says", [
    ("[sync]\nintervall = 3\n", "[sync]: unknown key 'intervall'"),
    ("[sync]\ninterval = \"5 minutes\"\n", "[sync]: 'interval' must be an integer"),
    ("[sync]\nbatch_size = 0\n", "[sync]: 'batch_size' must be at least 1"),
    ("[ingest]\nprogress = \"yes\"\n", "[ingest]: 'progress' must be true or false"),
    ("[tables.photos]\nname_columns = \"name\"\n", "[tables.photos]: 'name_columns' must be a list of strings"),
    ("[tables.photos]\ncolour = \"red\"\n", "[tables.photos]: unknown key 'colour'"),
    ("[documents]\ncontext_depth = -1\n", "[documents]: 'context_depth' must be at least 0"),
    ("log_format = \"xml\"\n", "'log_format' must be one of text, json"),
    ("log_level = \"LOUD\"\n", "'log_level' must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("[vespa]\nurl = \"x\"\n", "unknown section [vespa]"),
    ("[sync\n", "not valid TOML"),
])
def test_bad_file_is_one_line_naming_key_and_file_exit_1(command, text, says, tmp_path):
    path = write(tmp_path, text, "bad.toml")
    out = run_module(command, "--print-config", "--config", str(path), cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ERROR:"), out.stderr
    assert str(path) in lines[0] and says in lines[0], lines[0]


@pytest.mark.parametrize("text, secret", [
    (f'database_url = "postgresql://reader:{PASSWORD}@db/procore"\n', PASSWORD),
    (f'[sync]\ndatabase_url = "host=db user=reader password={PASSWORD}"\n', PASSWORD),
    (f'aws_secret_access_key = "{PASSWORD}"\n', PASSWORD),
    (f'[ingest]\nvespa_token = "{PASSWORD}"\n', PASSWORD),
    (f'vespa_url = "https://v.example.com/?token={PASSWORD}"\n', PASSWORD),
    (f'[sync]\nembedder = "-----BEGIN PRIVATE KEY-----{PASSWORD}"\n', PASSWORD),
])
def test_secrets_in_the_file_are_refused_unseen(text, secret, tmp_path):
    path = write(tmp_path, text, "secret.toml")
    out = run_module("sync", "--once", "--config", str(path), cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "environment or .env" in out.stderr and secret not in out.stderr + out.stdout
    assert len(out.stderr.strip().splitlines()) == 1


def test_missing_named_file_is_an_error_but_a_missing_default_is_not(tmp_path):
    out = run_module("ingest", "--full", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert out.returncode == 1 and f"configuration file {tmp_path / 'nope.toml'} not found" in out.stderr


def test_bad_environment_value_names_the_variable(tmp_path):
    out = run_module("sync", "--print-config", cwd=tmp_path, env={"PROCORE_SYNC_WORKERS": "many"})
    assert out.returncode == 1 and "PROCORE_SYNC_WORKERS: must be an integer" in out.stderr


def test_table_and_document_settings_are_typed(tmp_path, monkeypatch):
    path = write(tmp_path, """
[documents]
context_depth = 1
[tables.photos]
display_name = "Photo"
name_columns = ["name"]
content_columns = ["description", "notes"]
context_links = ["project_id"]
[tables.sync_events]
exclude = true
""")
    cfg = load_config(str(path))
    assert cfg.documents == DocumentSettings(context_depth=1)
    assert cfg.tables == {
        "photos": TableSettings(display_name="Photo", name_columns=["name"], content_columns=["description", "notes"],
                                context_links=["project_id"]),
        "sync_events": TableSettings(exclude=True),
    }
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    monkeypatch.delenv("PROCORE_CONFIG", raising=False)
    assert load_config(None).path is None and load_config(None).documents.context_depth == 2
    with pytest.raises(ConfigError):
        load_config(str(tmp_path / "missing.toml"))


def test_shipped_example_file_is_valid(tmp_path):
    example = ROOT / "deploy" / "procore-ingest.toml"
    out = run_module("sync", "--print-config", "--config", str(example), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert printed(out.stdout)["interval"] == ("300", f"file {example} [sync]")
    assert "--config /etc/procore-ingest/procore-ingest.toml" in (ROOT / "deploy" / "procore-sync.service").read_text()


SCHEMA = """
CREATE TABLE photos (id bigint PRIMARY KEY, description text, updated_at timestamp(3) NOT NULL);
INSERT INTO photos SELECT g, 'photo ' || g, '2026-01-01' FROM generate_series(1, 12) g;
CREATE TABLE drawings (id bigint PRIMARY KEY, title text, updated_at timestamp(3) NOT NULL);
INSERT INTO drawings SELECT g, 'A-' || g, '2026-01-01' FROM generate_series(1, 5) g;
"""


def test_a_sync_run_follows_the_file_and_its_overrides(pg_url, tmp_path):
    """The file picks the tables, state dir and target; the environment overrides the state dir."""
    execute(pg_url, SCHEMA)
    feed = tmp_path / "feed"
    write(tmp_path, f'vespa_url = "file://{feed}"\nstate_dir = "{tmp_path / "file-state"}"\n'
                    '[sync]\ntables = ["photos"]\n')
    env = {"PROCORE_DATABASE_URL": pg_url}
    once = run_module("sync", "--once", cwd=tmp_path, env=env)
    assert once.returncode == 0, once.stderr
    status = run_module("sync", "--status", "--format", "json", cwd=tmp_path, env=env)
    tables = {t["name"] for t in json.loads(status.stdout)["tables"]}
    assert tables == {"photos"}  # from the file's [sync] tables, in the file's state dir
    other = run_module("sync", "--once", cwd=tmp_path, env={**env, "PROCORE_STATE_DIR": str(tmp_path / "env-state")})
    assert other.returncode == 0, other.stderr
    assert (tmp_path / "env-state").is_dir() and (tmp_path / "file-state").is_dir()
    flagged = run_module("sync", "--once", "--tables", "drawings", cwd=tmp_path, env=env)
    assert flagged.returncode == 0, flagged.stderr
    status = run_module("sync", "--status", "--format", "json", cwd=tmp_path, env=env)
    assert {t["name"] for t in json.loads(status.stdout)["tables"]} == {"photos", "drawings"}


def test_a_table_excluded_in_its_own_section_is_left_out(pg_url, tmp_path):
    """`[tables.<name>] exclude = true` leaves the table out of ingest and sync, like --exclude."""
    execute(pg_url, SCHEMA)
    feed = tmp_path / "feed"
    write(tmp_path, f'vespa_url = "file://{feed}"\nstate_dir = "{tmp_path / "state"}"\n'
                    '[tables.drawings]\nexclude = true\n')
    env = {"PROCORE_DATABASE_URL": pg_url}
    full = run_module("ingest", "--full", "--no-progress", cwd=tmp_path, env=env)
    assert full.returncode == 0, full.stderr
    assert (feed / "photos.jsonl").exists() and not (feed / "drawings.jsonl").exists()
    once = run_module("sync", "--once", cwd=tmp_path, env=env)
    assert once.returncode == 0, once.stderr
    status = run_module("sync", "--status", "--format", "json", cwd=tmp_path, env=env)
    assert {t["name"] for t in json.loads(status.stdout)["tables"]} == {"photos"}
