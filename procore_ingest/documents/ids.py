"""Document ids that are unambiguous and leak nothing. Pure functions.

A row's id is `<table>:<key>`:

- `<table>` is the table's name, `schema.name` outside `public`, with `%`, `.`, `:` and `/`
  percent-encoded inside each part, so public table `a.b` (`a%2Eb`) and table `b` of schema
  `a` (`a.b`) differ, and the first `:` always ends the table. Ordinary names are unchanged.
- `<key>` is the primary key as text (`42`, `k1|k2`); when a key column looks secret
  (discovery/sensitive.py: a `token` primary key), it is `hmac-sha256:<32 hex>` of that text
  under the deployment's id key (state.load_id_key), never the value itself
  (discovery/sensitive.py: `keyed_hash`).
"""

from __future__ import annotations

_ENCODED = {"%": "%25", ".": "%2E", ":": "%3A", "/": "%2F"}


def encode_name_part(part: str) -> str:
    """`part` with `%`, `.`, `:` and `/` percent-encoded (other characters as they are)."""
    if not any(c in part for c in _ENCODED):
        return part
    return "".join(_ENCODED.get(c, c) for c in part)


def table_id_part(schema: str, name: str) -> str:
    """The table as it appears in its rows' ids."""
    table = encode_name_part(name)
    return table if schema == "public" else f"{encode_name_part(schema)}.{table}"


def record_id(table_part: str, key: str) -> str:
    return f"{table_part}:{key}"
