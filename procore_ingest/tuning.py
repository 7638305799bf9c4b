"""Process settings for bulk work: the scripts and the worker processes apply them; the library,
imported into somebody else's process (a notebook), leaves that process alone."""

from __future__ import annotations

import contextlib
import gc

# glibc mallopt parameters
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def tune_gc() -> None:
    """Fewer full garbage collections: a batch of 10,000 documents is millions of small,
    short-lived objects without cycles, and the default thresholds scan them over and over
    (about 15% of an ingestion)."""
    gc.freeze()  # what is loaded so far (modules, the schema) is never garbage
    gc.set_threshold(50_000, 20, 20)


def tune_malloc() -> None:
    """Keep freed memory for the next batch instead of handing it back to the kernel and
    faulting it in again: each batch allocates and frees tens of megabytes, and with glibc's
    defaults that was ~500,000 page faults per 200,000 rows (a tenth of the CPU time). Memory
    stays bounded by the largest batch. glibc only; elsewhere nothing changes."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(_M_TRIM_THRESHOLD, 256 << 20)
        libc.mallopt(_M_TOP_PAD, 64 << 20)
        libc.mallopt(_M_MMAP_THRESHOLD, 256 << 20)  # big buffers from the heap, reused too


def tune_process() -> None:
    """Both of the above: for the scripts and the worker processes."""
    tune_gc()
    tune_malloc()
