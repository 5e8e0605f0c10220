"""The SMS provider simulator for tests: served on a real loopback socket (uvicorn in a thread),
shared by a test session. `messages(phone)` reads what a phone received, newest first — the
portal's sign-in codes, the notices — as the admin API shows it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from simulators.sms import SmsState, create_sms_app


@dataclass
class SmsSimulator:
    url: str
    state: SmsState  # the simulator's own state: mark failing phones, take it down, reset

    def messages(self, phone: str | None = None) -> list[dict[str, str]]:
        """{message_id, phone, template, text, status, sent_at}, newest first."""
        return self.state.sent_to(phone)


@pytest.fixture(scope="session")
def sms_simulator() -> Iterator[SmsSimulator]:
    from tests.simulators.server import serve

    state = SmsState()
    with serve(create_sms_app(state)) as url:
        yield SmsSimulator(url, state)


@pytest.fixture(autouse=True)
def _sms_faults_cleared(request: pytest.FixtureRequest) -> Iterator[None]:
    # Only for tests that use the simulator. A fault, a provider left down, a failing phone or a
    # slow delivery must not leak into the next test; the messages stay (phones are per test).
    yield
    if "sms_simulator" in request.fixturenames:
        sms: SmsSimulator = request.getfixturevalue("sms_simulator")
        sms.state.faults.clear()
        sms.state.deliver_again()
        sms.state.set_delivery_seconds(None)
