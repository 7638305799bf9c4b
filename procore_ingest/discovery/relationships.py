"""Implicit relationships: `*_id` columns without a formal foreign key, matched to the table
they name and confirmed by checking a sample of their values against that table's key.

The Procore database relies on such links: its Prisma schema declares relations, but a copy may
have no formal keys (and a SELECT-only role sees none in information_schema), and
many `*_id` columns point at Procore entities that are not mirrored (those are not reported).
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg2 import sql

from .model import Relationship, Table

_INTEGER_TYPES = {"smallint", "integer", "bigint"}
_TEXT_TYPES = {"text", "character varying", "character", "name", "citext"}
SUFFIX_MATCH_MIN_CONFIDENCE = 0.8  # a guess from a name suffix must be confirmed by the data


@dataclass
class _Candidate:
    target: Table
    by_suffix: bool


def plural_forms(word: str) -> list[str]:
    """The table names a singular stem may appear as: x, xs, xes, x(y->ies)."""
    forms = [word, word + "s", word + "es"]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")
    if word.endswith("s"):  # 'status' -> 'statuses' handled by +es; 'series' stays
        forms.append(word)
    return list(dict.fromkeys(forms))


def _type_family(data_type: str) -> str:
    base = data_type.split("(")[0]
    if base in _INTEGER_TYPES:
        return "integer"
    if base in _TEXT_TYPES:
        return "text"
    return base


def _single_key(table: Table) -> str | None:
    return table.primary_key[0] if len(table.primary_key) == 1 else None


class _Targets:
    """Tables a `*_id` column may point to, by name, and indexed by the word-suffixes and words
    of their names, so that finding candidates does not scan every table for every column."""

    def __init__(self, tables: list[Table]) -> None:
        self.by_name: dict[str, list[Table]] = {}
        for t in tables:
            self.by_name.setdefault(t.name, []).append(t)
        self.rank = {name: i for i, name in enumerate(self.by_name)}  # the order results keep
        self.by_suffix: dict[str, list[str]] = {}  # "line_items" -> names ending in "_line_items"
        self.by_word: dict[str, list[str]] = {}
        for name in self.by_name:
            parts = name.split("_")
            for i in range(1, len(parts)):
                self.by_suffix.setdefault("_".join(parts[i:]), []).append(name)
            for word in dict.fromkeys(parts):
                self.by_word.setdefault(word, []).append(name)

    def ending_with(self, form: str, or_named: bool) -> list[str]:
        """Names that end with `_form` (and the name `form` itself when `or_named`), in order."""
        names = list(self.by_suffix.get(form, []))
        if or_named and form in self.by_name and form not in names:
            names.append(form)
        return sorted(names, key=self.rank.__getitem__)


def _candidates(source: Table, column: str, targets: _Targets) -> list[_Candidate]:
    stem = column[:-3]
    if stem == "parent" or stem.endswith("_parent"):
        return [_Candidate(source, False)]
    exact = [t for form in plural_forms(stem) for t in targets.by_name.get(form, [])]
    if exact:
        same_schema = [t for t in exact if t.schema == source.schema]
        return [_Candidate(t, False) for t in (same_schema or exact)]
    # No table of that name: try tables whose name ends with the stem's trailing words
    # (current_revision_id -> *_revisions, hook_id -> webhook_hooks), confirmed by data.
    words = stem.split("_")
    out: list[_Candidate] = []
    for k in range(len(words)):
        tail = "_".join(words[k:])
        for form in plural_forms(tail):
            for name in targets.ending_with(form, or_named=k > 0):
                out += [_Candidate(t, True) for t in targets.by_name[name] if t is not source or k > 0]
        if out:
            break
    # Also tables whose name has the stem's first word and ends with its last word
    # (commitment_line_item_id -> commitment_contract_items, request_id ->
    # integration_request_events), again only when the data confirms it.
    first, last = words[0], words[-1]
    for name in targets.by_word.get(first, []):
        if len(words) == 1 or name.split("_")[-1] in plural_forms(last):
            out += [_Candidate(t, True) for t in targets.by_name[name] if all(c.target is not t for c in out)]
    return out


def _check_values(cur, source: Table, column: str, target: Table, key: str,
                  sample_size: int) -> tuple[int, int]:
    """(distinct non-null values sampled, how many of them exist in target.key)."""
    query = sql.SQL(
        "SELECT count(*), count(t.{key}) FROM ("
        " SELECT DISTINCT {col} AS v FROM {src} WHERE {col} IS NOT NULL LIMIT {n}) s"
        " LEFT JOIN {tgt} t ON t.{key} = s.v"
    ).format(
        key=sql.Identifier(key),
        col=sql.Identifier(column),
        src=sql.Identifier(source.schema, source.name),
        tgt=sql.Identifier(target.schema, target.name),
        n=sql.Literal(sample_size),
    )
    cur.execute(query)
    sampled, matched = cur.fetchone()
    return int(sampled), int(matched)


def _shared_words(a: str, b: str) -> int:
    return len(set(a.split("_")) & set(b.split("_")))


def infer_relationships(cur, tables: list[Table], formal: list[Relationship],
                        sample_size: int = 1000) -> list[Relationship]:
    """Links implied by `*_id` names that no formal foreign key already covers."""
    base_tables = [t for t in tables if t.kind in ("table", "partitioned_table") and t.readable]
    targets = _Targets([t for t in base_tables if _single_key(t)])
    covered = {(r.source_schema, r.source_table, c) for r in formal for c in r.source_columns}
    inferred: list[Relationship] = []
    for source in base_tables:
        for col in source.columns:
            name = col.name
            if (not name.lower().endswith("_id") or len(name) <= 3 or col.is_array
                    or (source.schema, source.name, name) in covered
                    or source.primary_key == [name]):
                continue
            best: tuple[tuple[float, int], Relationship] | None = None
            for cand in _candidates(source, name, targets):
                key = _single_key(cand.target)
                if not key or _type_family(col.effective_type) != _type_family(
                        cand.target.column(key).effective_type):
                    continue
                sampled, matched = _check_values(cur, source, name, cand.target, key, sample_size)
                confidence = matched / sampled if sampled else None
                if cand.by_suffix and (confidence or 0) < SUFFIX_MATCH_MIN_CONFIDENCE:
                    continue
                if sampled and not matched:
                    continue  # every sampled value dangles: not this table
                rel = Relationship(
                    source_schema=source.schema, source_table=source.name, source_columns=[name],
                    target_schema=cand.target.schema, target_table=cand.target.name,
                    target_columns=[key], kind="inferred",
                    confidence=round(confidence, 4) if confidence is not None else None,
                    sampled_values=sampled, matched_values=matched,
                    cardinality="one_to_one" if [name] in source.unique_constraints else "many_to_one",
                )
                score = (confidence or 0.0, _shared_words(source.name, cand.target.name))
                if best is None or score > best[0]:
                    best = (score, rel)
            if best:
                inferred.append(best[1])
    return inferred


def set_formal_cardinality(relationships: list[Relationship], tables: list[Table]) -> None:
    """one_to_one where the source columns are themselves a primary or unique key."""
    by_name = {(t.schema, t.name): t for t in tables}
    for rel in relationships:
        src = by_name.get((rel.source_schema, rel.source_table))
        if src and (rel.source_columns == src.primary_key or rel.source_columns in src.unique_constraints):
            rel.cardinality = "one_to_one"
