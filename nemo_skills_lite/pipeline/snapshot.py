"""Code snapshots: every job of a submitted graph runs the code as it was at submission.

A snapshot holds the project checkout that ``nemo_skills_lite`` is imported from (its git-tracked and
untracked-but-not-ignored files, uncommitted edits included; the package folder alone for an installed
package) plus, as NeMo-Skills packages it, the git repository of the submitting shell's folder (the user's own
scripts, seen by jobs under ``/nemo_run/code/...``). It is content-addressed, ``<job_dir>/code/<sha256[:16]>``
(``job_dir`` of the cluster config, else the registry's parent folder), so identical code is stored once; files
are read once at planning time and written when the graph is submitted, read-only. Host-mode jobs ``cd`` into
it with ``PYTHONPATH`` pointing at it; container jobs mount it at ``/nemo_run/code``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nemo_skills_lite.cluster.config import ClusterConfig
from nemo_skills_lite.pipeline.registry import Registry, registry_root
from nemo_skills_lite.utils.errors import NslError

if TYPE_CHECKING:
    from nemo_skills_lite.pipeline.graph import Node

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # .../nemo_skills_lite
PROJECT_DIR = PACKAGE_DIR.parent
WARN_BYTES = 200 * 2**20
MANIFEST = ".nsl-snapshot.json"


def _git_files(repo: Path) -> list[str] | None:
    """Tracked + untracked-not-ignored files of the git work tree at ``repo`` (None: not a git work tree)."""
    try:
        top = subprocess.run(["git", "-C", str(repo), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=30)
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != repo.resolve():
            return None
        out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z", "-co", "--exclude-standard"],
                             capture_output=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return sorted({f for f in out.decode().split("\0") if f})


def _git_toplevel(folder: Path) -> Path | None:
    try:
        p = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(p.stdout.strip()) if p.returncode == 0 and p.stdout.strip() else None


def _git_describe(repo: Path) -> dict[str, object]:
    def git(*args: str) -> str:
        p = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
        return p.stdout.strip() if p.returncode == 0 else ""
    return {"repo": str(repo), "commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


@dataclass(frozen=True)
class Snapshot:
    digest: str
    files: dict[str, tuple[bytes, bool]]  # relative path -> (content, executable)
    sources: tuple[dict[str, object], ...]

    @classmethod
    def take(cls, cwd: Path | None = None) -> "Snapshot":
        files: dict[str, tuple[bytes, bool]] = {}
        sources: list[dict[str, object]] = []
        user = _git_toplevel(cwd or Path.cwd())
        if user is not None and user.resolve() != PROJECT_DIR.resolve():
            listed = _git_files(user) or []
            _read(user, listed, files)
            sources.append(_git_describe(user))
        listed = _git_files(PROJECT_DIR)
        if listed is not None:
            sources.append(_git_describe(PROJECT_DIR))
        else:  # an installed package: the package folder only
            listed = [str(p.relative_to(PROJECT_DIR)) for p in PACKAGE_DIR.rglob("*")
                      if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
            sources.append({"package": str(PACKAGE_DIR)})
        _read(PROJECT_DIR, listed, files)
        h = hashlib.sha256()
        for rel in sorted(files):
            content, exe = files[rel]
            h.update(f"{rel}\0{int(exe)}\0{hashlib.sha256(content).hexdigest()}\n".encode())
        size = sum(len(c) for c, _ in files.values())
        if size > WARN_BYTES:
            print(f"[nsl] warning: the code snapshot is {size / 2**20:.0f} MiB ({len(files)} files); "
                  f"ignore data files in .gitignore to keep it small", file=sys.stderr)
        return cls(h.hexdigest()[:16], files, tuple(sources))

    def path(self, cfg: ClusterConfig) -> Path:
        return snapshot_root(cfg) / self.digest

    def write(self, cfg: ClusterConfig) -> Path:
        """Write it (once: an existing snapshot of the same digest is reused); returns its folder."""
        final = self.path(cfg)
        if final.exists():
            return final
        tmp = final.parent / f".tmp-{self.digest}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        for rel, (content, exe) in self.files.items():
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)
            dest.chmod(0o555 if exe else 0o444)
        (tmp / MANIFEST).write_text(json.dumps({"digest": self.digest, "created": time.time(),
                                                "files": len(self.files), "sources": list(self.sources)}, indent=1))
        try:
            os.rename(tmp, final)
        except OSError:  # another submission wrote the same code first
            shutil.rmtree(tmp, ignore_errors=True)
            if not final.exists():
                raise
        return final


def _read(root: Path, listed: list[str], into: dict[str, tuple[bytes, bool]]) -> None:
    for rel in listed:
        p = root / rel
        try:
            st = p.lstat()
        except FileNotFoundError:  # deleted in the work tree, not yet in git
            continue
        if stat.S_ISREG(st.st_mode):
            into[rel] = (p.read_bytes(), bool(st.st_mode & 0o111))


def snapshot_root(cfg: ClusterConfig) -> Path:
    base = cfg.job_dir or (cfg.ssh_tunnel.job_dir if cfg.ssh_tunnel and cfg.ssh_tunnel.job_dir else None)
    return Path(base) / "code" if base else registry_root(cfg).parent / "code"


class CodeSnapshots:
    """The snapshots of one graph: one taken at its first stage and shared (``reuse_code=True``, the default),
    a fresh one for a stage with ``reuse_code=False``, or an earlier expname's (``reuse_code_exp``)."""

    def __init__(self) -> None:
        self.shared: Snapshot | None = None
        self.pending: list[tuple[Snapshot, ClusterConfig]] = []

    def code_dir(self, cfg: ClusterConfig, *, reuse_code: bool = True, reuse_code_exp: str | None = None) -> str:
        if reuse_code_exp:
            recs = [r for r in Registry(registry_root(cfg)).stages(reuse_code_exp) if r.get("code_dir")]
            if not recs:
                raise NslError(f"reuse_code_exp='{reuse_code_exp}': no submitted stage of that name has a code "
                               f"snapshot in the registry {registry_root(cfg)}")
            if not Path(recs[-1]["code_dir"]).exists():
                raise NslError(f"reuse_code_exp='{reuse_code_exp}': its code snapshot {recs[-1]['code_dir']} is gone")
            return recs[-1]["code_dir"]
        if reuse_code and self.shared is not None:
            snap = self.shared
        else:
            snap = Snapshot.take()
            if reuse_code or self.shared is None:
                self.shared = snap
        self.pending.append((snap, cfg))
        return str(snap.path(cfg))

    def write(self, nodes: list["Node"]) -> None:
        """Write the snapshots the submitted (non-dry) stages run."""
        used = {n.spec.code_dir for n in nodes if not n.dry_run}
        for snap, cfg in self.pending:
            if str(snap.path(cfg)) in used:
                snap.write(cfg)
