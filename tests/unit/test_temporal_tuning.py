"""Every Temporal server the project runs gets the same dynamic configuration: the dev server's
flags, the production topology's file and docker-compose.yml's mounted file all say what
infra/temporal_tuning.py says (a value changed in one place only would make `make run`, the tests
and production behave differently — e.g. ~40 ms more per case step on one of them)."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.devstack import temporal_server_command
from infra.prodstack_config import Layout, Ports, write_configs
from infra.settings import REPO_ROOT, load_settings
from infra.temporal_tuning import CONFIG_FILE, DYNAMIC_CONFIG, dev_server_args, server_file_content


def _flags(cmd: list[str]) -> dict[str, object]:
    values = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--dynamic-config-value"]
    return {key: yaml.safe_load(value) for key, value in (v.split("=", 1) for v in values)}


def test_the_dispatch_cap_is_raised_everywhere() -> None:
    # The reason the module exists: the default 20 reads a second per shard held every hop.
    assert DYNAMIC_CONFIG["history.transferProcessorMaxPollRPS"] >= 1000


def test_make_run_starts_the_dev_server_with_every_value() -> None:
    assert _flags(temporal_server_command(load_settings())) == DYNAMIC_CONFIG
    assert _flags(dev_server_args()) == DYNAMIC_CONFIG


def test_the_committed_file_is_the_modules_values() -> None:
    assert yaml.safe_load(CONFIG_FILE.read_text(encoding="utf-8")) == server_file_content()


def test_the_production_topology_writes_the_same_file(tmp_path: Path) -> None:
    layout = Layout(state=tmp_path, pg_dir=tmp_path / "pg")
    (tmp_path / "temporal").mkdir()
    (tmp_path / "ui").mkdir()
    write_configs(layout, Ports.from_env(), "default", "http://127.0.0.1:8000/api/v1/codec")
    server = yaml.safe_load((tmp_path / "temporal" / "production.yaml").read_text(encoding="utf-8"))
    dynamic = Path(server["dynamicConfigClient"]["filepath"])
    assert yaml.safe_load(dynamic.read_text(encoding="utf-8")) == server_file_content()


def test_compose_mounts_the_file_where_the_server_reads_it() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    temporal = compose["services"]["temporal"]
    read_from = temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    mounts = {target: source for source, target, *_ in (v.split(":") for v in temporal["volumes"])}
    assert (REPO_ROOT / mounts[read_from]).resolve() == CONFIG_FILE.resolve()
