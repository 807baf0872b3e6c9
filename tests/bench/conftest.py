"""bench/ is a folder of scripts, not a package: its helpers are imported from there."""

from __future__ import annotations

import sys

from shared_exchange.config import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

