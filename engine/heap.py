"""Building long-lived state in bulk with the cyclic collector paused.

Loading a pack (unpickling or compiling some 150,000 objects) and spaCy's pipeline make
objects that live as long as the process, fast enough that their count alone triggers the
collector: two or three full collections during `assay run`'s start walked the whole heap
(0.16 s of a one-second start) and freed nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, and put it back as it was (reference
    counting still frees what the block drops)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
