"""What the three scripts share: logging set-up and turning errors into exit codes.

Scripts stay thin: they parse flags, call the library inside `run()`, and return its code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from .. import __version__, config, settings
from ..config import scrub
from ..errors import ConfigError, ProcoreIngestError, exit_code_for
from ..logs import logger, setup_logging
from ..tuning import tune_process  # noqa: F401  (for the scripts)

ExitCodes = list[tuple[type[BaseException], int]]

SETTINGS_NOTE = """\
Settings: flag > environment > configuration file > default. The file is --config PATH, else
$PROCORE_CONFIG, else ./procore-ingest.toml when it exists (TOML: a top level for common keys,
a section per command, [tables.<name>]); secrets stay in the environment or .env.
--print-config shows every setting in effect and where it came from."""


def run(main: Callable[[], int], exit_codes: ExitCodes, args: argparse.Namespace | None = None) -> int:
    """Call `main`, mapping library errors to the contract's exit codes with a one-line error.

    Logging follows the resolved log_level and log_format of `args` (see `CommandLine.parse`).
    No traceback reaches the user unless LOG_LEVEL=DEBUG (or --verbose).
    """
    setup_logging(getattr(args, "log_level", None) or config.log_level(),
                  fmt=getattr(args, "log_format", None) or "text")
    try:
        return main()
    except ProcoreIngestError as exc:
        logger.error("%s", scrub(str(exc)))
        return exit_code_for(exc, exit_codes)
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`--status | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a bug: say so in one line, details only at DEBUG
        logger.error("unexpected error: %s: %s", type(exc).__name__, scrub(str(exc)).splitlines()[0] if str(exc) else "")
        if logger.isEnabledFor(logging.DEBUG):
            logger.exception("traceback")
        return exit_code_for(exc, exit_codes) if isinstance(exc, ProcoreIngestError) else 1


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


class CommandLine:
    """One command's parser: grouped options whose defaults, environment variables and
    configuration-file keys come from `procore_ingest.settings`, and a help epilog with the
    exit codes and examples."""

    def __init__(self, command: str, doc: str, examples: str, prog: str | None = None) -> None:
        summary, _, rest = doc.strip().partition("\n\n")
        self.command = command
        self.keys = settings.command_keys(command)
        self.names: list[str] = []  # the settings this command resolves
        self.parser = argparse.ArgumentParser(
            prog=prog, description=" ".join(summary.split()),
            epilog=f"{rest.strip()}\n\n{SETTINGS_NOTE}\n\nexamples:\n{examples.rstrip()}",
            formatter_class=argparse.RawDescriptionHelpFormatter)
        self.parser.add_argument("--version", action="version", version=f"procore-ingest {__version__}")

    def group(self, title: str) -> Any:
        return self.parser.add_argument_group(title)

    def setting(self, group: Any, flag: str, key: str, help: str, default_text: str | None = None,
                **kwargs: Any) -> None:
        """A flag for settings key `key`: its default is shown, given only when typed (None
        otherwise, so that the environment, file and default can be told apart)."""
        spec = self.keys[key]
        shown = default_text if default_text is not None else _shown(spec.default)
        extra = f"default: {shown}" + (f"; env {spec.env}" if spec.env else "")
        kwargs.setdefault("type", {int: positive_int if spec.minimum == 1 else int, float: float,
                                   str: None, list: None, bool: None}[spec.kind])
        if spec.kind is bool:
            kwargs.pop("type")
            kwargs.setdefault("action", argparse.BooleanOptionalAction)
        elif spec.kind is list:
            kwargs.setdefault("nargs", "+")
        if spec.choices and "choices" not in kwargs:
            kwargs["choices"] = list(spec.choices)
        if kwargs.get("type") is None:
            kwargs.pop("type", None)
        group.add_argument(flag, dest=key, default=None, help=f"{help} ({extra})", **kwargs)
        self.names.append(key)

    def add_output_options(self, group: Any) -> None:
        """--config, --print-config, --log-format and --verbose: the same on every command."""
        group.add_argument("--config", metavar="PATH",
                           help=f"TOML configuration file (default: ${settings.CONFIG_ENV}, "
                                f"else ./{settings.DEFAULT_CONFIG_FILE} if present)")
        self.setting(group, "--log-format", "log_format",
                     "log lines on stderr: the contract's text format, or one JSON object a line")
        group.add_argument("--verbose", action="store_true", help="debug logging (LOG_LEVEL=DEBUG)")
        self.names.append("log_level")

    def parse(self, argv: list[str] | None, exit_codes: ExitCodes) -> argparse.Namespace:
        """Parse `argv`, then put each setting's effective value on the namespace (flag >
        environment > file > default). A bad setting is a one-line error and `exit_codes`'s code
        for ConfigError; --print-config prints the settings and exits 0."""
        args = self.parser.parse_args(argv)
        try:
            file = settings.load_config(args.config)
            flags = {name: getattr(args, name, None) for name in self.names}
            if args.verbose:
                flags["log_level"] = "DEBUG"
            effective = settings.resolve(self.command, flags, file, self.names)
        except ConfigError as exc:
            setup_logging(config.log_level())
            logger.error("%s", scrub(str(exc)))
            raise SystemExit(exit_code_for(exc, exit_codes)) from None
        for name, value in effective.values.items():
            setattr(args, name, value)
        args.settings = effective
        if getattr(args, "print_config", False):
            from .output import print_config_lines

            print("\n".join(print_config_lines(effective, self.parser.prog)))
            raise SystemExit(0)
        return args


def _shown(default: Any) -> str:
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def add_lock_argument(cli: CommandLine, group: Any) -> None:
    cli.setting(group, "--lock-file", "lock_file", "the lock that keeps one run per Vespa target",
                default_text="/tmp/procore-sync-<hash of the target URL>.lock, the same from every folder",
                metavar="PATH")


def add_file_arguments(cli: CommandLine) -> None:
    """The --download-files flags, shared by ingestion and sync."""
    g = cli.group("files (--download-files)")
    cli.setting(g, "--download-files", "download_files",
                "download the files rows refer to (S3 keys, URLs) and index them as pdf_page documents")
    cli.setting(g, "--file-workers", "file_workers", "parallel file downloads", metavar="N")
    cli.setting(g, "--s3-bucket", "s3_bucket", "bucket of bare S3 keys", metavar="BUCKET")
    cli.setting(g, "--max-file-mb", "max_file_mb", "larger files are indexed by name and metadata only",
                type=positive_float, metavar="MB")
    cli.setting(g, "--file-timeout", "file_timeout", "timeout of each file request", type=positive_float,
                metavar="SECONDS")
    cli.setting(g, "--render-pages", "render_pages",
                "store page images (full_image, blur_image); needs procore-ingest[render]")
    cli.setting(g, "--embedder", "embedder", "callable adding fields (e.g. embedding) to each page",
                metavar="MODULE:FUNCTION")
    cli.setting(g, "--refresh-files", "refresh_files", "fetch and index every file again, ignoring the file cache")


def file_options(args: argparse.Namespace):
    """FileOptions from --download-files and its flags; the other file flags alone are a mistake."""
    from ..files import FileOptions

    if not args.download_files:
        given = [flag for flag, on in (("--render-pages", args.render_pages), ("--embedder", args.embedder),
                                       ("--refresh-files", args.refresh_files), ("--s3-bucket", args.s3_bucket))
                 if on]
        if given:
            raise ConfigError(f"{', '.join(given)} only apply with --download-files")
        return None
    return FileOptions(bucket=args.s3_bucket, workers=args.file_workers,
                       max_file_mb=args.max_file_mb, timeout_s=args.file_timeout,
                       render_pages=args.render_pages, embedder=args.embedder,
                       refresh=args.refresh_files)
