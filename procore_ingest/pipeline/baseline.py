"""A table's baseline (source/changes.py) kept as the state the next sync cycle starts from.

The source only measures; pipeline/ decides what is stored (as dlt keeps state out of its
sources). The cycle then adds its own outcome (records, changes, pending operations...)."""

from __future__ import annotations

from ..source.changes import Baseline
from ..state import TableSyncState


def sync_state(baseline: Baseline) -> TableSyncState:
    """A fresh TableSyncState holding `baseline` (its copies: the state is changed in place)."""
    return TableSyncState(columns=baseline.columns, documents=baseline.documents, mode=baseline.mode,
                          activity=baseline.activity, fingerprint=list(baseline.fingerprint),
                          watermarks=dict(baseline.watermarks), recent=dict(baseline.recent),
                          buckets=baseline.buckets, digests=dict(baseline.digests),
                          checked_phases=list(baseline.checked_phases), labels=baseline.labels,
                          bounds=list(baseline.bounds) if baseline.bounds is not None else None)
