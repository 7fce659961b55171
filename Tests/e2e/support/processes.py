"""Processes as /proc shows them: the tree below a gateway, and what runs for a gateway's home."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state letter, command name) of every process in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces.
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), fields[0], stat[stat.index("(") + 1:stat.rindex(")")])
    return table


def descendants_of(root: int) -> dict[int, tuple[int, str, str]]:
    """Every process below `root`, as in `process_table`."""
    table = process_table()
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, row in table.items():
            if row[0] == parent and pid not in found:
                found[pid] = row
                frontier.append(pid)
    return found


def workers_of_home(home: Path) -> list[int]:
    socket_arg = f"{home}/run/workers.sock".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                if b"dispatch-worker" in cmdline and socket_arg in cmdline:
                    found.append(int(entry))
    return found


def processes_of_home(home: Path) -> list[int]:
    """Workers of gateways that used `home`, and the programs running in its folders."""
    socket_arg = f"{home}/run/workers.sock".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if socket_arg in Path(f"/proc/{entry}/cmdline").read_bytes():
                found.append(int(entry))
                continue
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if cwd == str(home) or cwd.startswith(f"{home}/"):
            found.append(int(entry))
    return found


def describe_process(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        fields = stat[stat.rindex(")") + 2:].split()
        return f"pid {pid} state {fields[0]} ppid {fields[1]}: {cmdline[:160]}"
    except (OSError, ValueError):
        return f"pid {pid} (gone)"


def kill_processes_of_home(home: Path):
    for pid in processes_of_home(home):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
