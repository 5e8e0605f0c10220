"""How `make run` starts the bank simulator and points the payroll's gateway at it."""

from __future__ import annotations

import socket
import sys

import pytest

from infra import devstack
from infra.settings import load_settings


def test_the_bank_simulator_command() -> None:
    assert devstack.bank_sim_command(8201) == [
        sys.executable, "-m", "simulators.bank", "--host", "127.0.0.1", "--port", "8201",
    ]  # fmt: skip


def test_a_taken_default_port_is_replaced_but_an_explicit_one_is_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        implicit = load_settings()
        object.__setattr__(implicit, "bank_sim_port", port)  # as if it were the default
        assert devstack.bank_sim_port(implicit) != port
        with pytest.raises(SystemExit, match=f"BANK_SIM_PORT {port} is in use"):
            devstack.bank_sim_port(load_settings(bank_sim_port=port))


def test_the_worker_is_pointed_at_the_bank_simulator_unless_told_otherwise() -> None:
    assert devstack.bank_env(load_settings(), "http://127.0.0.1:8211") == {
        "BANK_BASE_URL": "http://127.0.0.1:8211"
    }
    assert devstack.bank_env(load_settings(bank_base_url="https://bank.example"), "http://x") == {}


def test_the_simulator_gets_the_gateways_key_and_payer_account() -> None:
    settings = load_settings(bank_api_key="k-123", bank_payer_account="11112222333344445555")
    env = devstack._settings_env(settings)
    assert env["BANK_API_KEY"] == "k-123" and env["BANK_PAYER_ACCOUNT"] == "11112222333344445555"
