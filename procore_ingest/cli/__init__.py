"""What the three scripts share: logging set-up and turning errors into exit codes.

Scripts stay thin: they parse flags, call the library inside `run()`, and return its code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from .. import config
from ..config import log_level, scrub
from ..errors import ConfigError, ProcoreIngestError, exit_code_for
from ..logs import logger, setup_logging
from ..tuning import tune_process  # noqa: F401  (for the scripts)


def run(main: Callable[[], int], exit_codes: list[tuple[type[BaseException], int]],
        verbose: bool = False) -> int:
    """Call `main`, mapping library errors to the contract's exit codes with a one-line error.

    No traceback reaches the user unless LOG_LEVEL=DEBUG (or --verbose).
    """
    setup_logging(log_level(verbose))
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


def add_lock_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lock-file", metavar="PATH",
                   help="the lock that keeps one run per Vespa target (default: "
                        "/tmp/procore-sync-<hash of the target URL>.lock, the same from every folder)")


def add_file_arguments(p: argparse.ArgumentParser) -> None:
    """The --download-files flags, shared by ingestion and sync."""
    p.add_argument("--download-files", action="store_true",
                   help="download the files rows refer to (S3 keys, URLs) and index them as pdf_page documents")
    p.add_argument("--file-workers", type=positive_int, default=2, help="parallel file downloads (default 2)")
    p.add_argument("--s3-bucket", metavar="BUCKET", help="bucket of bare S3 keys (default: $S3_BUCKET)")
    p.add_argument("--max-file-mb", type=positive_float, default=100.0, metavar="MB",
                   help="larger files are indexed by name and metadata only (default 100)")
    p.add_argument("--file-timeout", type=positive_float, default=60.0, metavar="SECONDS",
                   help="timeout of each file request (default 60)")
    p.add_argument("--render-pages", action="store_true",
                   help="store page images (full_image, blur_image); needs procore-ingest[render]")
    p.add_argument("--embedder", metavar="MODULE:FUNCTION",
                   help="callable adding fields (e.g. embedding) to each page (default: $PROCORE_EMBEDDER)")
    p.add_argument("--refresh-files", action="store_true",
                   help="fetch and index every file again, ignoring the file cache")


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
    return FileOptions(bucket=config.setting(args.s3_bucket, "S3_BUCKET"), workers=args.file_workers,
                       max_file_mb=args.max_file_mb, timeout_s=args.file_timeout,
                       render_pages=args.render_pages, embedder=config.setting(args.embedder, "PROCORE_EMBEDDER"),
                       refresh=args.refresh_files)
