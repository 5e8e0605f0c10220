"""How `make run` starts the SMS simulator and points the notices' and sign-in's gateway at it."""

from __future__ import annotations

import socket
import sys

import pytest

from infra import devstack
from infra.settings import load_settings


def test_the_sms_simulator_command() -> None:
    assert devstack.sms_sim_command(8301) == [
        sys.executable, "-m", "simulators.sms", "--host", "127.0.0.1", "--port", "8301",
    ]  # fmt: skip


def test_a_taken_default_port_is_replaced_but_an_explicit_one_is_an_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        implicit = load_settings()
        object.__setattr__(implicit, "sms_sim_port", port)  # as if it were the default
        assert devstack.sms_sim_port(implicit) != port
        with pytest.raises(SystemExit, match=f"SMS_SIM_PORT {port} is in use"):
            devstack.sms_sim_port(load_settings(sms_sim_port=port))


def test_the_api_and_worker_are_pointed_at_the_simulator_unless_told_otherwise() -> None:
    assert devstack.sms_env(load_settings(), "http://127.0.0.1:8311") == {
        "SMS_BASE_URL": "http://127.0.0.1:8311"
    }
    assert devstack.sms_env(load_settings(sms_base_url="https://sms.example"), "http://x") == {}


def test_the_simulator_gets_the_gateways_key() -> None:
    assert devstack._settings_env(load_settings(sms_api_key="k-sms"))["SMS_API_KEY"] == "k-sms"
