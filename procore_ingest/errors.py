"""One exception hierarchy for the library, and the exit codes each script maps it to.

The library raises these; only the scripts turn them into exit codes (the contract's tables
in spec/cli-interface.md). Messages are one line and never contain credentials.
"""

from __future__ import annotations


class ProcoreIngestError(Exception):
    """Base class: a failure the user can act on, with a one-line message."""


class ConfigError(ProcoreIngestError):
    """A setting is missing or malformed (e.g. no database URL)."""


class DatabaseConnectionError(ProcoreIngestError):
    """The database cannot be reached, or refused the login."""


class DatabasePermissionError(ProcoreIngestError):
    """The role may not read something it was asked to read."""


class OutputWriteError(ProcoreIngestError):
    """A report or file could not be written where the user asked."""


class UnknownTableError(ProcoreIngestError):
    """A table named on the command line does not exist in the catalog."""


class VespaConnectionError(ProcoreIngestError):
    """Vespa cannot be reached."""


class JobNotFoundError(ProcoreIngestError):
    """--resume names a job the state store does not know."""


class JobCancelled(ProcoreIngestError):
    """The run was stopped by SIGINT/SIGTERM after saving its state."""


class AlreadyRunningError(ProcoreIngestError):
    """Another daemon owns the pid file."""


class TargetBusyError(AlreadyRunningError):
    """Another run (ingestion, sync or verify) holds the Vespa target's lock; names the holder."""


class MetricsServerError(ProcoreIngestError):
    """The daemon's /metrics endpoint cannot listen where asked (port in use, unknown host)."""


class StateError(ProcoreIngestError):
    """The state store is unreadable or locked by someone else."""


class StateBusyError(StateError):
    """Another process holds the state store's lock; names its pid."""


class StateWriteError(StateError):
    """The state directory cannot be created or written (full disk, read-only file system,
    permission): not "busy", whatever the command."""


class RangeReadError(ProcoreIngestError):
    """A range could not be read: the database's one-line message, and why: `error` (about
    the statement or the data), `connection_lost`, or `lock` (the worker would have had to
    queue behind a lock request; the main process, which holds the table's lock, can read)."""

    def __init__(self, message: str, reason: str = "error") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[RangeReadError], tuple[str, str]]:
        return (RangeReadError, (str(self), self.reason))


# Exit codes of results (not errors), from the contract.
EXIT_OK = 0
EXIT_PARTIAL = 3  # ingestion: some documents failed; sync: something is pending or failed
EXIT_COMPLETE_FAILURE = 4  # ingestion: nothing indexed
EXIT_CANCELLED = 5  # ingestion: SIGINT/SIGTERM
EXIT_INTERRUPTED = 128  # sync: 128 + the signal's number (130 SIGINT, 143 SIGTERM)

# Exit codes per script, from the contract. Order matters: first matching class wins.
DISCOVER_EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (DatabaseConnectionError, 1),
    (ConfigError, 1),
    (DatabasePermissionError, 2),
    (OutputWriteError, 3),
]

INGEST_EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (DatabaseConnectionError, 1),
    (DatabasePermissionError, 1),  # the ingest and sync contracts have no "permission denied" code
    (ConfigError, 1),
    (VespaConnectionError, 2),
    (JobCancelled, 5),
    (TargetBusyError, 4),  # the contract has no "already running" code for ingestion
    (StateBusyError, 4),
    (ProcoreIngestError, 4),
]

SYNC_EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (DatabaseConnectionError, 1),
    (DatabasePermissionError, 1),
    (VespaConnectionError, 1),
    (ConfigError, 1),
    (TargetBusyError, 2),  # another run holds the target
    (StateBusyError, 2),  # another process holds the state store
    (AlreadyRunningError, 2),  # another daemon owns the pid file
    (MetricsServerError, 1),  # --metrics-port in use or --metrics-host unknown: connection-ish
    (ProcoreIngestError, 1),
]


def exit_code_for(exc: BaseException, table: list[tuple[type[BaseException], int]]) -> int:
    """The exit code `table` assigns to `exc` (1 when nothing matches)."""
    for cls, code in table:
        if isinstance(exc, cls):
            return code
    return 1
