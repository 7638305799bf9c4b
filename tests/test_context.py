"""Context in content_text against a real PostgreSQL: what a row is and the names of the rows it
links to, in every path (full ingest, worker processes, sync), kept true by sync when a linked
row is renamed, deleted or re-parented, and checked by --verify."""

from __future__ import annotations

import pytest

from procore_ingest.documents.context import KIND_LINES
from procore_ingest.pipeline.ingest import IngestOptions, run_full
from procore_ingest.pipeline.sync import SyncOptions, run_cycle
from procore_ingest.pipeline.verify import VerifyOptions, run_verify
from procore_ingest.settings import TableSettings
from tests.helpers import execute

SCHEMA = """
CREATE TABLE artist (artist_id int PRIMARY KEY, name text);
CREATE TABLE album (album_id int PRIMARY KEY, title text NOT NULL,
                    artist_id int REFERENCES artist ON DELETE SET NULL);
CREATE TABLE track (track_id int PRIMARY KEY, name text NOT NULL, album_id int REFERENCES album,
                    updated_at timestamp(3) NOT NULL DEFAULT now());
CREATE TABLE employee (employee_id int PRIMARY KEY, first_name text, last_name text,
                       reports_to int REFERENCES employee);
CREATE TABLE notes (id int PRIMARY KEY, body text);
-- a cycle of links: each names the next
CREATE TABLE a_things (id int PRIMARY KEY, name text, b_id int);
CREATE TABLE b_things (id int PRIMARY KEY, name text, a_id int REFERENCES a_things);
ALTER TABLE a_things ADD FOREIGN KEY (b_id) REFERENCES b_things;
INSERT INTO artist VALUES (1, 'Led Zeppelin'), (2, 'Deep Purple'), (3, 'Nobody Yet');
INSERT INTO album VALUES (10, 'Led Zeppelin IV', 1), (11, 'Machine Head', 2), (12, 'Houses of the Holy', 1);
INSERT INTO track SELECT g, 'Track ' || g, 10 + g % 3 FROM generate_series(1, 30) g;
INSERT INTO employee VALUES (1, 'Andrew', 'Adams', NULL), (2, 'Nancy', 'Edwards', 1), (3, 'Jane', 'Peacock', 2);
INSERT INTO notes VALUES (1, 'no links here');
INSERT INTO a_things VALUES (1, 'alpha', NULL);
INSERT INTO b_things VALUES (1, 'beta', 1);
UPDATE a_things SET b_id = 1;
"""


def content(vespa, table: str, key) -> str:
    """The document's content_text with its kind line said once: every document writes it
    KIND_LINES times (checked here, on every document a test reads)."""
    docs = vespa.documents("procore_record")
    lines = docs[f"id:procore_record:procore_record::{table}:{key}"]["content_text"].split("\n")
    assert lines[:KIND_LINES] == [lines[0]] * KIND_LINES, lines[:KIND_LINES]
    return "\n".join(lines[KIND_LINES - 1:])


@pytest.fixture
def env(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state, batch_size=7)
    first = run_cycle(options)
    assert first.changes == 0, {n: t for n, t in first.tables.items() if t.changes}
    return options


def test_documents_say_what_they_are_and_name_their_links(env, vespa):
    track = content(vespa, "track", 1)  # album 11 (Machine Head, Deep Purple)
    assert track.splitlines()[:3] == ["Track", "album: Machine Head", "artist: Deep Purple"]
    assert "Track 1" in track.splitlines()  # its own text: values, no column names
    # a self-link names the manager, not the manager's manager
    assert content(vespa, "employee", 3).splitlines()[:2] == ["Employee", "reports to: Nancy Edwards"]
    assert "Andrew" not in content(vespa, "employee", 3)
    # a table with no links: only what it is
    assert content(vespa, "notes", 1) == "Note (notes)\nno links here"
    # a cycle of links ends: a names b, and a through b (b's own a) is never followed
    assert content(vespa, "a_things", 1).splitlines()[:2] == ["A thing (a_things)", "b: beta"]
    assert content(vespa, "b_things", 1).splitlines()[:2] == ["B thing (b_things)", "a: alpha"]


def puts_of(vespa, table: str) -> int:
    prefix = f"id:procore_record:procore_record::{table}:"
    return sum(1 for r in vespa.requests if r.method in ("POST", "PUT") and (r.doc_id or "").startswith(prefix))


def test_rename_reaches_every_affected_document_in_one_cycle_and_no_other(env, pg_url, vespa):
    execute(pg_url, "UPDATE artist SET name = 'Led Zep' WHERE artist_id = 1")
    vespa.clear_requests()
    run_cycle(env)
    # every track of both Led Zeppelin albums (two links away), and the albums: no other row
    for key in range(1, 31):
        text = content(vespa, "track", key)
        assert ("artist: Led Zep\n" in text) == (10 + key % 3 in (10, 12)), key
        assert "Led Zeppelin\n" not in text
    assert puts_of(vespa, "track") == 20 and puts_of(vespa, "album") == 2
    assert puts_of(vespa, "employee") == 0


def test_reparent_reaches_rows_two_links_away(env, pg_url, vespa):
    execute(pg_url, "UPDATE album SET artist_id = 3 WHERE album_id = 11")
    run_cycle(env)
    for key in (1, 4, 7):
        assert content(vespa, "track", key).splitlines()[:3] == ["Track", "album: Machine Head", "artist: Nobody Yet"]


def test_delete_of_a_linked_row_leaves_every_context_that_showed_it(env, pg_url, vespa):
    execute(pg_url, "DELETE FROM artist WHERE artist_id = 2")  # album 11's artist_id becomes NULL
    run_cycle(env)
    assert "Deep Purple" not in content(vespa, "album", 11)
    for key in (1, 4, 7):
        text = content(vespa, "track", key)
        assert text.splitlines()[:2] == ["Track", "album: Machine Head"] and "Deep Purple" not in text
    # a self-link: the manager deleted (the FK sets nothing here: the reference dangles)
    execute(pg_url, "ALTER TABLE employee DROP CONSTRAINT employee_reports_to_fkey;"
                    "ALTER TABLE employee ADD FOREIGN KEY (reports_to) REFERENCES employee NOT VALID;"
                    "ALTER TABLE employee DISABLE TRIGGER ALL; DELETE FROM employee WHERE employee_id = 2;")
    run_cycle(env)
    assert content(vespa, "employee", 3).splitlines()[0] == "Employee"
    assert "Nancy" not in content(vespa, "employee", 3)


def test_a_rewrite_that_keeps_the_name_feeds_no_dependent(env, pg_url, vespa):
    execute(pg_url, "UPDATE artist SET name = name WHERE artist_id = 1; UPDATE album SET title = title")
    vespa.clear_requests()
    result = run_cycle(env)
    assert result.tables["track"].changes == 0


def test_verify_flags_stale_context_and_repair_fixes_it(env, pg_url, vespa):
    # a rename the sync never saw: the state of names is removed behind its back
    import os

    os.remove(os.path.join(env.state_dir, "context_names.json"))
    execute(pg_url, "UPDATE artist SET name = 'Deep Purple (Mk II)' WHERE artist_id = 2")
    run_cycle(env)  # no earlier names: nothing known to compare with
    assert "artist: Deep Purple\n" in content(vespa, "track", 1)
    options = VerifyOptions(database_url=env.database_url, vespa_url=env.vespa_url, state_dir=env.state_dir)
    report = run_verify(options)
    track = report.tables["track"]
    assert track.stale == 10 and report.exit_code != 0
    options.repair = True
    run_verify(options)
    assert "artist: Deep Purple (Mk II)" in content(vespa, "track", 1)
    options.repair = False
    assert run_verify(options).exit_code == 0


def test_worker_processes_and_serial_build_the_same_documents(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    one = tmp_path / "one"
    two = tmp_path / "two"
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{one}", state_dir=str(tmp_path / "s1"),
                                  batch_size=4)).exit_code == 0
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=f"file://{two}", state_dir=str(tmp_path / "s2"),
                                  batch_size=4, processes=2)).exit_code == 0
    import orjson

    def texts(folder):
        out = {}
        for path in folder.glob("*.jsonl"):
            for line in path.read_bytes().splitlines():
                op = orjson.loads(line)
                if "put" in op and "content_text" in op["fields"] and not path.name.startswith("_"):
                    out[op["put"]] = op["fields"]["content_text"]
        return out

    serial, parallel = texts(one), texts(two)
    assert serial == parallel and len(serial) == 3 + 3 + 30 + 3 + 1 + 2
    assert any("artist: Led Zeppelin" in t for t in parallel.values())


def test_schema_documents_record_display_name_and_context_links(env, vespa):
    docs = vespa.documents("procore_schema_metadata")
    track = docs["id:procore_schema_metadata:procore_schema_metadata::table:track"]
    assert 'Shown in search as "Track"' in track["table_description"]
    assert "album_id -> album.artist_id -> artist (as 'artist')" in track["table_description"]
    assert track["content_text"].startswith("Track track ")
    notes = docs["id:procore_schema_metadata:procore_schema_metadata::table:notes"]
    assert "named by none (named through its links); context: none" in notes["table_description"]


def test_per_table_settings_change_display_name_content_and_links(pg_url, vespa, tmp_path):
    execute(pg_url, SCHEMA)
    settings = {"track": TableSettings(display_name="Song", context_links=["album_id"], content_columns=[]),
                "album": TableSettings(name_columns=[]), "artist": TableSettings(display_name="Band")}
    options = IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=str(tmp_path),
                            table_settings=settings, context_depth=1)
    assert run_full(options).exit_code == 0
    # the album has no name any more and depth 1 stops there: a song shows nothing else
    assert content(vespa, "track", 1) == "Song (track)"
    assert content(vespa, "album", 11).splitlines()[:2] == ["Album", "artist: Deep Purple"]
    assert content(vespa, "artist", 1) == "Band (artist)\nLed Zeppelin"


def test_the_configuration_file_sets_names_and_depth_for_ingest_and_discover(pg_url, tmp_path):
    from tests.test_cli_help import run_module

    execute(pg_url, SCHEMA)
    feed = tmp_path / "feed"
    (tmp_path / "procore-ingest.toml").write_text(
        f'vespa_url = "file://{feed}"\nstate_dir = "{tmp_path / "state"}"\n'
        '[documents]\ncontext_depth = 1\n[tables.track]\ndisplay_name = "Song"\n')
    env = {"PROCORE_DATABASE_URL": pg_url}
    done = run_module("ingest", "--full", "--no-progress", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    import orjson

    lines = [orjson.loads(line) for line in (feed / "track.jsonl").read_bytes().splitlines()]
    text = next(op["fields"]["content_text"] for op in lines if op["put"].endswith("::track:1"))
    assert text.splitlines()[:3] == ["Song (track)", "Song (track)", "album: Machine Head"]
    assert "artist:" not in text  # depth 1
    report = run_module("discover", "--format", "markdown", "--no-include-stats", cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr
    assert "| track | Song | name | album_id -> album (as 'album') |" in report.stdout


def test_documents_of_an_older_format_are_fed_again_by_the_next_cycle(pg_url, vespa, tmp_path, monkeypatch):
    """After an upgrade that changes what documents look like (DOCUMENT_FORMAT), the first sync
    cycle feeds every document of every table again: no row keeps the old content_text."""
    import procore_ingest.source.changes as changes

    execute(pg_url, SCHEMA)
    state = str(tmp_path / "state")
    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)
    monkeypatch.setattr(changes, "DOCUMENT_FORMAT", changes.DOCUMENT_FORMAT - 1)  # the code before the upgrade
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    assert run_cycle(options).changes == 0
    monkeypatch.undo()  # the upgraded code

    upgraded = run_cycle(options)
    assert upgraded.exit_code == 0
    reloaded = {name for name, t in upgraded.tables.items() if t.mode == "full"}
    assert reloaded == {"artist", "album", "track", "employee", "notes", "a_things", "b_things"}
    assert all(t.reason == "what its documents show changed (relationships, file references, names, document format)" for t in upgraded.tables.values())
    assert run_cycle(options).changes == 0  # and once only


def test_a_copy_of_a_linked_name_is_said_once_and_a_stale_copy_is_kept(pg_url, vespa, tmp_path):
    """`requisitions.vendor_name` copies the name of the vendor the row links to: when it is
    the name the context line shows, the row's text says it once (twice, it would outrank the
    vendor's own records); once the vendor is renamed, the old copy is the row's own text again."""
    execute(pg_url, """
        CREATE TABLE vendors (id int PRIMARY KEY, name text);
        CREATE TABLE pay_apps (id int PRIMARY KEY, vendor_id int REFERENCES vendors, vendor_name text,
                                   note text, updated_at timestamp(3) NOT NULL DEFAULT now());
        INSERT INTO vendors VALUES (1, 'Acme  Electrical'), (2, 'Bolt Co');
        INSERT INTO pay_apps VALUES (1, 1, 'Acme Electrical', 'pay app 3'), (2, 2, 'Bolt Company', 'pay app 1');
    """)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    assert content(vespa, "pay_apps", 1).split("\n") == [
        "Pay app (pay_apps)", "vendor: Acme Electrical", "pay app 3"]
    assert content(vespa, "pay_apps", 2).split("\n") == [
        "Pay app (pay_apps)", "vendor: Bolt Co", "Bolt Company", "pay app 1"]  # not the same name: kept

    options = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)
    assert run_cycle(options).changes == 0
    execute(pg_url, "UPDATE vendors SET name = 'Acme Power' WHERE id = 1")
    assert run_cycle(options).exit_code == 0
    assert content(vespa, "pay_apps", 1).split("\n") == [
        "Pay app (pay_apps)", "vendor: Acme Power", "Acme Electrical", "pay app 3"]


def test_a_row_number_is_written_as_people_cite_it(pg_url, vespa, tmp_path):
    """The number column that names a row reads `Change order CO-7`, `Commitment SC-009` (the
    display name less its closing bracket), the way people search for it; other columns stay values."""
    execute(pg_url, """
        CREATE TABLE change_orders (id int PRIMARY KEY, number text, title text, status text);
        CREATE TABLE commitment_contracts (id int PRIMARY KEY, number text, title text);
        CREATE TABLE notes2 (id int PRIMARY KEY, body text);
        INSERT INTO change_orders VALUES (1, 'CO-7', 'Add exhaust fan', 'approved');
        INSERT INTO commitment_contracts VALUES (1, 'SC-009', 'Sheet Metal Subcontract');
        INSERT INTO notes2 VALUES (1, 'no number');
    """)
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    assert content(vespa, "change_orders", 1).split("\n") == [
        "Change order (change_orders)", "Change order CO-7", "Add exhaust fan", "approved"]
    assert content(vespa, "commitment_contracts", 1).split("\n") == [
        "Commitment (subcontract, purchase order) (commitment_contracts)", "Commitment SC-009",
        "Sheet Metal Subcontract"]
    assert content(vespa, "notes2", 1).split("\n") == ["Notes2", "no number"]  # no number column; the same word


def test_changing_a_table_s_own_naming_columns_feeds_its_documents_again(pg_url, vespa, tmp_path):
    """The row's number is cited with its kind only while it is a naming column: configuring
    other naming columns re-feeds every document of the table in the next cycle (none keeps
    `Change order CO-7`)."""
    execute(pg_url, """
        CREATE TABLE change_orders (id int PRIMARY KEY, number text, title text,
                                    updated_at timestamp(3) NOT NULL DEFAULT now());
        INSERT INTO change_orders VALUES (1, 'CO-7', 'Add exhaust fan'), (2, 'CO-8', 'Move door');""")
    state = str(tmp_path / "state")
    assert run_full(IngestOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state)).exit_code == 0
    assert "Change order CO-7" in content(vespa, "change_orders", 1).split("\n")
    renamed = SyncOptions(database_url=pg_url, vespa_url=vespa.url, state_dir=state,
                          table_settings={"change_orders": TableSettings(name_columns=["title"])})
    cycle = run_cycle(renamed)
    assert cycle.exit_code == 0 and cycle.tables["change_orders"].mode == "full"
    assert content(vespa, "change_orders", 1).split("\n")[:2] == ["Change order (change_orders)", "CO-7"]
    assert content(vespa, "change_orders", 2).split("\n")[:2] == ["Change order (change_orders)", "CO-8"]
