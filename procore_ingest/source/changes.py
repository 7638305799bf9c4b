"""Change detection queries. Everything is computed inside PostgreSQL; only changed rows, or
small digests, cross the wire.

Three mechanisms (docs/change-detection.md):

- Cursor: rows whose change-tracking column (every one the table has, e.g. updated_at AND
  last_synced_at) moved past the stored watermark minus an overlap window. A row re-read in the
  overlap is fed again only if its content hash (a keyed md5 of the row's text) differs from the one
  kept from the last cycle, so late-committing transactions are caught without re-feeding.
- Digest: tables without a change column are hashed per key-range bucket in one grouped scan;
  only buckets whose digest moved are read and fed.
- Key fingerprint: count and sum of key hashes. When it moves, the table's ids in the index are
  listed and compared with the keys in the database: what is gone is removed, what is missing
  is fed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from psycopg2 import sql

from ..discovery.sensitive import keyed_hash
from ..errors import ConfigError
from ..plan import DOCUMENT_FORMAT, TablePlan
from .reader import key_to_json, read_pages
from .sql import begin_snapshot, columns, stream, table_ident

DEFAULT_OVERLAP_S = 300
TRUE = sql.SQL("true")
MIN_BUCKETS, MAX_BUCKETS, ROWS_PER_BUCKET = 16, 4096, 64
# The content check of tables with change columns compares one slice of buckets per cycle:
# every row is compared at least once every CHECK_SLICES cycles (tables with key ranges: more
# slices when one would hold more than the row budget, `check_slices`).
CHECK_SLICES = 12


# The whole row as text. Never `t::text`: a column named `t` would be taken for the row (the
# same text as `t::text` for every other table, so digests kept in sync states stay valid).
ROW_TEXT = sql.SQL("ROW(t.*)::text")


def _key_text(plan: TablePlan) -> sql.Composable:
    """A text expression identifying the row: its key, or (no key) its whole content."""
    if not plan.key_columns:
        return ROW_TEXT
    if len(plan.key_columns) == 1:
        return sql.SQL("t.{}::text").format(sql.Identifier(plan.key_columns[0]))
    return sql.SQL("ROW({})::text").format(sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(k))
                                                                  for k in plan.key_columns))


def digest_salt(id_key: bytes) -> str:
    """The secret every row digest is keyed with, derived from the deployment's id key (which
    itself never leaves the process): the digests kept in checkpoints.json cover whole rows,
    withheld columns included, and an unkeyed md5 of a row gives a low-entropy secret (a
    6-digit code) away to anyone who reads the file and knows the rest of the row."""
    if not id_key:
        raise ConfigError("row digests need the deployment's id key (PROCORE_ID_KEY or the state "
                          "directory's id.key)")
    return hmac.new(id_key, b"procore-ingest row digests", hashlib.sha256).hexdigest()


def keyed_digest(plan: TablePlan, expr: sql.Composable) -> sql.Composable:
    """md5(salt || md5(`expr`)), computed by PostgreSQL (which has no HMAC without pgcrypto):
    the one way a row or key is digested for the state. The salt is secret, so no digest can be
    inverted by trying candidate values. The inner md5 is the digest states before format 3
    kept, so their row digests convert in Python (`rekey_recent`) instead of re-feeding rows."""
    return sql.SQL("md5({} || md5({}))").format(sql.Literal(digest_salt(plan.id_key)), expr)


def rekey(plan: TablePlan, unkeyed: str) -> str:
    """`keyed_digest` of a row whose unkeyed md5 (format 2 and before) is `unkeyed`."""
    return hashlib.md5((digest_salt(plan.id_key) + unkeyed).encode()).hexdigest()


def rekey_recent(plan: TablePlan, recent: Mapping[str, str]) -> dict[str, str]:
    """A state's `recent` rows (format 2 and before: unkeyed md5s) as this version keys them:
    the rows re-read in the overlap are compared as before, none is fed again for the upgrade."""
    return {(k if plan.key_columns else rekey(plan, k)): rekey(plan, v) for k, v in recent.items()}


def _hash64(plan: TablePlan | None, expr: sql.Composable) -> sql.Composable:
    # 60 bits of the keyed md5 as a bigint: sums of millions of them stay exact (sum(bigint) is
    # numeric). `plan` None: the unkeyed md5 of states before format 3 (`bucket_digests`).
    digest = keyed_digest(plan, expr) if plan is not None else sql.SQL("md5({})").format(expr)
    return sql.SQL("('x' || substr({}, 1, 15))::bit(60)::bigint").format(digest)


def _live(plan: TablePlan) -> sql.Composable:
    """Rows that belong in the index (soft-deleted rows do not)."""
    if plan.soft_delete_column:
        return sql.SQL(" WHERE t.{} IS NULL").format(sql.Identifier(plan.soft_delete_column))
    return sql.SQL("")


def table_activity(conn, plan: TablePlan) -> list[Any] | None:
    """PostgreSQL's cumulative write counters of the table (inserts, updates, deletes, live
    rows) and its file node (TRUNCATE changes it), or None when they cannot be trusted (counters
    off, a partitioned parent). Read *before* the cycle's snapshot: a write the counters already
    show is committed and so visible to that snapshot; one they do not show yet changes them
    before a later cycle. Unchanged counters mean nothing was written since the last look."""
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("""SELECT current_setting('track_counts') = 'on', s.n_tup_ins, s.n_tup_upd, s.n_tup_del,
                              s.n_live_tup, pg_relation_filenode(c.oid)
                       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
                       WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'r'""",
                    (plan.table.schema, plan.table.name))
        row = cur.fetchone()
    conn.rollback()
    if not row or not row[0] or row[1] is None or row[5] is None:
        return None
    return [int(v) for v in row[1:]]


@dataclass
class Fingerprint:
    count: int
    key_sum: str  # numeric as text: exact

    def to_json(self) -> list:
        return [self.count, self.key_sum]


def key_fingerprint(cur, plan: TablePlan) -> Fingerprint:
    cur.execute(sql.SQL("SELECT count(*), coalesce(sum({}), 0)::text FROM {} t{}").format(
        _hash64(plan, _key_text(plan)), table_ident(plan.table), _live(plan)))
    count, key_sum = cur.fetchone()
    return Fingerprint(int(count), key_sum)


def _clock(plan: TablePlan, column: str) -> sql.Composable | None:
    """The database's own 'now' in the column's type: naive timestamps hold UTC (Prisma), or
    wall-clock time in the plan's naive zone ($PROCORE_NAIVE_TIMEZONE), and their clock is that
    zone's. None for types that are no clock (a version number)."""
    kind = plan.table.column(column).effective_type
    zone = sql.Literal(plan.naive_timezone)
    if kind.startswith("timestamp") and "with time zone" in kind and "without" not in kind:
        return sql.SQL("now()")
    if kind.startswith("timestamp"):
        return sql.SQL("(now() AT TIME ZONE {})").format(zone)
    if kind == "date":
        return sql.SQL("(now() AT TIME ZONE {})::date").format(zone)
    return None


def column_maxima(cur, plan: TablePlan, only_indexed: bool = False) -> dict[str, str | None]:
    """The watermark of each change column as exact text: its max() (index-backed where an
    index exists), but never past the database's clock, so that a row dated in the future (a
    writer's skewed clock, 'infinity') cannot blind the column: such rows stay above the
    watermark and are read again every cycle while they are in the future (their content
    hash keeps them from being fed again). `only_indexed`: the columns a btree index leads with
    (max() reads one index entry), none that would need a scan of the table."""
    indexed = {t.name for t in plan.table.timestamp_columns if t.indexed}
    chosen = [c for c in plan.change_columns if c in indexed or not only_indexed]
    if not chosen:
        return {}
    parts = []
    for c in chosen:
        top = sql.SQL("(SELECT max(t.{c}) FROM {table} t)").format(c=sql.Identifier(c), table=table_ident(plan.table))
        clock = _clock(plan, c)
        parts.append(sql.SQL("LEAST({}, {})::text").format(top, clock) if clock is not None
                     else sql.SQL("{}::text").format(top))
    cur.execute(sql.SQL("SELECT {}").format(sql.SQL(", ").join(parts)))
    return dict(zip(chosen, cur.fetchone(), strict=True))


def _column_type(plan: TablePlan, name: str) -> sql.SQL:
    return sql.SQL(plan.table.column(name).data_type)


class Row(NamedTuple):
    digest: str  # keyed md5 of the row's text (`keyed_digest`), computed by PostgreSQL
    values: dict[str, Any]
    in_window: bool = True  # inside the overlap window of the new watermarks: re-read next cycle


def _past(plan: TablePlan, watermarks: Mapping[str, str | None], overlap_s: int) -> tuple[sql.Composable, list[Any]]:
    """`c1 > w1 - overlap OR c2 > w2 - overlap ...` over the columns that have a watermark."""
    conds, params = [], []
    for c in plan.change_columns:
        if watermarks.get(c) is not None:
            conds.append(sql.SQL("t.{c} > %s::{typ} - make_interval(secs => %s)").format(
                c=sql.Identifier(c), typ=_column_type(plan, c)))
            params += [watermarks[c], overlap_s]
    return (sql.SQL(" OR ").join(conds) if conds else TRUE), params


def changed_rows(conn, plan: TablePlan, watermarks: Mapping[str, str | None], overlap_s: int,
                 batch_size: int, new_watermarks: Mapping[str, str | None] | None = None) -> Iterator[list[Row]]:
    """Rows whose change columns passed their watermark minus the overlap, in key order, from
    the current snapshot; each flagged whether it lies in the overlap window of
    `new_watermarks` (only those need remembering for the next cycle)."""
    past, params = _past(plan, watermarks, overlap_s)
    window, window_params = _past(plan, new_watermarks or {}, overlap_s)
    yield from _stream(conn, plan, past if params else None, params, batch_size, window, window_params)


def rows_by_keys(conn, plan: TablePlan, keys: list[list[Any]], batch_size: int) -> Iterator[list[Row]]:
    """The rows with these keys (JSON key values, cast back to the key columns' types)."""
    if not keys or not plan.key_columns:
        return
    cols = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(k)) for k in plan.key_columns)
    casts = sql.SQL(", ").join(sql.SQL("(k.v->>{})::{}").format(sql.Literal(i), _column_type(plan, c))
                               for i, c in enumerate(plan.key_columns))
    where = sql.SQL("({}) IN (SELECT {} FROM jsonb_array_elements(%s::jsonb) AS k(v))").format(cols, casts)
    yield from _stream(conn, plan, where, [json.dumps(keys)], batch_size)


def bucket_count(rows: int) -> int:
    return max(MIN_BUCKETS, min(MAX_BUCKETS, rows // ROWS_PER_BUCKET or MIN_BUCKETS))


def _bucket(plan: TablePlan, buckets: int) -> sql.Composable:
    return sql.SQL("mod(hashtext({}) & 2147483647, {})").format(_key_text(plan), sql.Literal(buckets))


def bucket_digests(cur, plan: TablePlan, buckets: int, unkeyed: bool = False) -> dict[str, str]:
    """bucket -> "count:sum of row hashes", for every non-empty bucket, in one grouped scan.
    `unkeyed`: as states before format 3 kept them, to compare with one once (never stored)."""
    cur.execute(sql.SQL("SELECT {b} AS b, count(*) || ':' || sum({h}) FROM {t} t{live} GROUP BY 1").format(
        b=_bucket(plan, buckets), h=_hash64(None if unkeyed else plan, ROW_TEXT), t=table_ident(plan.table),
        live=_live(plan)))
    return {str(b): digest for b, digest in cur.fetchall()}


def bucket_slice_digests(cur, plan: TablePlan, buckets: int, slices: int, phase: int) -> dict[str, str]:
    """`bucket_digests` of the buckets `b` with `b % slices == phase` only: the rotating
    content check of tables with change columns (one slice per cycle)."""
    cur.execute(sql.SQL("SELECT {b} AS b, count(*) || ':' || sum({h}) FROM {t} t WHERE mod({b}, {n}) = {p}{live} "
                        "GROUP BY 1").format(
        b=_bucket(plan, buckets), h=_hash64(plan, ROW_TEXT), t=table_ident(plan.table),
        n=sql.Literal(slices), p=sql.Literal(phase),
        live=sql.SQL(" AND t.{} IS NULL").format(sql.Identifier(plan.soft_delete_column))
        if plan.soft_delete_column else sql.SQL("")))
    return {str(b): digest for b, digest in cur.fetchall()}


def server_state(conn) -> tuple[bool, str | None]:
    """(is this a hot standby, when were its statistics last reset or the server started):
    PostgreSQL's write counters are a shortcut only on a primary whose counters did not start
    over since the last cycle (a standby never counts replayed writes; a crash, a failover
    or pg_stat_reset() starts them over)."""
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("""SELECT pg_is_in_recovery(),
                              coalesce((SELECT stats_reset::text FROM pg_stat_database
                                        WHERE datname = current_database()), '-')
                              || ' ' || pg_postmaster_start_time()::text""")
        in_recovery, epoch = cur.fetchone()
    conn.rollback()
    return bool(in_recovery), epoch


def rows_in_buckets(conn, plan: TablePlan, buckets: int, chosen: list[int], batch_size: int
                    ) -> Iterator[list[Row]]:
    where = sql.SQL("{} = ANY(%s)").format(_bucket(plan, buckets))
    yield from _stream(conn, plan, where, [chosen], batch_size)


def all_keys(conn, plan: TablePlan, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    """Key columns (whole rows for keyless tables) of every live row, in batches."""
    cols = plan.key_columns or [c.name for c in plan.table.columns]
    query = sql.SQL("SELECT {} FROM {} t{}").format(columns(cols, "t"), table_ident(plan.table), _live(plan))
    yield from stream(conn, query, [], batch_size, lambda r: dict(zip(cols, r, strict=True)))


def _stream(conn, plan: TablePlan, where: sql.Composable | None, params: list[Any], batch_size: int,
            flag: sql.Composable = TRUE, flag_params: list[Any] | None = None) -> Iterator[list[Row]]:
    """The rows matching `where` (None: all), in key order, each batch read in a snapshot
    released before the caller feeds it (`reader.read_pages`)."""
    names = [c.name for c in plan.table.columns]
    select = sql.SQL("{}, ({}), {}").format(keyed_digest(plan, ROW_TEXT), flag, columns(names, "t"))
    yield from read_pages(conn, plan, select, where, (flag_params or []) + params, batch_size,
                          lambda r: Row(r[0], dict(zip(names, r[2:], strict=True)), bool(r[1])),
                          [2 + names.index(k) for k in plan.key_columns])


def columns_fingerprint(plan: TablePlan) -> str:
    """What decides how rows are read: key, columns and their types, withheld columns, the
    soft-delete column. When it moves, the table is loaded again in full."""
    shape = [(c.name, c.data_type) for c in plan.table.columns]
    return hashlib.sha256(json.dumps([plan.key_columns, shape, plan.withheld_columns,
                                      plan.soft_delete_column]).encode()).hexdigest()[:16]


def documents_fingerprint(plan: TablePlan) -> str:
    """What shapes a table's documents beyond its columns: relationships out of and into it
    (inferred ones included), file-reference columns, withheld columns, the display name, the
    table's own naming columns and context links, the content_text format. When it moves, every
    document of the table is fed again, so no unchanged row keeps old derived fields."""
    rels = sorted([r.source_schema, r.source_table, r.source_columns, r.target_schema, r.target_table,
                   r.target_columns, str(r.kind), r.cardinality] for r in [*plan.outgoing, *plan.incoming])
    files = sorted([f.column_name, str(f.reference_type)] for f in plan.file_columns)
    # what the rows are called and which names their context shows (discovery/naming.py)
    content = plan.naming.content_columns if plan.naming else None
    # the table's own naming columns too: its number is cited with its kind (`RFI 19`)
    own = list(plan.naming.name_columns) if plan.naming else None
    naming = [plan.display_name, content, own, *[[link.label, link.describe(), list(link.name_columns)]
                                                 for link in plan.context_links]]
    return hashlib.sha256(json.dumps([rels, files, plan.withheld_columns, naming, DOCUMENT_FORMAT])
                          .encode()).hexdigest()[:16]


def labels_fingerprint(plan: TablePlan) -> str:
    """What only the catalog says in a table's documents, moved by DDL that writes no row and
    no counter: the table's comment (`table_description`) and the labels of its enum columns
    (`metadata`, `content_text`: `ALTER TYPE ... RENAME VALUE`). When it moves, every document
    of the table is fed again. Kept beside `documents_fingerprint` (not inside it) so that a
    state written before it existed is not taken for a moved table."""
    enums = [[c.name, c.enum_values] for c in plan.table.columns if c.enum_values]
    return hashlib.sha256(json.dumps([plan.table.comment, enums]).encode()).hexdigest()[:16]


@dataclass
class Baseline:
    """What a table looked like just before it was read: what the next cycle compares against.
    A plain value: pipeline/ keeps it in the sync state (the source never writes state)."""

    columns: str  # columns_fingerprint
    documents: str  # documents_fingerprint
    mode: Literal["cursor", "digest"]  # the table has change columns, or it has none
    activity: list[Any] | None  # table_activity, read before the snapshot
    fingerprint: list[Any]  # key_fingerprint(...).to_json()
    buckets: int
    digests: dict[str, str]  # bucket (or key range, with bounds) -> "count:sum"
    watermarks: dict[str, str] = field(default_factory=dict)  # cursor mode: change column -> max value
    recent: dict[str, str] = field(default_factory=dict)  # cursor mode: rows in the overlap window -> hash
    checked_phases: list[int] = field(default_factory=list)  # cursor mode: slices whose digests are here
    labels: str = ""  # labels_fingerprint
    bounds: list[int] | None = None  # cursor mode, one integer key: the key ranges' bounds (range_baseline)


def baseline(conn, plan: TablePlan, overlap_s: int = DEFAULT_OVERLAP_S) -> Baseline:
    """The state a cycle compares against, taken *before* the table is read, so anything
    that changes while it is read is seen again next cycle (at least once, never missed)."""
    activity = table_activity(conn, plan)
    begin_snapshot(conn)
    with conn.cursor() as cur:
        fingerprint = key_fingerprint(cur, plan).to_json()
        buckets = bucket_count(fingerprint[0])
        if plan.change_columns:
            watermarks = {c: v for c, v in column_maxima(cur, plan).items() if v is not None}
            # the rotating content check compares slices of these digests, taken with the rest
            if integer_key(plan) is not None:  # key ranges: a slice is read through the key's index
                bounds, digests = range_baseline(cur, plan, int(fingerprint[0]))
                state = Baseline(columns_fingerprint(plan), documents_fingerprint(plan), "cursor", activity,
                                 fingerprint, len(bounds) + 1, digests, watermarks,
                                 checked_phases=list(range(CHECK_SLICES)), bounds=bounds)
            else:
                state = Baseline(columns_fingerprint(plan), documents_fingerprint(plan), "cursor", activity,
                                 fingerprint, buckets, bucket_digests(cur, plan, buckets), watermarks,
                                 checked_phases=list(range(CHECK_SLICES)))
        else:
            state = Baseline(columns_fingerprint(plan), documents_fingerprint(plan), "digest", activity,
                             fingerprint, buckets, bucket_digests(cur, plan, buckets))
        state.labels = labels_fingerprint(plan)
    if plan.change_columns:
        # Rows inside the overlap window as they are now: the next cycle re-reads them and
        # feeds only those whose content moved since.
        state.recent = {recent_key(plan, r.digest, r.values): r.digest
                        for rows in changed_rows(conn, plan, state.watermarks, overlap_s, 10_000)
                        for r in rows}
    conn.rollback()
    return state


def recent_key(plan: TablePlan, digest: str, row: dict[str, Any]) -> str:
    """How a row re-read in the overlap window is recognised: its key (keyless: its hash;
    a secret-looking key: its keyed hash, as in the row's id)."""
    if not plan.key_columns:
        return digest
    key = json.dumps([key_to_json(row[k]) for k in plan.key_columns])
    return keyed_hash(plan.id_key, key) if plan.key_is_secret else key


# --- key ranges: tables whose key is one integer column -------------------------------------
#
# Such a table's key space is cut into ranges at stored bounds (taken at its full load, about
# ROWS_PER_BUCKET rows each): range r holds the keys k with bounds[r-1] <= k < bounds[r]
# (PostgreSQL's width_bucket). A range is read with `WHERE k >= lo AND k < hi` through the key's
# index, so what a cycle spends on a range is proportional to the range, not to the table.

INTEGER_TYPES = ("smallint", "integer", "bigint")


def integer_key(plan: TablePlan) -> str | None:
    """The key column when the table is keyed by one integer column (and the key is not
    secret-looking: its values are kept in the state directory), else None."""
    if len(plan.key_columns) != 1 or plan.key_is_secret:
        return None
    column = plan.key_columns[0]
    return column if plan.table.column(column).effective_type in INTEGER_TYPES else None


def _key_column(plan: TablePlan) -> sql.Composable:
    column = integer_key(plan)
    if column is None:
        raise ValueError(f"{plan.name} is not keyed by one integer column")
    return sql.SQL("t.{}").format(sql.Identifier(column))


def key_range_bounds(cur, plan: TablePlan, rows: int) -> list[int]:
    """Bounds cutting the live keys into ranges of about ROWS_PER_BUCKET rows (at most
    MAX_BUCKETS ranges): one ordered pass over the key's index, at a full load."""
    ranges = bucket_count(rows)
    cur.execute(sql.SQL("SELECT min(k) FROM (SELECT {k} AS k, ntile({n}) OVER (ORDER BY {k}) AS part "
                        "FROM {t} t{live}) s GROUP BY part ORDER BY part").format(
        k=_key_column(plan), n=sql.Literal(ranges), t=table_ident(plan.table), live=_live(plan)))
    lows = [int(r[0]) for r in cur.fetchall()]
    return lows[1:]  # the first range starts below every key


def range_baseline(cur, plan: TablePlan, rows: int) -> tuple[list[int], dict[str, str]]:
    """(bounds, row digests of every range): what the content check of an integer-keyed table
    compares its slices with."""
    bounds = key_range_bounds(cur, plan, rows)
    return bounds, range_row_digests(cur, plan, bounds, 0, len(bounds))


def check_slices(rows: int, ranges: int, budget: int) -> int:
    """How many slices the content check of a table with key ranges cuts it into: at most
    max(CHECK_SLICES, ceil(rows / budget)), so that a slice holds about `budget` rows at most
    (its cost per cycle is bounded by the budget, not by the table). Slices are runs of whole
    ranges of one size (`check_slice`), none empty: fewer when there are few ranges, and past
    MAX_BUCKETS ranges times the budget (about 40M rows at 10,000) a slice is one range, more
    than the budget."""
    wanted = max(CHECK_SLICES, -(-rows // max(budget, 1)))
    size = -(-ranges // wanted)  # ranges per slice, at least one
    return -(-ranges // size)


def check_slice(bounds: list[int], phase: int, slices: int = CHECK_SLICES) -> tuple[int, int] | None:
    """The ranges (first, last) the content check compares at `phase`: one of `slices`
    contiguous runs of ranges (None: no range falls in this phase, the table is small)."""
    ranges = len(bounds) + 1
    size = -(-ranges // slices)
    first = phase * size
    return (first, min(ranges - 1, first + size - 1)) if first < ranges else None


def _range_condition(plan: TablePlan, bounds: list[int], first: int, last: int) -> tuple[sql.Composable, list[Any]]:
    """`lo <= k < hi` for the ranges first..last (contiguous), open where they reach the ends."""
    key, conds, params = _key_column(plan), [], []
    if first > 0:
        conds.append(sql.SQL("{} >= %s").format(key))
        params.append(bounds[first - 1])
    if last < len(bounds):
        conds.append(sql.SQL("{} < %s").format(key))
        params.append(bounds[last])
    return (sql.SQL(" AND ").join(conds) if conds else TRUE), params


def key_range_digests(cur, plan: TablePlan, bounds: list[int]) -> dict[str, str]:
    """range -> "count:sum of key hashes" of the live keys (`hashint8extended`, which
    indexed_keys.key_hash computes alike), every non-empty range, in one pass
    that reads only the key column (an index-only scan where the table has no soft-delete
    column and is vacuumed): where rows were deleted, without listing the index."""
    cur.execute(sql.SQL("SELECT width_bucket({k}, %s::bigint[]), count(*) || ':' || sum(hashint8extended({k}, 0)) "
                        "FROM {t} t{live} GROUP BY 1").format(k=_key_column(plan), t=table_ident(plan.table),
                                                              live=_live(plan)), [bounds])
    return {str(r): digest for r, digest in cur.fetchall()}


def range_row_digests(cur, plan: TablePlan, bounds: list[int], first: int, last: int) -> dict[str, str]:
    """range -> "count:sum of row hashes" of the ranges first..last only (`WHERE lo <= k < hi`):
    the content check's slice, at a cost proportional to the slice."""
    cond, params = _range_condition(plan, bounds, first, last)
    live = sql.SQL(" AND t.{} IS NULL").format(sql.Identifier(plan.soft_delete_column)) \
        if plan.soft_delete_column else sql.SQL("")
    cur.execute(sql.SQL("SELECT width_bucket({k}, %s::bigint[]), count(*) || ':' || sum({h}) FROM {t} t "
                        "WHERE {cond}{live} GROUP BY 1").format(
        k=_key_column(plan), h=_hash64(plan, ROW_TEXT), t=table_ident(plan.table), cond=cond, live=live),
        [bounds, *params])
    return {str(r): digest for r, digest in cur.fetchall()}


def _ranges_where(plan: TablePlan, bounds: list[int], chosen: list[int]) -> tuple[sql.Composable, list[Any]]:
    conds, params = [], []
    for r in sorted(set(chosen)):
        cond, p = _range_condition(plan, bounds, r, r)
        conds.append(sql.SQL("({})").format(cond))
        params += p
    return sql.SQL("({})").format(sql.SQL(" OR ").join(conds)), params


def rows_in_key_ranges(conn, plan: TablePlan, bounds: list[int], chosen: list[int], batch_size: int
                       ) -> Iterator[list[Row]]:
    """Every row (live or soft-deleted) of the chosen ranges, in key order."""
    if not chosen:
        return
    where, params = _ranges_where(plan, bounds, chosen)
    yield from _stream(conn, plan, where, params, batch_size)


def keys_in_key_ranges(cur, plan: TablePlan, bounds: list[int], chosen: list[int]) -> set[int]:
    """The live keys of the chosen ranges (read through the key's index)."""
    if not chosen:
        return set()
    where, params = _ranges_where(plan, bounds, chosen)
    live = sql.SQL(" AND t.{} IS NULL").format(sql.Identifier(plan.soft_delete_column)) \
        if plan.soft_delete_column else sql.SQL("")
    cur.execute(sql.SQL("SELECT {k} FROM {t} t WHERE {where}{live}").format(
        k=_key_column(plan), t=table_ident(plan.table), where=where, live=live), params)
    return {int(r[0]) for r in cur.fetchall()}
