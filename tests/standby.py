"""A real streaming hot standby of the test server: what a user points the tool at as a replica.

`pg_basebackup -R -X stream` of the primary the tests use (the embedded pgserver instance), with
the same binaries, started with pg_ctl on a free port of 127.0.0.1. Writes go to the primary;
`Standby.wait_for_replay()` returns once the standby has replayed everything the primary wrote.

Only where the binaries are local: a testcontainers server has its binaries in the container, and
a TEST_DATABASE_URL server is used only when its major version matches the local binaries.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import psycopg2

from tests.pgharness import PostgresServer, admin_cursor, with_database

REPLAY_TIMEOUT_S = 60


class StandbyUnavailable(Exception):
    """Why no standby can be built here (one line, for a skip)."""


def local_binaries() -> Path:
    import pgserver._commands as commands  # pgserver ships postgres, pg_ctl, pg_basebackup

    return Path(commands.POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    """Who runs the servers: as root, pgserver runs postgres as its dedicated `pgserver` user."""
    return "pgserver" if os.name == "posix" and os.geteuid() == 0 else None


def _run(
    args: list[str], user: str | None, timeout: float = 120, password: str | None = None
) -> None:
    env = {**os.environ, "PGPASSWORD": password} if password else None
    proc = subprocess.run(args, capture_output=True, text=True, user=user, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {(proc.stderr or proc.stdout).strip()}")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _primary_connection(url: str) -> tuple[str, str, str, str | None]:
    """(host or socket directory, port, user, password) of a libpq URL, for pg_basebackup."""
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    return (
        host,
        str(parts.port or 5432),
        unquote(parts.username or "postgres"),
        unquote(parts.password) if parts.password else None,
    )


def _check_primary(server: PostgresServer, bindir: Path) -> None:
    if server.kind == "testcontainers":
        raise StandbyUnavailable(
            "the test server runs in a container: its binaries are not local "
            "for pg_basebackup and a standby"
        )
    with admin_cursor(server.admin_url) as cur:
        cur.execute(
            "SELECT current_setting('server_version_num')::int / 10000, "
            "current_setting('wal_level'), current_setting('max_wal_senders')::int"
        )
        major, wal_level, senders = cur.fetchone()
    version = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    local_major = int(version.split()[-1].split(".")[0])
    if major != local_major:
        raise StandbyUnavailable(
            f"the test server is PostgreSQL {major}; the local binaries are "
            f"{local_major}: a standby needs the same major version"
        )
    if wal_level == "minimal" or senders < 1:
        raise StandbyUnavailable(
            f"the test server does not allow streaming replication "
            f"(wal_level={wal_level}, max_wal_senders={senders})"
        )


@dataclass
class Standby:
    """A running hot standby: `url` is a superuser URL of its maintenance database."""

    url: str
    primary_url: str
    datadir: Path
    bindir: Path
    user: str | None
    slot: str  # the primary keeps the WAL this standby has not received yet

    def database_url(self, primary_database_url: str) -> str:
        """The standby's URL of the database `primary_database_url` names."""
        return with_database(self.url, urlsplit(primary_database_url).path.lstrip("/"))

    def wait_for_replay(self, timeout: float = REPLAY_TIMEOUT_S) -> None:
        """Return once the standby has replayed every WAL record the primary has written so far."""
        with admin_cursor(self.primary_url) as cur:
            cur.execute("SELECT pg_current_wal_lsn()::text")
            target = cur.fetchone()[0]
        deadline = time.monotonic() + timeout
        while True:
            with admin_cursor(self.url) as cur:
                cur.execute(
                    "SELECT pg_is_in_recovery(), "
                    "coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)",
                    (target,),
                )
                in_recovery, caught_up = cur.fetchone()
            if not in_recovery:
                raise RuntimeError("the standby left recovery (it was promoted)")
            if caught_up:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the standby did not replay up to {target} within {timeout:.0f} s"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        try:
            _run(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"],
                self.user,
                timeout=60,
            )
        finally:
            shutil.rmtree(self.datadir, ignore_errors=True)
            _drop_slot(self.primary_url, self.slot)


def _drop_slot(primary_url: str, slot: str) -> None:
    with contextlib.suppress(psycopg2.Error), admin_cursor(primary_url) as cur:
        cur.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s AND NOT active",
            (slot,),
        )


def start_standby(server: PostgresServer) -> Standby:
    """A streaming hot standby of `server`, replaying and caught up. Raises StandbyUnavailable
    (one line) where none can be built; stop it with `Standby.stop()`."""
    bindir = local_binaries()
    _check_primary(server, bindir)
    user = _system_user()
    datadir = Path(tempfile.mkdtemp(prefix="pgs", dir="/tmp" if os.path.isdir("/tmp") else None))
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(datadir, entry.pw_uid, entry.pw_gid)
    datadir.chmod(0o700)
    host, port, login, password = _primary_connection(server.admin_url)
    slot = f"test_standby_{uuid.uuid4().hex[:8]}"
    try:
        try:
            _run(
                [
                    str(bindir / "pg_basebackup"),
                    "-D",
                    str(datadir),
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                    "-C",
                    "-S",
                    slot,
                    "-h",
                    host,
                    "-p",
                    port,
                    "-U",
                    login,
                    "-w",
                ],
                user,
                password=password,
            )
        except RuntimeError as exc:
            if server.kind == "pgserver":
                raise
            raise StandbyUnavailable(
                f"the server at TEST_DATABASE_URL refuses a base backup: {str(exc).splitlines()[0]}"
            ) from None
        standby_port = _free_port()
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-w",
                "-t",
                "60",
                "-l",
                str(datadir / "log"),
                "-o",
                f"-h 127.0.0.1 -p {standby_port} -k {datadir}",
                "start",
            ],
            user,
            timeout=90,
        )
    except BaseException:
        shutil.rmtree(datadir, ignore_errors=True)
        _drop_slot(server.admin_url, slot)
        raise
    # the standby has the primary's roles and pg_hba.conf: the same login works there
    cred = quote(login, safe="") + (":" + quote(password, safe="") if password else "")
    maintenance = urlsplit(server.admin_url).path.lstrip("/") or "postgres"
    standby = Standby(
        url=f"postgresql://{cred}@127.0.0.1:{standby_port}/{maintenance}",
        primary_url=server.admin_url,
        datadir=datadir,
        bindir=bindir,
        user=user,
        slot=slot,
    )
    try:
        deadline = time.monotonic() + REPLAY_TIMEOUT_S
        while True:  # pg_ctl -w returns once connections are accepted: the standby is in recovery
            try:
                with admin_cursor(standby.url) as cur:
                    cur.execute("SELECT pg_is_in_recovery()")
                    if cur.fetchone()[0]:
                        break
                    raise RuntimeError("the new standby is not in recovery")
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        standby.wait_for_replay()
    except BaseException:
        standby.stop()
        raise
    return standby
