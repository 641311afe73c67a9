"""Cluster configs: NeMo-Skills-compatible YAML, loaded into a typed dataclass.

Search order for ``cluster="NAME"``: a path (``NAME`` ending in .yaml/.yml), then ``config_dir``
argument, ``$NEMO_SKILLS_CONFIG_DIR`` / ``$NSL_CONFIG_DIR``, ``./cluster_configs``, and last the
examples shipped with the package (``local`` always resolves). ``${VAR}`` in any string value is
expanded from the environment; an unset variable is an error naming the file and key.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from nemo_skills_lite.utils.errors import NslError, unknown_key_error

EXECUTORS = ("slurm", "local", "none")
DEPENDENCY_TYPES = ("afterok", "afterany", "afternotok", "aftercorr")
PACKAGE_CONFIGS = Path(__file__).parent / "examples"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TIME = re.compile(r"^(\d+-)?\d{1,3}:\d{2}(:\d{2})?$|^\d+$")


@dataclass(frozen=True)
class Mount:
    host: str
    container: str

    def __str__(self) -> str:
        return f"{self.host}:{self.container}"


@dataclass(frozen=True)
class SshTunnel:
    host: str
    user: str | None = None
    job_dir: str | None = None
    identity: str | None = None
    port: int | None = None
    shell: str | None = None  # remote commands run as `<shell> -c '<command>'` (NeMo-Run's SSHTunnel.shell)
    pre_command: str | None = None  # run before every remote command, e.g. 'source ~/.bashrc'
    options: tuple[str, ...] = ()  # extension: `ssh -o` options ('Key=Value'), e.g. StrictHostKeyChecking=no


@dataclass(frozen=True)
class ClusterConfig:
    name: str
    executor: str
    source: str = "<built-in>"
    containers: dict[str, str] = field(default_factory=dict)
    mounts: tuple[Mount, ...] = ()
    env_vars: dict[str, str] = field(default_factory=dict)
    required_env_vars: tuple[str, ...] = ()
    account: str | None = None
    partition: str | None = None
    cpu_partition: str | None = None
    job_name_prefix: str = "nsl-"
    timeouts: dict[str, str] = field(default_factory=dict)
    ssh_tunnel: SshTunnel | None = None
    job_dir: str | None = None
    dependency_type: str = "afterok"
    mail_type: str | None = None  # sbatch --mail-type (NeMo-Skills)
    mail_user: str | None = None  # sbatch --mail-user
    default_timeout: str | None = None  # time limit for partitions not listed in timeouts
    disable_gpus_per_node: bool = False  # request no GPUs from Slurm (clusters without GPU GRES; whole nodes)
    sandbox_extra_srun_args: tuple[str, ...] = ()  # extra srun flags of the sandbox step only (NeMo-Skills)
    # nemo_skills_lite extensions
    registry_dir: str | None = None  # shared path for the expname registry (default ~/.nsl/registry)
    max_array_size: int | None = None  # default: read from `scontrol show config`
    signal_before_timeout_s: int = 120  # SIGUSR1 this long before the time limit
    local_gpus: int | None = None  # local executor: GPUs to share between jobs (default: detected)
    local_cpus: int | None = None  # local executor: concurrent CPU-only jobs (default: cpu count)
    container_runtime: str | None = None  # local executor: docker | podman (default: whichever exists)

    @property
    def uses_containers(self) -> bool:
        return bool(self.containers)

    def partition_for(self, requested: str | None, gpus: int) -> str | None:
        """The one place that picks a job's partition: the call's ``partition=``, else ``partition`` for
        jobs with GPUs and ``cpu_partition`` (falling back to ``partition``) for jobs without."""
        return requested or (self.partition if gpus else (self.cpu_partition or self.partition))

    def timeout_for(self, partition: str | None) -> str | None:
        """Time limit of a job sent to ``partition`` (from ``partition_for``); ``default`` without one."""
        return self.timeouts.get(partition or "default") or self.default_timeout

    def with_mounts(self, extra: tuple[Mount, ...]) -> "ClusterConfig":
        """This config with a stage's ``mount_paths`` added (path checks and host-path mapping)."""
        new = tuple(m for m in extra if m not in self.mounts)
        return dataclasses.replace(self, mounts=(*self.mounts, *new)) if new else self

    def container(self, key: str, *, what: str) -> str | None:
        """Image for ``key`` (vllm, sandbox, nemo-skills, ...) or None on a host-mode cluster."""
        if not self.containers:
            return None
        if key not in self.containers:
            raise NslError(f"{self.source}: containers has no '{key}' entry, needed for {what}. "
                           f"Defined: {', '.join(sorted(self.containers)) or 'none'}")
        return self.containers[key]

    def host_path(self, path: str) -> str:
        """Container path -> the host path behind it (mount with the longest container prefix)."""
        return _remap(path, [(m.container, m.host) for m in self.mounts])

    def container_path(self, path: str) -> str | None:
        """Host path -> where jobs see it (mount with the longest host prefix), None if not mounted."""
        if not any(_under(path, m.host) for m in self.mounts):
            return None
        return _remap(path, [(m.host, m.container) for m in self.mounts])

    def check_mounted(self, paths: dict[str, str]) -> None:
        """On container clusters every path a job needs must lie under a mount's container side."""
        if not self.uses_containers:
            return
        for what, p in paths.items():
            if not p or not p.startswith("/"):
                continue
            if not any(_under(p, m.container) for m in self.mounts):
                mounts = ", ".join(str(m) for m in self.mounts) or "none"
                raise NslError(f"{what} '{p}' is not inside any mount of cluster config {self.source} "
                               f"(mounts: {mounts}); add a mount covering it or pass mount_paths")


# NeMo-Skills keys that change nothing here: accepted with a warning that says why (never dropped silently)
IGNORED_KEYS = {
    "skip_hf_home_check": "nemo_skills_lite does not require HF_HOME to be set and mounted, so there is no check to skip",
    "num_workers": "it sizes NeMo-Run's submission thread pool; a stage here is a handful of sbatch calls (job arrays)",
}
_KEYS = ({f.name for f in fields(ClusterConfig)} - {"name", "source"}) | set(IGNORED_KEYS)


def _under(path: str, root: str) -> bool:
    root = root.rstrip("/")
    return path == root or path.startswith(root + "/")


def _remap(path: str, pairs: list[tuple[str, str]]) -> str:
    """Replace the longest matching ``src`` prefix of ``path`` by its ``dst``."""
    best = max((p for p in pairs if _under(path, p[0])), key=lambda p: len(p[0].rstrip("/")), default=None)
    return best[1].rstrip("/") + path[len(best[0].rstrip("/")):] if best else path


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            var = m.group(1)
            if var not in os.environ:
                raise NslError(f"{where}: environment variable ${{{var}}} is not set")
            return os.environ[var]
        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}") for k, v in value.items()}
    return value


def _parse_mounts(raw: Any, where: str) -> tuple[Mount, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise NslError(f"{where}: mounts must be a list of 'host_path:container_path' strings")
    out = []
    for i, item in enumerate(raw):
        parts = str(item).split(":")
        if len(parts) not in (2, 3) or not parts[0].startswith("/") or not parts[1].startswith("/"):
            raise NslError(f"{where}: mounts[{i}] = '{item}' must be '/host/path:/container/path'")
        out.append(Mount(parts[0], parts[1]))
    return tuple(out)


def _parse_env(raw: Any, where: str) -> dict[str, str]:
    """NeMo-Skills env_vars: list of 'KEY=VALUE' or 'KEY' (taken from the submitting environment)."""
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    env = {}
    for i, item in enumerate(raw):
        key, sep, val = str(item).partition("=")
        if not sep:
            if key not in os.environ:
                raise NslError(f"{where}: env_vars[{i}] '{key}' has no value and is not set in the environment")
            val = os.environ[key]
        env[key] = val
    return env


def _parse_ssh(ssh: Any, source: str) -> SshTunnel | None:
    if ssh is None:
        return None
    keys = {"host", "user", "job_dir", "identity", "port", "shell", "pre_command", "options"}
    if not isinstance(ssh, dict) or "host" not in ssh or set(ssh) - keys:
        bad = sorted(set(ssh) - keys) if isinstance(ssh, dict) else []
        raise NslError(f"{source}: ssh_tunnel needs 'host' and may have {', '.join(sorted(keys - {'host'}))}"
                       + (f"; unknown: {', '.join(bad)}" if bad else ""))
    if ssh.get("port") is not None and not str(ssh["port"]).isdigit():
        raise NslError(f"{source}: ssh_tunnel.port = {ssh['port']!r} must be a port number")
    opts = ssh.get("options") or []
    if not isinstance(opts, list) or not all(isinstance(o, str) and re.match(r"^[A-Za-z]+=\S", o) for o in opts):
        raise NslError(f"{source}: ssh_tunnel.options must be a list of 'Key=Value' ssh -o options "
                       f"(e.g. [Port=2222, StrictHostKeyChecking=accept-new]); got {opts!r}")
    port = int(ssh["port"]) if ssh.get("port") is not None else None
    return SshTunnel(**{**ssh, "port": port, "options": tuple(opts)})


def parse_config(data: dict[str, Any], *, name: str, source: str) -> ClusterConfig:
    if not isinstance(data, dict):
        raise NslError(f"{source}: a cluster config must be a YAML mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise unknown_key_error(unknown[0], _KEYS, source)
    data = _expand(data, source)
    executor = data.get("executor")
    if executor not in EXECUTORS:
        raise NslError(f"{source}: executor is '{executor}'; valid: {', '.join(EXECUTORS)}")
    dep = data.get("dependency_type", "afterok")
    if dep not in DEPENDENCY_TYPES:
        raise NslError(f"{source}: dependency_type '{dep}' is not valid; valid: {', '.join(DEPENDENCY_TYPES)}")
    timeouts = {str(k): str(v) for k, v in (data.get("timeouts") or {}).items()}
    for part, t in timeouts.items():
        if not _TIME.match(t):
            raise NslError(f"{source}: timeouts.{part} = '{t}' is not a Slurm time (e.g. 04:00:00 or 1-00:00:00)")
    ssh = _parse_ssh(data.get("ssh_tunnel"), source)
    containers = data.get("containers") or {}
    if not isinstance(containers, dict):
        raise NslError(f"{source}: containers must be a mapping name -> image")
    required = tuple(data.get("required_env_vars") or ())
    missing = [v for v in required if v not in os.environ]
    if missing:
        raise NslError(f"{source}: required_env_vars not set in the environment: {', '.join(missing)}")
    if data.get("default_timeout") is not None:
        data["default_timeout"] = str(data["default_timeout"])
        if not _TIME.match(data["default_timeout"]):
            raise NslError(f"{source}: default_timeout = '{data['default_timeout']}' is not a Slurm time "
                           f"(e.g. 04:00:00)")
    extra_srun = data.get("sandbox_extra_srun_args") or []
    if not isinstance(extra_srun, list) or not all(isinstance(x, str) for x in extra_srun):
        raise NslError(f"{source}: sandbox_extra_srun_args must be a list of srun flags, e.g. "
                       f"['--container-options=--cap-add=SYS_RESOURCE']; got {extra_srun!r}")
    data["sandbox_extra_srun_args"] = tuple(extra_srun)
    for key, why in IGNORED_KEYS.items():
        if key in data:
            print(f"[nsl] note: {source}: '{key}' ignored: {why}", file=sys.stderr)
    simple = {k: data[k] for k in ("account", "partition", "cpu_partition", "job_dir", "registry_dir",
                                    "max_array_size", "signal_before_timeout_s", "local_gpus", "local_cpus",
                                    "container_runtime", "mail_type", "mail_user", "default_timeout",
                                    "disable_gpus_per_node", "sandbox_extra_srun_args") if data.get(k) is not None}
    return ClusterConfig(
        name=name, executor=executor, source=source, containers={str(k): str(v) for k, v in containers.items()},
        mounts=_parse_mounts(data.get("mounts"), source),
        env_vars={**_parse_env(data.get("env_vars"), source), **{k: os.environ[k] for k in required}},
        required_env_vars=required, job_name_prefix=str(data.get("job_name_prefix", "nsl-")),
        timeouts=timeouts, ssh_tunnel=ssh, dependency_type=dep, **simple)


def search_dirs(config_dir: str | None = None) -> list[Path]:
    dirs = [Path(config_dir)] if config_dir else []
    for var in ("NEMO_SKILLS_CONFIG_DIR", "NSL_CONFIG_DIR"):
        if os.environ.get(var):
            dirs.append(Path(os.environ[var]))
    dirs += [Path.cwd() / "cluster_configs", PACKAGE_CONFIGS]
    return dirs


def load_cluster_config(cluster: str | None, config_dir: str | None = None) -> ClusterConfig:
    """Resolve and load a cluster config by name or path (see module docstring)."""
    cluster = cluster or os.environ.get("NEMO_SKILLS_CONFIG") or "local"
    if cluster.endswith((".yaml", ".yml")) or "/" in cluster:
        path = Path(cluster)
        if not path.exists():
            raise NslError(f"cluster config file not found: {path}")
        name = path.stem
    else:
        candidates = [d / f"{cluster}{ext}" for d in search_dirs(config_dir) for ext in (".yaml", ".yml")]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise NslError(f"cluster config '{cluster}' not found; looked for {cluster}.yaml in: "
                           + ", ".join(str(d) for d in dict.fromkeys(c.parent for c in candidates)))
        name = cluster
    try:
        text = path.read_text()
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise NslError(f"{path}{line}: not valid YAML ({getattr(e, 'problem', e)})") from None
    return parse_config(data, name=name, source=str(path))
