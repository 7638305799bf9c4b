"""The lines that say what a row is and what it belongs to, at the top of its content_text.

    RFI
    project: 042-17-311 Riverside Tower
    vendor: Acme Electrical

The first line is the table's display name (`discovery.naming`); then one `label: name` line per
context link whose linked row has a name. Names come from the linked rows' naming columns,
never their whole text, ids or secrets (the rule is in `discovery.naming.name_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..vespa.text import strip_for_vespa

ContextNames = Sequence[tuple[str, str | None]]  # (label, name of the linked row or None)


def context_lines(display_name: str, names: ContextNames) -> list[str]:
    """`[display_name, "label: name", ...]`: a link without a linked row (NULL, dangling, or
    a row with no name) gives no line, nor does a name an earlier line already shows (the
    same vendor reached by two links: said twice, it would outweigh the row's own words). A
    name that is only part of another ("Seafood" in "New England Seafood Cannery") is a
    different row's name and keeps its line. One line each: whitespace runs become one
    space."""
    lines = [" ".join(display_name.split())] if display_name.strip() else []
    shown: set[str] = set()
    for label, name in names:
        if name:
            text = " ".join(strip_for_vespa(name).split())
            if text and text not in shown:
                lines.append(f"{label}: {text}")
                shown.add(text)
    return lines

