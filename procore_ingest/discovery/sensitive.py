"""Which columns hold secrets, and what stands for a secret key. Their values are never fed,
sampled or printed."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from ..errors import ConfigError

# Matched against the column name. Deliberately broad: a false positive withholds one column
# (the report says which, and a flag can opt it back in); a false negative leaks a credential.
SECRET_COLUMN = re.compile(
    r"(^|_)(password|passwd|pwd|secret|client_secret|api_key|apikey|access_key|private_key"
    r"|secret_key|token|access_token|refresh_token|id_token|auth_token|session_token"
    r"|credentials?|signing_key|encryption_key|salt|otp|hash(ed)?_password)($|_)",
    re.I,
)
REDACTED = "[REDACTED]"
KEYED_HASH_PREFIX = "hmac-sha256:"


def is_secret_column(name: str) -> bool:
    """True when the column's name says it holds a credential (tokens, passwords, keys...)."""
    # token_type ("Bearer"), credential_type, expires_at describe a secret; they are not one.
    if re.search(r"_(type|at|expires?|expiry|count)$", name, re.I):
        return False
    return bool(SECRET_COLUMN.search(name))


def secret_key(columns: Iterable[str]) -> bool:
    """True when a key made of `columns` must not appear in ids: one of them looks secret.
    Decided by names only, so ids do not move when --allow-column is given or dropped."""
    return any(is_secret_column(c) for c in columns)


def keyed_hash(id_key: bytes, key_text: str) -> str:
    """What stands for a secret key in ids, `source_id` and sync state: an HMAC under the
    deployment's id key (state.load_id_key), never the value."""
    if not id_key:
        raise ConfigError("a table's key looks secret but no id key was given (PROCORE_ID_KEY or the "
                          "state directory's id.key)")
    return KEYED_HASH_PREFIX + hmac.new(id_key, key_text.encode(), hashlib.sha256).hexdigest()[:32]
