"""docs/cluster_config.md cannot drift from the code: every field of the config dataclasses is documented
(and nothing else is), documented scalar defaults are the real ones, every example YAML loads with
load_cluster_config by name, and every broken example fails with exactly the error the page shows."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from nemo_skills_lite.cluster import config as config_mod
from nemo_skills_lite.cluster.config import ClusterConfig, load_cluster_config
from nemo_skills_lite.utils.errors import NslError

DOC = Path(__file__).resolve().parents[3] / "docs" / "cluster_config.md"
ENV = {"USER": "me", "HF_TOKEN": "hf_test"}  # what the examples expand / pass through


def doc_text() -> str:
    return DOC.read_text()


def table_rows() -> dict[str, dict[str, str]]:
    """First-column `key` of every markdown table row -> {column header: cell}."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for line in doc_text().splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if not header:
            header = [c.lower() for c in cells]
            continue
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        if m:
            rows[m.group(1)] = dict(zip(header, cells))
    return rows


def nested_dataclasses() -> dict[str, type]:
    """ClusterConfig field -> row prefix for the dataclasses it holds ('mounts[]', 'ssh_tunnel')."""
    classes = {obj.__name__: obj for obj in vars(config_mod).values()
               if dataclasses.is_dataclass(obj) and obj.__module__ == config_mod.__name__ and obj is not ClusterConfig}
    out = {}
    for f in dataclasses.fields(ClusterConfig):
        for name, cls in classes.items():
            if re.search(rf"\b{name}\b", str(f.type)):
                prefix = f.name + ("[]" if str(f.type).startswith("tuple") else "")
                out[prefix] = cls
    assert set(out.values()) == set(classes.values()), "a config dataclass is not held by any ClusterConfig field"
    return out


def test_every_config_field_is_documented_and_nothing_else() -> None:
    rows = table_rows()
    expected = {f.name for f in dataclasses.fields(ClusterConfig)} | set(config_mod.IGNORED_KEYS)
    for prefix, cls in nested_dataclasses().items():
        expected |= {f"{prefix}.{f.name}" for f in dataclasses.fields(cls)}
    missing = sorted(expected - set(rows))
    assert not missing, f"fields missing from {DOC.name}: {missing}"
    extra = sorted(set(rows) - expected)
    assert not extra, f"{DOC.name} documents keys the config does not have: {extra}"
    in_key_table = {k for k, row in rows.items() if "default" in row and "." not in k and "[" not in k}
    assert in_key_table == config_mod._KEYS, "the keys table must list exactly the YAML keys (name/source apart)"


def test_documented_defaults_are_the_real_ones() -> None:
    rows = table_rows()
    checked = 0
    for f in dataclasses.fields(ClusterConfig):
        if f.name not in config_mod._KEYS or f.default in (dataclasses.MISSING, None) \
                or isinstance(f.default, (tuple, dict)):
            continue
        cell = rows[f.name].get("default", "")
        assert f"`{f.default}`" in cell, f"{f.name}: default is {f.default!r}, the doc says {cell!r}"
        checked += 1
    assert checked >= 3  # job_name_prefix, dependency_type, signal_before_timeout_s at least


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", doc_text(), flags=re.DOTALL)


def test_example_configs_load_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("NEMO_SKILLS_CONFIG_DIR", raising=False)
    monkeypatch.delenv("NSL_CONFIG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)  # ./cluster_configs is part of the search order
    loaded = []
    for block in yaml_blocks():
        m = re.match(r"# file: (cluster_configs/(\S+)\.yaml)\n", block)
        if not m:
            continue
        path = tmp_path / m.group(1)
        path.parent.mkdir(exist_ok=True)
        path.write_text(block)
        cfg = load_cluster_config(m.group(2))
        assert cfg.name == m.group(2) and Path(cfg.source).resolve() == path.resolve()
        loaded.append(cfg)
    slurm = [c for c in loaded if c.executor == "slurm"]
    assert any(c.containers and c.mounts and c.ssh_tunnel for c in slurm), "no Slurm example with containers/mounts/ssh"
    assert any(not c.containers for c in slurm), "no host-mode Slurm example"
    assert any(c.executor == "local" for c in loaded), "no local example"
    full = next(c for c in slurm if c.ssh_tunnel)
    assert full.mounts[0].host == "/lustre/fsw/me/workspace" and full.ssh_tunnel.user == "me"  # ${USER} expanded


def test_broken_examples_fail_with_the_documented_error(tmp_path: Path) -> None:
    text, seen = doc_text(), 0
    for block in yaml_blocks():
        m = re.match(r"# broken: (\S+)\n", block)
        if not m:
            continue
        path = tmp_path / m.group(1)
        path.write_text(block)
        with pytest.raises(NslError) as e:
            load_cluster_config(str(path))
        message = str(e.value).replace(str(path), m.group(1))
        assert f"error: {message}\n" in text, f"{DOC.name} does not show the real error for {m.group(1)}: {message}"
        seen += 1
    assert seen >= 1 and "unknown key" in text
