"""Senders: console and file mask the phone; the gateway is checked without any network."""

from __future__ import annotations

import io
import json
import logging
import stat

import pytest
from flask import Flask

from voucher.notify import senders
from voucher.notify.senders import (
    ConsoleSender,
    FileSender,
    GatewayConfig,
    GatewaySender,
    SendFailed,
    configured_sender,
    read_file_messages,
)

PHONE = "13800000001"


def test_every_sender_satisfies_the_sender_interface():
    gateway = GatewaySender(GatewayConfig("https://sms.example.invalid/send", "acct", "secret"))
    for sender in (ConsoleSender(), FileSender("/nonexistent/x.jsonl"), gateway):
        assert isinstance(sender, senders.Sender)


def test_the_console_sender_logs_the_text_with_the_phone_masked(caplog):
    with caplog.at_level(logging.INFO, logger="voucher.notify"):
        reference = ConsoleSender().send(PHONE, "您好")
    assert reference.startswith("console-")
    assert "138****0001" in caplog.text and PHONE not in caplog.text and "您好" in caplog.text


def test_the_file_sender_appends_json_lines_readable_only_by_the_owner(tmp_path):
    path = tmp_path / "notify" / "messages.jsonl"
    sender = FileSender(path)
    first = sender.send(PHONE, "第一条")
    second = sender.send("13900000002", "第二条")
    messages = read_file_messages(path)
    assert [m["text"] for m in messages] == ["第一条", "第二条"]
    assert [m["reference"] for m in messages] == [first, second]
    assert messages[0]["phone"] == "138****0001"
    assert PHONE not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_messages_yet_reads_as_an_empty_list(tmp_path):
    assert read_file_messages(tmp_path / "none.jsonl") == []


@pytest.mark.parametrize(("phone", "text"), [("", "x"), (PHONE, ""), (PHONE, "长" * 501)])
def test_an_empty_or_overlong_message_is_not_sent(tmp_path, phone, text):
    with pytest.raises(SendFailed):
        FileSender(tmp_path / "m.jsonl").send(phone, text)


def _gateway(**changes):
    config = {"url": "https://sms.example.invalid/api/send", "account": "gzrs", "secret": "s3"}
    return GatewaySender(GatewayConfig(**(config | changes)))


def test_the_gateway_needs_https_and_credentials():
    with pytest.raises(ValueError, match="https"):
        _gateway(url="http://sms.example.invalid/send")
    with pytest.raises(ValueError, match="account"):
        _gateway(secret="")
    assert "s3" not in repr(_gateway())


def test_the_gateway_request_is_a_json_post_with_the_secret_in_a_header():
    request = _gateway().build_request(PHONE, "验证码 123456")
    assert request.get_method() == "POST"
    assert request.full_url == "https://sms.example.invalid/api/send"
    assert request.get_header("Authorization") == "Bearer s3"
    body = json.loads(request.data.decode("utf-8"))
    assert body == {
        "account": "gzrs",
        "mobile": PHONE,
        "content": "验证码 123456",
        "sign": "广州人社",
    }


def test_the_gateway_answer_gives_the_message_id_or_a_failure():
    assert GatewaySender.parse_answer({"code": "0", "msgid": "m-1"}) == "m-1"
    assert GatewaySender.parse_answer({"code": 0, "msgid": 42}) == "42"
    for answer in [{"code": "17", "message": "余额不足"}, {"code": "0"}, [], "ok"]:
        with pytest.raises(SendFailed):
            GatewaySender.parse_answer(answer)


class _Answer(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_the_gateway_posts_with_its_timeout_and_reports_failures(monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):  # stands in for the network: nothing leaves the machine
        seen["timeout"] = timeout
        seen["url"] = request.full_url
        return _Answer(b'{"code": "0", "msgid": "gw-9"}')

    monkeypatch.setattr(senders.urllib.request, "urlopen", fake_urlopen)
    assert _gateway(timeout=3.5).send(PHONE, "您好") == "gw-9"
    assert seen == {"timeout": 3.5, "url": "https://sms.example.invalid/api/send"}

    def unreachable(request, timeout):
        raise TimeoutError("timed out")

    monkeypatch.setattr(senders.urllib.request, "urlopen", unreachable)
    with pytest.raises(SendFailed, match="unreachable"):
        _gateway().send(PHONE, "您好")


@pytest.mark.parametrize(
    ("kind", "cls"), [("console", ConsoleSender), ("file", FileSender), ("gateway", GatewaySender)]
)
def test_the_sender_is_chosen_by_the_notify_sender_setting(tmp_path, kind, cls):
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config.update(
        NOTIFY_SENDER=kind,
        SMS_GATEWAY_URL="https://sms.example.invalid/send",
        SMS_GATEWAY_ACCOUNT="a",
        SMS_GATEWAY_SECRET="b",
    )
    with app.app_context():
        sender = configured_sender()
        assert isinstance(sender, cls)
        assert configured_sender() is sender
        if kind == "file":
            assert sender.path == tmp_path / "notify" / "messages.jsonl"


def test_an_unknown_sender_setting_is_refused(tmp_path):
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["NOTIFY_SENDER"] = "pigeon"
    with app.app_context(), pytest.raises(ValueError, match="console"):
        configured_sender()
