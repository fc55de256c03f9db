"""Throttle repeated wrong OperatorSecrets per operator and per client address (brute-force guard)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailureThrottle:
    """At most ``limit`` failures per key inside ``window_s``; beyond that the key is refused until they age out."""

    def __init__(self, limit: int = 5, window_s: float = 300.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._prune(k, now)) >= self.limit for k in keys)

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._prune(k, now).append(now)

    def _prune(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q
