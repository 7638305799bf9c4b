"""How many feed operations to keep in flight: a limit that adapts to what Vespa answers.

The rules (after vespa-feed-client's static and dynamic throttlers, written anew):

* start low (`minimum`, 8 per connection) and measure throughput over windows of answers;
* while answers are good and a window's throughput beat the best seen at a lower limit, grow
  the limit by a quarter (slow start); when throughput stops improving, probe up slowly;
* when latency rises well above the lowest seen without throughput gaining, step back;
* on a throttle signal (429, 503, 504) cut to half of what was in flight, at most once per
  round of answers (the operations already in flight at a cut answer before it counts again),
  so a storm keeps cutting down to the minimum and one burst counts once;
* never below `minimum` or above `maximum`.

Every change is recorded (`history`), which is what tests assert on: no timing in them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LimitChange:
    """One change of the in-flight limit and why: grow, probe, latency, throttled."""

    limit: int
    reason: str
    status: int = 0  # the throttle signal's HTTP status, for "throttled"


@dataclass
class Throttle:
    """The adaptive in-flight limit. Not thread-safe: the feeder's event loop owns it."""

    minimum: int
    maximum: int
    clock: Callable[[], float] = time.monotonic
    limit: int = 0
    history: list[LimitChange] = field(default_factory=list)
    _window_ok: int = 0
    _window_start: float = 0.0
    _window_latency: float = 0.0
    _best_rate: float = 0.0
    _best_rate_limit: int = 0
    _min_latency: float = float("inf")
    _throttled_in_window: bool = False
    _answers_to_skip: int = 0  # answers still due from operations in flight at the last cut

    def __post_init__(self) -> None:
        self.minimum = max(1, self.minimum)
        self.maximum = max(self.minimum, self.maximum)
        self.limit = self.limit or self.minimum
        self._window_start = self.clock()

    @property
    def lowest(self) -> int:
        return min([c.limit for c in self.history] + [self.limit])

    @property
    def highest(self) -> int:
        return max([c.limit for c in self.history] + [self.limit])

    def cap(self, maximum: int) -> None:
        """Never more than `maximum` in flight from now on (e.g. HTTP/1.1: one request per
        connection), starting at it: the limit jumps there at once, unrecorded in `history`
        (no answer caused it)."""
        self.maximum = max(1, min(self.maximum, maximum))
        self.minimum = min(self.minimum, self.maximum)
        self.limit = self.maximum

    def _set(self, limit: float, reason: str, status: int = 0) -> None:
        limit = max(self.minimum, min(self.maximum, int(limit)))
        if limit != self.limit:
            self.limit = limit
            self.history.append(LimitChange(limit, reason, status))

    def _new_window(self) -> None:
        self._window_ok = 0
        self._window_latency = 0.0
        self._throttled_in_window = False
        self._window_start = self.clock()

    def success(self, latency_s: float) -> None:
        """An operation got a final good answer after `latency_s` on the wire."""
        self._answers_to_skip = max(0, self._answers_to_skip - 1)
        self._window_ok += 1
        self._window_latency += latency_s
        self._min_latency = min(self._min_latency, latency_s)
        if self._window_ok < max(self.limit, 8):
            return
        elapsed = max(self.clock() - self._window_start, 1e-6)
        rate = self._window_ok / elapsed
        latency = self._window_latency / self._window_ok
        throttled = self._throttled_in_window
        self._new_window()
        if throttled:
            return  # a throttled window says nothing about what a higher limit would give
        if rate > self._best_rate * 1.05 or self._best_rate_limit >= self.limit:
            # better than ever (or than at any lower limit): more in flight pays
            if rate > self._best_rate:
                self._best_rate, self._best_rate_limit = rate, self.limit
            self._set(self.limit * 1.25 + 1, "grow")
        elif latency > 3 * self._min_latency and rate < self._best_rate * 0.95:
            # queueing at the server without more throughput: step back towards the best
            self._set(max(self._best_rate_limit, self.limit * 0.9), "latency")
            self._best_rate *= 0.9  # the best may be stale: let it be found again
        else:
            self._set(self.limit + max(1, self.limit // 16), "probe")

    def throttled(self, in_flight: int, status: int) -> None:
        """Vespa answered 429/503/504 with `in_flight` operations outstanding."""
        self._throttled_in_window = True
        if self._answers_to_skip > 0:
            self._answers_to_skip -= 1
            return
        self._answers_to_skip = in_flight
        self._best_rate *= 0.5  # the server's capacity changed: re-learn it
        self._set(min(in_flight, self.limit) // 2, "throttled", status)
