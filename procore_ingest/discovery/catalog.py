"""Read tables, columns, keys, indexes and foreign keys from pg_catalog in a few batched queries.

pg_catalog rather than information_schema: the latter hides constraints on tables the role
neither owns nor holds a non-SELECT privilege on, and the user connects with a SELECT-only role.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Column, Relationship, Table, TableKind

_RELKINDS: dict[str, TableKind] = {
    "r": "table",
    "p": "partitioned_table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}

_USER_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""

# Only constant text is interpolated below; the queries run without parameters.
RELATIONS_SQL = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
       c.reltuples::float8, pg_relation_size(c.oid) AS bytes,
       obj_description(c.oid, 'pg_class') AS comment,
       parent_ns.nspname AS parent_schema, parent.relname AS parent_name,
       has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS readable,
       c.relkind <> 'm' OR c.relispopulated AS populated
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class parent ON parent.oid = i.inhparent
LEFT JOIN pg_namespace parent_ns ON parent_ns.oid = parent.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER_SCHEMAS}
ORDER BY n.nspname, c.relname
"""  # noqa: S608

SCHEMAS_SQL = f"""
SELECT n.nspname FROM pg_namespace n WHERE {_USER_SCHEMAS} ORDER BY n.nspname
"""  # noqa: S608

# Domains resolve to their base type; arrays report their element type (itself resolved).
COLUMNS_SQL = """
SELECT a.attrelid, a.attname, a.attnum,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default_value,
       a.attgenerated <> '' AS is_generated,
       t.typtype, t.typcategory,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS domain_base,
       bt.typcategory AS domain_base_category,
       CASE WHEN t.typcategory = 'A' THEN
           CASE WHEN et.typtype = 'd' THEN format_type(et.typbasetype, et.typtypmod)
                WHEN et.typtype = 'e' THEN 'enum'
                ELSE format_type(t.typelem, NULL) END END AS element_type,
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
         WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END)
         AS enum_values
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype
LEFT JOIN pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Primary keys and unique keys from pg_index: Prisma creates unique *indexes*, not constraints.
KEYS_SQL = """
SELECT ix.indrelid, ix.indisprimary,
       array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS columns,
       ix.indnkeyatts, ix.indpred IS NOT NULL AS partial, ix.indexprs IS NOT NULL AS expression,
       am.amname,
       (SELECT a.attname FROM pg_attribute a
         WHERE a.attrelid = ix.indrelid AND a.attnum = ix.indkey[0]) AS leading_column,
       ix.indisunique
FROM pg_index ix
JOIN pg_class ic ON ic.oid = ix.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE ix.indrelid = ANY(%s)
ORDER BY ix.indrelid, ic.relname
"""

FOREIGN_KEYS_SQL = """
SELECT con.conname, con.conrelid, con.confrelid,
       sn.nspname, sc.relname, tn.nspname, tc.relname,
       array(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS source_columns,
       array(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord) AS target_columns,
       con.confdeltype
FROM pg_constraint con
JOIN pg_class sc ON sc.oid = con.conrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
JOIN pg_class tc ON tc.oid = con.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
WHERE con.contype = 'f' AND con.conrelid = ANY(%s)
  -- a key declared on a partitioned parent is cloned onto each partition: report it once
  AND con.conparentid = 0
ORDER BY sn.nspname, sc.relname, con.conname
"""

_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass
class CatalogTable:
    """A table as the catalog describes it, before anything is read from it."""

    oid: int
    table: Table
    estimated_rows: float  # reltuples: -1 (or 0 with no pages) when never analysed
    size_bytes: int
    populated: bool
    indexed_leading_columns: set[str]


@dataclass
class Catalog:
    schemas: list[str]
    tables: list[CatalogTable]
    foreign_keys: list[Relationship]


def _column(row: tuple) -> Column:
    (_, name, attnum, data_type, notnull, default, generated, typtype, category,
     domain_base, domain_category, element_type, enum_values) = row
    base_type = domain_base if typtype == "d" else ("enum" if typtype == "e" else None)
    return Column(
        name=name,
        data_type=data_type,
        is_nullable=not notnull,
        default_value=default,
        ordinal_position=attnum,
        base_type=base_type,
        enum_values=list(enum_values) if enum_values else None,
        is_array=element_type is not None,
        element_type=element_type,
        is_generated=bool(generated),
        type_category=domain_category if typtype == "d" else category,
    )


def read_catalog(conn) -> Catalog:
    """Every user relation with its columns, keys, leading index columns and foreign keys."""
    with conn.cursor() as cur:
        cur.execute(SCHEMAS_SQL)
        schemas = [r[0] for r in cur.fetchall()]
        cur.execute(RELATIONS_SQL)
        relations = cur.fetchall()
        oids = [r[0] for r in relations]
        cur.execute(COLUMNS_SQL, (oids,))
        columns_by_oid: dict[int, list[Column]] = {}
        for row in cur.fetchall():
            columns_by_oid.setdefault(row[0], []).append(_column(row))
        cur.execute(KEYS_SQL, (oids,))
        keys = cur.fetchall()
        cur.execute(FOREIGN_KEYS_SQL, (oids,))
        fk_rows = cur.fetchall()

    primary: dict[int, list[str]] = {}
    unique: dict[int, list[list[str]]] = {}
    leading: dict[int, set[str]] = {}
    for relid, is_primary, cols, nkeys, partial, expression, amname, lead, is_unique in keys:
        key_cols = list(cols)[:nkeys]
        if amname == "btree" and lead and not partial:
            leading.setdefault(relid, set()).add(lead)
        if expression or partial:
            continue
        if is_primary:
            primary[relid] = key_cols
        elif is_unique and key_cols not in unique.get(relid, []):
            unique.setdefault(relid, []).append(key_cols)

    tables: list[CatalogTable] = []
    partitions_of: dict[tuple[str, str], list[str]] = {}
    for (oid, schema, name, relkind, is_partition, reltuples, size, comment,
         parent_schema, parent_name, readable, populated) in relations:
        kind: TableKind = "partition" if is_partition else _RELKINDS[relkind]
        parent = None
        if is_partition and parent_name:
            parent = parent_name if parent_schema == schema else f"{parent_schema}.{parent_name}"
            partitions_of.setdefault((parent_schema, parent_name), []).append(name)
        table = Table(
            schema=schema,
            name=name,
            kind=kind,
            row_count=None,
            row_count_exact=False,
            columns=columns_by_oid.get(oid, []),
            primary_key=primary.get(oid, []),
            unique_constraints=unique.get(oid, []),
            partition_of=parent,
            comment=comment,
            readable=bool(readable),
            read_error=None if readable else "permission denied (no SELECT privilege)",
        )
        tables.append(
            CatalogTable(oid, table, float(reltuples), int(size or 0), bool(populated),
                         leading.get(oid, set()))
        )
    for ct in tables:
        ct.table.partitions = sorted(partitions_of.get((ct.table.schema, ct.table.name), []))

    foreign_keys = [
        Relationship(
            source_schema=sn, source_table=sc, source_columns=list(scols),
            target_schema=tn, target_table=tc, target_columns=list(tcols),
            kind="foreign_key", constraint_name=conname, on_delete=_ON_DELETE.get(deltype),
        )
        for conname, _src, _tgt, sn, sc, tn, tc, scols, tcols, deltype in fk_rows
    ]
    return Catalog(schemas=schemas, tables=tables, foreign_keys=foreign_keys)


# What discovery reads from the catalog, digested in one query: relations (kind, comment,
# partitions, whether the role may read them), columns (types, defaults, nullability, comments),
# enum labels in order, keys and indexes, constraints (foreign keys and others). pg_class.oid
# is part of every line, so a table dropped and created again under the same name moves it.
# Not the file node: TRUNCATE and VACUUM FULL change rows, not the schema.
CATALOG_FINGERPRINT_SQL = f"""
SELECT md5(coalesce((SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
  SELECT concat_ws('|', 'r', c.oid, n.nspname, c.relname, c.relkind, c.relispartition,
                   c.relkind <> 'm' OR c.relispopulated,
                   has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'),
                   obj_description(c.oid, 'pg_class'),
                   (SELECT string_agg(i.inhparent::text, ',' ORDER BY i.inhparent)
                      FROM pg_inherits i WHERE i.inhrelid = c.oid)) AS line
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER_SCHEMAS}
  UNION ALL
  SELECT concat_ws('|', 'a', a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.atttypid, a.attnotnull, a.attgenerated, pg_get_expr(d.adbin, d.adrelid),
                   col_description(a.attrelid, a.attnum))
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_USER_SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  -- every enum and domain: a label renamed, added or reordered changes documents' values
  SELECT concat_ws('|', 'e', e.enumtypid, e.enumsortorder, e.enumlabel) FROM pg_enum e
  UNION ALL
  SELECT concat_ws('|', 'd', t.oid, t.typbasetype, t.typtypmod, t.typnotnull) FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'd' AND {_USER_SCHEMAS}
  UNION ALL
  SELECT concat_ws('|', 'i', ix.indexrelid, ix.indrelid, ix.indisprimary, ix.indisunique, ix.indkey::text,
                   ix.indnkeyatts, ix.indpred IS NOT NULL, ix.indexprs IS NOT NULL, ic.relam)
  FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid
  JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE {_USER_SCHEMAS}
  UNION ALL
  SELECT concat_ws('|', 'c', con.oid, con.conname, con.contype, con.conrelid, con.confrelid,
                   con.conkey::text, con.confkey::text, con.confdeltype, con.conparentid)
  FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
  WHERE {_USER_SCHEMAS}
  UNION ALL
  SELECT concat_ws('|', 's', n.oid, n.nspname, has_schema_privilege(n.oid, 'USAGE'))
  FROM pg_namespace n WHERE {_USER_SCHEMAS}
) lines), ''))
"""  # noqa: S608


def catalog_fingerprint(conn) -> str:
    """A digest of everything discovery reads from the catalog (one query, no table rows):
    equal fingerprints mean the last schema map still describes the database, but for what
    discovery samples from rows (file references, inferred relationships), which is refreshed
    only when the catalog moves."""
    with conn.cursor() as cur:
        cur.execute(CATALOG_FINGERPRINT_SQL)
        return str(cur.fetchone()[0])
