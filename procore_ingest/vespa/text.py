"""Vespa's text rules: the code points Vespa refuses in string fields, and how we keep them.

Vespa refuses string values containing some code points (C0 controls other than tab, newline
and carriage return; U+FDD0-U+FDEF; U+xFFFE/U+xFFFF; surrogates). `vespa_safe_text` writes
each such code point, and the escape character `␛` (U+241B) itself, as `␛{HEX}`;
`vespa_restore_text` undoes it exactly. `strip_for_vespa` is for search text, where a space
will do.
"""

from __future__ import annotations

import re

VESPA_ESCAPE = "\u241b"  # SYMBOL FOR ESCAPE: visible, and practically absent from real data

# Vespa's Text.isTextCharacter refuses these (older versions fewer of the noncharacters).
_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}-{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_ILLEGAL_CLASS = f"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}"
_VESPA_ILLEGAL = re.compile(f"[{_ILLEGAL_CLASS}]")
_VESPA_ESCAPED = re.compile(f"[{_ILLEGAL_CLASS}{VESPA_ESCAPE}]")
_VESPA_ESCAPE_SEQUENCE = re.compile(f"{VESPA_ESCAPE}\\{{([0-9A-F]{{1,6}})\\}}")


def vespa_safe_text(text: str) -> str:
    """`text` with the code points Vespa rejects, and `␛` itself, written as `␛{HEX}`."""
    # Every code point Vespa rejects is unprintable (Cc, Cs or Cn), and isprintable() is far
    # cheaper than the regex: printable text without `␛` (nearly all of it) is returned as is.
    if text.isprintable() and VESPA_ESCAPE not in text:
        return text
    if not _VESPA_ESCAPED.search(text):
        return text
    return _VESPA_ESCAPED.sub(lambda m: f"{VESPA_ESCAPE}{{{ord(m.group()):X}}}", text)


def vespa_restore_text(text: str) -> str:
    """Undo `vespa_safe_text` exactly."""
    if VESPA_ESCAPE not in text:
        return text
    return _VESPA_ESCAPE_SEQUENCE.sub(lambda m: chr(int(m.group(1), 16)), text)


def strip_for_vespa(text: str) -> str:
    """For search text, where losing a control character is fine: replace it with a space."""
    if text.replace("\n", " ").isprintable():  # nothing to replace (see vespa_safe_text)
        return text
    return _VESPA_ILLEGAL.sub(" ", text)
