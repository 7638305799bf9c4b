"""Shared fixtures: a real PostgreSQL server, fresh databases, and the sample datasets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.pgharness import (
    CORPUS_MISSING,
    DATASET_FILES,
    DATASETS,
    PostgresServer,
    dbname,
    load_dataset,
    start_server,
)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for one test."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(dbname(url))


class Templates:
    """Template databases built once per session, copied for each test that asks."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.built: dict[str, str] = {}

    def get(self, key: str, build) -> str:
        if key not in self.built:
            name = f"tpl_{key}_{uuid.uuid4().hex[:6]}"
            url = self.server.create_database(name)
            build(url)
            self.built[key] = name
        return self.built[key]

    def copy(self, key: str, build) -> str:
        return self.server.create_database(template=self.get(key, build))


@pytest.fixture(scope="session")
def templates(pg_server: PostgresServer) -> Iterator[Templates]:
    t = Templates(pg_server)
    yield t
    for name in t.built.values():
        pg_server.drop_database(name)


def _dataset_fixture(name: str):
    @pytest.fixture
    def fixture(templates: Templates, pg_server: PostgresServer) -> Iterator[str]:
        if not DATASETS.is_dir():
            pytest.skip(CORPUS_MISSING)
        url = templates.copy(name, lambda u: load_dataset(u, name))
        yield url
        pg_server.drop_database(dbname(url))

    fixture.__name__ = f"{name}_url"
    return fixture


for _name in DATASET_FILES:
    globals()[f"{_name}_url"] = _dataset_fixture(_name)


# --- an in-process Vespa /document/v1 server (tests/vespa_server) ---
from tests.vespa_server import VespaServer, vespa_server  # noqa: E402


@pytest.fixture
def vespa() -> Iterator[VespaServer]:
    """A fresh server loaded with tests/vespa_app/schemas; ``Vespa(url=vespa.url)`` talks to it."""
    with vespa_server() as server:
        yield server


# --- the Procore-shaped demo database (procore_ingest.demo) --------------------------------


def _demo_fixture(key: str, foreign_keys: bool):
    @pytest.fixture
    def fixture(templates: Templates, pg_server: PostgresServer) -> Iterator[str]:
        """A fresh copy of the full-size demo database (built once per session)."""
        from procore_ingest.demo import DemoSpec, build_demo_database

        spec = DemoSpec(scale=1.0, foreign_keys=foreign_keys)
        url = templates.copy(key, lambda u: build_demo_database(u, spec))
        yield url
        pg_server.drop_database(dbname(url))

    return fixture


demo_url = _demo_fixture("demo_fk", foreign_keys=True)
demo_nofk_url = _demo_fixture("demo_nofk", foreign_keys=False)


# --- a streaming hot standby of the test server (tests/standby.py) --------------------------


@pytest.fixture(scope="module")
def standby(pg_server: PostgresServer):
    """A hot standby replaying `pg_server` (read-only URLs via ``standby.database_url``)."""
    from tests.standby import StandbyUnavailable, start_standby

    try:
        replica = start_standby(pg_server)
    except StandbyUnavailable as exc:
        pytest.skip(f"no standby: {exc}")
    yield replica
    replica.stop()
