"""Which columns, JSON keys and URL parameters hold secrets. Their values are never fed,
sampled or printed.

A name is split into words whatever its case style (`accessToken`, `AccessToken`,
`access_token`, `access-token`, `access.token`, `oauth2Token`: letters and digits runs, a
capital starting a new word, acronyms kept whole: `APIKey` is `api key`), and it is secret when
one of its words is in SECRET_WORDS or two consecutive words are a pair in SECRET_PAIRS. Words
are compared whole, so `tokenizer`, `passwordless` or `keyboard` are not secret. A name whose
last word says it describes a secret rather than holding one (`token_type`, `tokenExpiresAt`,
`password_updated_at`, `secret_count`) is not secret.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigError

# Deliberately broad: a false positive withholds one column (the report says which, and a flag
# can opt it back in); a false negative leaks a credential.
SECRET_WORDS = frozenset({
    "password", "passwords", "passwd", "pwd", "passphrase", "secret", "secrets", "token",
    "tokens", "credential", "credentials", "salt", "otp", "apikey", "authorization",
})
# Two words that together name a key: `api_key`, `privateKey`, `AccessKey`, `signing-key`...
SECRET_PAIRS = frozenset({
    ("api", "key"), ("access", "key"), ("private", "key"), ("signing", "key"),
    ("encryption", "key"), ("secret", "key"), ("session", "key"), ("master", "key"),
})
# A last word that makes the name describe a secret (its kind, age, expiry, count), not hold it.
DESCRIBING_WORDS = frozenset({"type", "at", "expires", "expire", "expiry", "count"})
REDACTED = "[REDACTED]"
KEYED_HASH_PREFIX = "hmac-sha256:"

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def name_words(name: str) -> list[str]:
    """`name` as lower-case words: `clientSecret` -> [client, secret], `APIKey` -> [api, key],
    `x-amz-security-token` -> [x, amz, security, token], `oauth2Token` -> [oauth, 2, token]."""
    return [w.lower() for w in _WORD.findall(name)]


@functools.lru_cache(maxsize=8192)  # JSON keys repeat row after row: decide each once
def is_secret_name(name: str) -> bool:
    """True when a column name, JSON key or query parameter says it holds a credential."""
    words = name_words(name)
    if not words or words[-1] in DESCRIBING_WORDS:
        return False
    if any(w in SECRET_WORDS for w in words):
        return True
    return any(pair in SECRET_PAIRS for pair in zip(words, words[1:], strict=False))


def is_secret_column(name: str) -> bool:
    """True when the column's name says it holds a credential (tokens, passwords, keys...)."""
    return is_secret_name(name)


# Query parameters that sign, authorise or expire a URL (S3 presigned and CloudFront URLs,
# Google Cloud Storage, Azure SAS `sig`/`se`, generic `token`), besides any secret-looking name.
SIGNING_PARAM = re.compile(
    r"^(sig|signature|expires|se|token|policy|key-pair-id|awsaccesskeyid|x-amz-.*|x-goog-.*)$", re.I)


def is_signing_param(name: str) -> bool:
    return bool(SIGNING_PARAM.match(name)) or is_secret_name(name)


def unsigned_url(url: str) -> str:
    """`url` without its user information and its signing/secret query parameters; everything
    else as written. A re-signed URL gives the same text: this is a file's identity, and what
    documents keep of a URL (the file itself is fetched with the full URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0]
    host = parts.netloc.rsplit("@", 1)[-1]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not is_signing_param(k)]
    if len(kept) == len(pairs) and host == parts.netloc:
        return url  # nothing to remove: the URL as written, not re-encoded
    return urlunsplit((parts.scheme, host, parts.path, urlencode(kept), parts.fragment))


_URL_WITH_QUERY = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>]*\?[^\s\"'<>]*", re.I)
# An HTTP Authorization value, the whole value: `Bearer eyJ…`, `Basic dXNlcjpwYXNz`,
# `Token 9f8e…`. The credential must look machine-made (12+ characters with a digit or one of
# `+/=._-`, or mixed case), so prose such as "Basic information" is kept.
_CREDENTIAL_VALUE = re.compile(r"(?:bearer|basic|token|digest)\s+(\S{12,})\s*$", re.I)
_CREDENTIAL_FIRST = frozenset("BbTtDd")
_MACHINE_MADE = re.compile(r"[0-9+/=._-]|[a-z].*[A-Z]|[A-Z].*[a-z]")


def looks_like_credential(text: str) -> bool:
    """True for an HTTP Authorization value (`Bearer <token>`, `Basic <base64>`)."""
    if text[:1] not in _CREDENTIAL_FIRST or len(text) > 8192:  # most values: one cheap test
        return False
    m = _CREDENTIAL_VALUE.match(text)
    return m is not None and bool(_MACHINE_MADE.search(m.group(1)))


# A JSON member inside text (`"api_key": "sk_…"`, `"otp": 731905`): its key, and a string or
# scalar value (a string cut short by truncation too). A secret key's object or array value is not matched, but its own keys are.
_JSON_MEMBER = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|[^\s,{}\[\]"]+)')


def _withhold_member(m: re.Match[str]) -> str:
    if not is_secret_name(m.group(1)) or m.group(3) == "null":
        return m.group(0)
    return f'"{m.group(1)}"{m.group(2)}"{REDACTED}"'


def withhold_in_text(text: str) -> str:
    """`text` with an Authorization-looking value replaced by REDACTED, the value of each
    secret-looking JSON member written in it (JSON kept as text) replaced by REDACTED, and
    the signing parameters of each URL in it removed (`unsigned_url`). `text` itself when
    there is nothing to withhold."""
    if looks_like_credential(text):
        return REDACTED
    out = text
    if '":' in out or '" :' in out:
        out = _JSON_MEMBER.sub(_withhold_member, out)
    if "://" in out and "?" in out:
        out = _URL_WITH_QUERY.sub(lambda m: unsigned_url(m.group(0)), out)
    return text if out == text else out  # the same object when unchanged: no copy upstream


def withhold_secrets(value: Any) -> Any:
    """A parsed JSON value with the value of every secret-looking key (`api_key`,
    `Authorization`, `clientSecret`, at any depth) replaced by REDACTED, and each string
    passed through `withhold_in_text`. Returns `value` itself when nothing is withheld, so
    rows without secrets cost no copy and render exactly as before."""
    kind = type(value)
    if kind is str:
        return withhold_in_text(value)
    if kind is dict:
        out: dict[Any, Any] | None = None  # made at the first change only
        for key, item in value.items():
            if type(key) is str and item is not None and is_secret_name(key):
                new = REDACTED
            elif type(item) in _CONTAINERS:
                new = withhold_secrets(item)
            else:
                new = item
            if out is None and new is not item:
                out = {}
                for k, v in value.items():  # the members before this one, unchanged
                    if k is key:
                        break
                    out[k] = v
            if out is not None:
                out[key] = new
        return value if out is None else out
    if kind is list:
        for i, item in enumerate(value):
            new = withhold_secrets(item) if type(item) in _CONTAINERS else item
            if new is not item:
                return value[:i] + [new] + [withhold_secrets(v) for v in value[i + 1:]]
        return value
    return value


_CONTAINERS = frozenset({str, dict, list})


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
