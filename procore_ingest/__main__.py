"""`python -m procore_ingest {discover,ingest,sync} ...`: the three commands under one entry point."""

from __future__ import annotations

import sys

from . import __version__

COMMANDS = {
    "discover": "map the database: tables, keys, relationships, file columns (procore-discover)",
    "ingest": "put every row of the chosen tables into Vespa (procore-ingest)",
    "sync": "keep Vespa equal to the database, as a daemon or one cycle (procore-sync)",
}

USAGE = "usage: python -m procore_ingest {discover,ingest,sync} [options]\n"


def usage() -> str:
    lines = [USAGE, "Make a PostgreSQL database searchable in Vespa and keep it in sync.", "", "commands:"]
    lines += [f"  {name:<10} {text}" for name, text in COMMANDS.items()]
    lines += ["", "`python -m procore_ingest COMMAND --help` shows a command's options, exit codes and examples."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        sys.stderr.write(usage() + "\n")
        return 2
    if argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv[0] == "--version":
        print(f"procore-ingest {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    prog = f"python -m procore_ingest {command}"
    if command == "discover":
        from .cli.discover import main as run
    elif command == "ingest":
        from .cli.ingest import main as run
    elif command == "sync":
        from .cli.sync import main as run
    else:
        sys.stderr.write(f"{USAGE}python -m procore_ingest: error: unknown command {command!r} "
                         f"(choose from discover, ingest, sync)\n")
        return 2
    return run(rest, prog)


if __name__ == "__main__":
    raise SystemExit(main())
