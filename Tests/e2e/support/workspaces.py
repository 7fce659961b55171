"""Workspace folders that try to escape the gateway's workspaces root."""

from __future__ import annotations

import contextlib
from pathlib import Path


@contextlib.contextmanager
def symlink_out_of_workspaces(gateway, tmp_path: Path, name: str):
    """A link `name` in the gateway's workspaces folder to an empty folder outside it; yields
    (that folder, the link); the link is removed afterwards."""
    outside = tmp_path / f"outside-{name}"
    outside.mkdir()
    link = gateway.home / "workspaces" / name
    link.symlink_to(outside)
    try:
        yield outside, link
    finally:
        link.unlink()
