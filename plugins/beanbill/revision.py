"""A git revision of the repository, written out into a folder (for `beanbill diff`)."""

from __future__ import annotations

import io
import subprocess
import tarfile


class RevisionError(Exception):
    """Git could not give what was asked; the message says why, for the user."""


def git(folder: str, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", folder, *args], capture_output=True, check=False)
    except FileNotFoundError as error:
        raise RevisionError("git is not installed") from error
    if done.returncode != 0:
        raise RevisionError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


def repository_root(folder: str) -> str:
    """The top of the git work tree `folder` is in."""
    try:
        return git(folder, "rev-parse", "--show-toplevel").decode().strip()
    except RevisionError as error:
        raise RevisionError(f"{folder} is not in a git repository ({error})") from error


def write_revision(root: str, revision: str, target: str) -> None:
    """The files git tracks at `revision`, written under `target`."""
    try:
        archive = git(root, "archive", "--format=tar", f"{revision}^{{tree}}")
    except RevisionError as error:
        raise RevisionError(f"no revision {revision!r} in {root} ({error})") from error
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
