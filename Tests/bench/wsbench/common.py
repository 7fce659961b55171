"""Paths, logging, end markers and the small statistics the benchmarks share."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parents[1]  # Tests/bench
REPO = BENCH_DIR.parents[1]
GATEWAY = REPO / ".build" / "release" / "dispatch-gateway"


def log(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


_marker_serial = 0


def marked(command: str) -> tuple[str, str]:
    """The command followed by an end marker that only its output (not its echo) contains."""
    global _marker_serial
    _marker_serial += 1
    value = 700000 + _marker_serial
    return f"{command}; echo BENCH_END_$(({value - 1}+1))_\r", f"BENCH_END_{value}_"
