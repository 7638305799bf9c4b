"""Fault injection and the request log.

Injected failures use the bodies Vespa's /document/v1 handler writes (reference: /document/v1,
"HTTP status codes"; handler: overload(), serverError(), timeout()):

* 429 "Too many requests; the document API has too many inflight feed operations" -
  ``{"pathId", "message": "Rejecting execution due to overload: ... requests already enqueued"}``
  (no ``id``: the request is rejected before it is parsed);
* 503 "the document API was unable to produce a response at this time" - ``{"pathId", "message"}``;
* 500 / 504 / 507 are results of an operation, so single-document requests also get ``id``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MESSAGES = {
    429: "Rejecting execution due to overload: 256 requests already enqueued",
    500: "[UNKNOWN(252001) @ tcp/localhost:19112/default]: ReturnCode(NOT_CONNECTED, "
    "Injected server error) ",
    503: "Service unavailable: the document API was unable to produce a response at this time",
    504: "Timeout after 180000ms",
    507: "[UNKNOWN(251009) @ tcp/localhost:19112/default]: ReturnCode(NO_SPACE, Put operation "
    "rejected for document: 'diskLimitReached') ",
}
_WITH_ID = (400, 404, 412, 500, 504, 507)


@dataclass(frozen=True)
class Injected:
    """What a fault rule answers: a status and body, or (``drop``) no answer at all."""

    status: int = 0
    body: dict[str, Any] = field(default_factory=dict)
    drop: bool = False


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it. ``status`` is None when the connection was dropped."""

    method: str
    path: str  # raw path, percent-encoded as sent
    query: dict[str, str]  # last value of each parameter
    status: int | None
    doc_id: str | None  # full document id for single-document requests
    protocol: str  # "HTTP/1.1" or "HTTP/2"
    injected: bool  # True when a fault (not the API) produced the response
    at: float = field(default_factory=time.time)


@dataclass
class _Rule:
    status: int | None
    remaining: int | None  # None: until cleared
    message: str | None
    methods: frozenset[str] | None
    path_prefix: str
    drop: bool = False
    body: dict[str, Any] | None = None

    def applies(self, method: str, path: str) -> bool:
        return (self.methods is None or method in self.methods) and path.startswith(
            self.path_prefix
        )


@dataclass
class _Reject:
    predicate: Callable[[str], bool]
    status: int
    message: str | None
    methods: frozenset[str] | None


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)


class Faults:
    """Thread-safe fault rules; ``decide`` is called once per request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: list[_Rule] = []
        self._outage: _Rule | None = None
        self._rejects: list[_Reject] = []
        self._delay = 0.0
        self._delay_methods: frozenset[str] | None = None
        self._delay_prefix = "/"
        self._goaway_in: int | None = None  # HTTP/2 requests until the next GOAWAY

    # -------------------------------------------------------------- configuration

    def fail_next(
        self,
        n: int,
        status: int | None,
        message: str | None,
        methods: Iterable[str] | None,
        path_prefix: str,
        drop: bool,
        body: dict[str, Any] | None,
    ) -> None:
        with self._lock:
            self._next.append(_Rule(status, n, message, _methods(methods), path_prefix, drop, body))

    def set_outage(
        self,
        status: int,
        for_requests: int | None,
        message: str | None,
        methods: Iterable[str] | None,
        path_prefix: str,
    ) -> None:
        with self._lock:
            self._outage = _Rule(status, for_requests, message, _methods(methods), path_prefix)

    def clear_outage(self) -> None:
        with self._lock:
            self._outage = None

    def set_delay(self, seconds: float, methods: Iterable[str] | None, path_prefix: str) -> None:
        with self._lock:
            self._delay = seconds
            self._delay_methods = _methods(methods)
            self._delay_prefix = path_prefix

    def reject_ids(
        self,
        predicate: Callable[[str], bool],
        status: int,
        message: str | None,
        methods: Iterable[str] | None,
    ) -> None:
        with self._lock:
            self._rejects.append(_Reject(predicate, status, message, _methods(methods)))

    def goaway_after(self, n: int) -> None:
        with self._lock:
            self._goaway_in = n

    def take_goaway(self) -> bool:
        """Called per complete HTTP/2 request: True once, when the GOAWAY is due."""
        with self._lock:
            if self._goaway_in is None:
                return False
            if self._goaway_in <= 0:
                self._goaway_in = None
                return True
            self._goaway_in -= 1
            return False

    def clear(self) -> None:
        with self._lock:
            self._goaway_in = None
            self._next.clear()
            self._outage = None
            self._rejects.clear()
            self._delay = 0.0

    # -------------------------------------------------------------- decisions

    def delay_for(self, method: str, path: str) -> float:
        with self._lock:
            if self._delay <= 0:
                return 0.0
            if self._delay_methods is not None and method not in self._delay_methods:
                return 0.0
            return self._delay if path.startswith(self._delay_prefix) else 0.0

    def decide(
        self, method: str, path: str, user_id: str | None, full_id: str | None
    ) -> Injected | None:
        """The injected answer for this request, or None to handle it normally."""
        with self._lock:
            rule = self._take_rule(method, path)
            if rule is None and user_id is not None:
                for rej in self._rejects:
                    if (rej.methods is None or method in rej.methods) and rej.predicate(user_id):
                        rule = _Rule(rej.status, None, rej.message, None, "/")
                        break
        if rule is None:
            return None
        if rule.drop:
            return Injected(drop=True)
        status = rule.status or 503
        if rule.body is not None:
            return Injected(status, rule.body)
        body: dict[str, Any] = {"pathId": path}
        if full_id is not None and status in _WITH_ID:
            body["id"] = full_id
        body["message"] = rule.message or DEFAULT_MESSAGES.get(status, f"Injected failure {status}")
        return Injected(status, body)

    def _take_rule(self, method: str, path: str) -> _Rule | None:
        if self._outage is not None and self._outage.applies(method, path):
            rule = self._outage
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._outage = None
            return rule
        for rule in self._next:
            if rule.applies(method, path):
                assert rule.remaining is not None
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._next.remove(rule)
                return rule
        return None
