"""Bounded waiting that fails naming what it waited for."""

from __future__ import annotations

import time

import pytest


def wait_until(predicate, timeout: float, what: str, interval: float = 0.02):
    """Polls `predicate` until it returns something truthy; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last value: {last!r})")
        time.sleep(interval)
