"""How `make run` starts the department simulator and points the adapters at it."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from infra import devstack
from infra.settings import load_settings


def test_the_simulator_command_uses_the_settings() -> None:
    settings = load_settings(department_sim_households=120, department_sim_seed=7)
    assert devstack.department_sim_command(settings, 8123) == [
        sys.executable, "-m", "simulators.departments", "--host", "127.0.0.1", "--port", "8123",
        "--households", "120", "--seed", "7",
    ]  # fmt: skip


def test_a_taken_default_port_is_replaced_but_an_explicit_one_is_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        implicit = load_settings()
        object.__setattr__(implicit, "department_sim_port", port)  # as if it were the default
        assert devstack.department_sim_port(implicit) != port
        with pytest.raises(SystemExit, match=f"DEPARTMENT_SIM_PORT {port} is in use"):
            devstack.department_sim_port(load_settings(department_sim_port=port))


def test_the_worker_is_pointed_at_the_simulator_unless_told_otherwise() -> None:
    assert devstack.department_env(load_settings(), "http://127.0.0.1:8111") == {
        "DEPARTMENT_BASE_URL": "http://127.0.0.1:8111"
    }
    real = load_settings(department_base_url="https://exchange.example")
    assert devstack.department_env(real, "http://127.0.0.1:8111") == {}


def test_children_share_the_department_keys() -> None:
    settings = load_settings()
    env = devstack._settings_env(settings)
    assert json.loads(env["DEPARTMENT_API_KEYS"]) == settings.department_api_keys
    assert env["DEPARTMENT_API_KEY_HEADER"] == "X-Api-Key"
