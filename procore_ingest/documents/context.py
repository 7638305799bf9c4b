"""The lines that say what a row is and what it belongs to, at the top of its content_text.

    RFI (rfis)
    RFI (rfis)
    project: 042-17-311 Riverside Tower
    vendor: Acme Electrical

First the kind line: the table's display name (`discovery.naming`) and, when it is another word,
the table's own name (people who know the database search by it). It is written KIND_LINES
times: the deployed rank profile ranks one field with BM25 (`bm25(content_text)`), which has no
field weights, and the kind is the one word a query uses to say which kind of record it wants
("Riverside Tower RFI conduit"); said once, it weighs less than the length of a long RFI costs
it against a project's short photos. Written twice it weighs what a kind field would
(bench/bench_search.py: 93% -> 95% of queries with a right row in the top 10, MRR 0.81 -> 0.85).
Then one `label: name` line per context link whose linked row has a name. Names come from the
linked rows' naming columns, never their whole text, ids or secrets (the rule is in
`discovery.naming.name_columns`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from ..vespa.text import strip_for_vespa

ContextNames = Sequence[tuple[str, str | None]]  # (label, name of the linked row or None)

KIND_LINES = 2  # how many times the kind line is written (the module's docstring says why)


def kind_line(display_name: str, table: str) -> str:
    """`RFI (rfis)`, `Photo (photos)`, `Invoice line (invoice_line)`; `Customer` for table
    `customer` (the same word twice says nothing more)."""
    shown = " ".join(display_name.split())
    if not shown:
        return table
    return shown if shown.lower() == table.lower() else f"{shown} ({table})"


def cited_number(display_name: str, name_columns: Sequence[str]) -> dict[str, str]:
    """`{number column: "RFI "}`: the row's own number is written as people cite it (`RFI 19`,
    `Drawing A-101`, `Subcontractor invoice INV-1042`), with the display name less a closing
    bracket ("Commitment (subcontract, purchase order)" -> `Commitment SC-009`). The number column
    is the first naming column called `number` or `*_number` (`discovery.naming.name_columns`
    puts it first); none: {}."""
    number = next((c for c in name_columns if c.lower() == "number" or c.lower().endswith("_number")), None)
    if number is None:
        return {}
    shown = " ".join(display_name.split())
    if shown.endswith(")") and "(" in shown:
        shown = shown[: shown.rindex("(")].strip() or shown
    return {number: shown + " "} if shown else {}


def context_lines(kind: str, names: ContextNames) -> list[str]:
    """`[kind, kind, "label: name", ...]` (`kind`: the `kind_line`, KIND_LINES times): a link without a linked row (NULL, dangling, or
    a row with no name) gives no line, nor does a name an earlier line already shows (the
    same vendor reached by two links: said twice, it would outweigh the row's own words). A
    name that is only part of another ("Seafood" in "New England Seafood Cannery") is a
    different row's name and keeps its line. One line each: whitespace runs become one
    space."""
    lines = [" ".join(kind.split())] * KIND_LINES if kind.strip() else []
    shown: set[str] = set()
    for label, name in names:
        if name:
            text = " ".join(strip_for_vespa(name).split())
            if text and text not in shown:
                lines.append(f"{label}: {text}")
                shown.add(text)
    return lines



NameCopies = Sequence[tuple[str, str]]  # (own column, label of the context link it copies)


def name_copies(labels: Sequence[str], columns: Collection[str]) -> list[tuple[str, str]]:
    """The row's own columns named `<label>_name` after one of its context links: a copy of the
    linked row's name kept by the writing application (`requisitions.vendor_name` beside the
    vendor the row links to)."""
    out = []
    for label in labels:
        column = label.replace(" ", "_") + "_name"
        if column in columns:
            out.append((column, label))
    return out


def copied_names(copies: NameCopies, row: Mapping[str, object], names: ContextNames) -> set[str]:
    """The columns of `copies` whose value is the very name the row's context line shows: said
    once, in the context line. A name said twice outweighs the row's own words (a requisition
    would rank above its commitment for the vendor's name); a copy that differs (renamed since)
    is kept."""
    if not copies or not names:
        return set()
    shown = {label: name for label, name in names if name}
    out = set()
    for column, label in copies:
        value, name = row.get(column), shown.get(label)
        if value is not None and name is not None and " ".join(str(value).split()) == " ".join(name.split()):
            out.add(column)
    return out
