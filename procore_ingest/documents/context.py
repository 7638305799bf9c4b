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
    a row with no name) gives no line, nor does a name an earlier line already holds (said
    twice, a name would outweigh the row's own words). One line each: whitespace runs become
    one space."""
    lines = [" ".join(display_name.split())] if display_name.strip() else []
    shown: list[str] = []
    for label, name in names:
        if name:
            text = " ".join(strip_for_vespa(name).split())
            if text and not any(_within(text, other) for other in shown):
                lines.append(f"{label}: {text}")
                shown.append(text)
    return lines


def _within(name: str, other: str) -> bool:
    """`name` appears in `other` as whole words ("R.E.M." in "The Best Of R.E.M.", not "Led Zep"
    in "Led Zeppelin IV")."""
    start = other.find(name)
    while start >= 0:
        end = start + len(name)
        if (start == 0 or not other[start - 1].isalnum()) and (end == len(other) or not other[end].isalnum()):
            return True
        start = other.find(name, start + 1)
    return False

