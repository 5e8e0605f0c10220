"""APP_ENV=production (issue 16, item 6): outside compose the API and the worker started with the
development JWT secret and keys, so anyone could forge tokens. In production they refuse, naming
every variable that still holds a development value."""

from __future__ import annotations

import base64
import json
import os
import secrets
from unittest import mock

import pytest

from api.app import create_app
from infra.settings import (
    API_SECRETS,
    WORKER_SECRETS,
    Settings,
    UnsafeProductionSettings,
    refuse_development_secrets,
)


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def real_secrets() -> dict[str, str]:
    """What an operator sets: fresh random values for every secret either process holds."""
    return {
        "JWT_SECRET": secrets.token_hex(32),
        "PAYLOAD_KEYS": json.dumps({"2027-01": _key()}),
        "PAYLOAD_ACTIVE_KEY": "2027-01",
        "PII_KEYS": json.dumps({"pii-2027": _key()}),
        "PII_ACTIVE_KEY": "pii-2027",
        "PII_HASH_KEY": _key(),
        "DEPARTMENT_API_KEYS": json.dumps({d: secrets.token_hex(8) for d in Settings().department_api_keys}),
        "BANK_API_KEY": secrets.token_hex(16),
        "SMS_API_KEY": secrets.token_hex(16),
    }


def settings_from(env: dict[str, str]) -> Settings:
    with mock.patch.dict(os.environ, env, clear=True):
        return Settings(_env_file=None)


def test_production_with_the_development_defaults_refuses_and_names_every_variable() -> None:
    settings = settings_from({"APP_ENV": "production"})
    with pytest.raises(UnsafeProductionSettings) as api:
        refuse_development_secrets(settings, API_SECRETS)
    for name in API_SECRETS:
        assert name in str(api.value)
    assert "拒绝启动" in str(api.value)
    with pytest.raises(UnsafeProductionSettings) as worker:
        refuse_development_secrets(settings, WORKER_SECRETS)
    for name in WORKER_SECRETS:
        assert name in str(worker.value)
    assert "JWT_SECRET" not in str(worker.value)  # the worker holds no token key


@pytest.mark.parametrize("variable", sorted(set(API_SECRETS) | set(WORKER_SECRETS)))
def test_one_development_value_among_real_ones_is_enough_to_refuse(variable: str) -> None:
    development = settings_from({})
    env = {**real_secrets(), "APP_ENV": "production"}
    value = getattr(development, variable.lower())
    if isinstance(value, dict):  # the development key beside a real one still opens old data
        env[variable] = json.dumps({**json.loads(env[variable]), **value})
    else:
        env[variable] = value
    settings = settings_from(env)
    uses = API_SECRETS if variable in API_SECRETS else WORKER_SECRETS
    with pytest.raises(UnsafeProductionSettings, match=variable):
        refuse_development_secrets(settings, uses)


def test_a_short_jwt_secret_is_refused_in_production() -> None:
    settings = settings_from({**real_secrets(), "APP_ENV": "production", "JWT_SECRET": "short-secret"})
    with pytest.raises(UnsafeProductionSettings, match="JWT_SECRET"):
        refuse_development_secrets(settings, API_SECRETS)


def test_the_api_refuses_to_be_built_in_production_with_a_development_secret() -> None:
    leaked = {**real_secrets(), "APP_ENV": "production"}
    del leaked["JWT_SECRET"]  # falls back to the development default
    with pytest.raises(UnsafeProductionSettings, match="JWT_SECRET"):
        create_app(settings_from(leaked))
    create_app(settings_from({**real_secrets(), "APP_ENV": "production"}))  # real secrets: built


def test_the_api_refuses_the_development_sms_key_in_production() -> None:
    """The API sends the portal's sign-in codes and the objections' codes: with the SMS simulator's
    key it would either fail at the real provider or talk to a stand-in holding the codes."""
    leaked = {**real_secrets(), "APP_ENV": "production"}
    del leaked["SMS_API_KEY"]  # falls back to the simulator's dev-sms-key
    with pytest.raises(UnsafeProductionSettings, match="SMS_API_KEY"):
        create_app(settings_from(leaked))


def test_development_keeps_its_defaults() -> None:
    settings = settings_from({})
    assert settings.app_env == "development"
    refuse_development_secrets(settings, API_SECRETS + WORKER_SECRETS)  # no refusal outside production
