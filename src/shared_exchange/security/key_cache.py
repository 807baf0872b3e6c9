"""A bounded, insertion-ordered cache for key material and person-key choices.

A process that ingests a province's backlog meets millions of persons; holding every
person's unwrapped key (and token → key id) it ever saw would grow with the population and
keep key material in memory longer than needed. Past ``limit`` the oldest entries go; a
forgotten key is unwrapped again from the store when next needed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

# Well above the persons of one ingestion chunk (CHUNK_ROWS), whose keys are resolved and
# then read back together; ~130 MB at most for both caches of one keyring.
PERSON_CACHE_ENTRIES = 1 << 18


class BoundedCache(OrderedDict):
    """An OrderedDict that forgets its oldest entries past ``limit`` (writes are locked:
    ingestion threads share one keyring)."""

    def __init__(self, limit: int = PERSON_CACHE_ENTRIES) -> None:
        super().__init__()
        self.limit = limit
        self._lock = threading.Lock()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)
            while len(self) > self.limit:
                self.popitem(last=False)

    def drop_where(self, predicate: Any) -> None:
        """Remove every entry whose (key, value) matches ``predicate``."""
        with self._lock:
            for key in [k for k, v in self.items() if predicate(k, v)]:
                del self[key]
