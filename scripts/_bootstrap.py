"""Let `python scripts/<name>.py` find the package when run from a clone without installing."""

import sys
from pathlib import Path

_root = str(Path(__file__).resolve().parents[1])
if _root not in sys.path:
    sys.path.insert(0, _root)
