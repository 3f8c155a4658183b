"""With a slow SMS gateway the sign-in answer does not wait for it (timing must not tell)."""

from __future__ import annotations

import threading

from tests.integration.test_wallet_signin import id_number_of
from voucher.wallet import services


class SlowGateway:
    """Stands in for the remote gateway: blocks until released."""

    slow = True

    def __init__(self) -> None:
        self.release = threading.Event()
        self.done = threading.Event()
        self.sent: list[str] = []

    def send(self, phone: str, text: str) -> str:
        self.release.wait(timeout=10)
        self.sent.append(text)
        self.done.set()
        return "gw-1"


def test_a_code_for_a_slow_gateway_is_sent_after_the_answer(app, demo):
    person = demo.people[0]
    gateway = SlowGateway()
    services.request_code(id_number_of(person), person.phone, sender=gateway)
    assert gateway.sent == []  # answered while the gateway still holds the message
    gateway.release.set()
    assert gateway.done.wait(timeout=10)
    assert "登录验证码" in gateway.sent[0]
