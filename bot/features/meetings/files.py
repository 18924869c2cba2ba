"""Attachments the meetings feature sends (calendar invites, certificates) at rest.

The outbox carries a path, so the file is written before the message is queued and
read when it is delivered (a restart in between loses nothing). Files are private
(0600 in 0700 folders) and named after the member they were made for, so forget-me
can remove that member's files without reading any.
"""

from __future__ import annotations

import os
from pathlib import Path


def attachment_path(data_dir: str | Path, community_id: int, member_id: int, name: str) -> Path:
    """`<data>/attachments/<community>/m<member>-<name>`; the folders are made private."""
    folder = Path(data_dir) / "attachments" / str(community_id)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder / f"m{member_id}-{name}"


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` so only this user can read it (0600), replacing an older copy."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


def forget_attachments(data_dir: str | Path, community_id: int, member_id: int) -> int:
    """Delete every attachment made for the member; returns how many."""
    folder = Path(data_dir) / "attachments" / str(community_id)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob(f"m{member_id}-*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
