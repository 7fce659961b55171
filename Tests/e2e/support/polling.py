"""Bounded waiting that fails naming what it waited for."""

from __future__ import annotations

import time

import pytest


def wait_until(predicate, timeout: float, what: str, interval: float = 0.02, detail=None):
    """Polls `predicate` until it returns something truthy; fails naming `what` after `timeout` s
    (with `detail()`, when given, saying what there was instead of the last value)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            seen = detail() if detail else last
            pytest.fail(f"timed out after {timeout} s waiting for {what} (instead: {str(seen)[-1500:]!r})")
        time.sleep(interval)
