"""What the three scripts share: logging set-up and turning errors into exit codes.

Scripts stay thin: they parse flags, call the library inside `run()`, and return its code.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from .config import log_level, scrub
from .errors import ProcoreIngestError, exit_code_for
from .logs import logger, setup_logging


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
    except Exception as exc:  # a bug: say so in one line, details only at DEBUG
        logger.error("unexpected error: %s: %s", type(exc).__name__, scrub(str(exc)).splitlines()[0] if str(exc) else "")
        if logger.isEnabledFor(logging.DEBUG):
            logger.exception("traceback")
        return exit_code_for(exc, exit_codes) if isinstance(exc, ProcoreIngestError) else 1


def exit_with(code: int) -> None:
    sys.exit(code)
