"""What the client makes of answers no appliance should give (a proxy's HTML page, a body
cut short): one DriverError in the operator's words, never a crash or a traceback."""
from __future__ import annotations

import httpx
import pytest

from tui.drivers.oneview.client import Appliance
from tui.drivers.oneview.config import parse_config
from tui.model.driver import DriverError


def appliance(tmp_path, monkeypatch, hardware_answer, **options) -> Appliance:
    monkeypatch.setenv("OV_PW", "s3cret-Pw")
    cfg = parse_config({"url": "https://ov.example.net", "user": "svc", "password_env": "OV_PW", **options},
                       tmp_path, [].append)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/rest/version":
            return httpx.Response(200, json={"minimumVersion": 120, "currentVersion": 2400})
        if request.url.path == "/rest/login-sessions":
            return httpx.Response(200, json={"sessionID": "sess-1"})
        return hardware_answer(request)
    api = Appliance(cfg)
    api._http = httpx.Client(base_url=cfg.url, transport=httpx.MockTransport(answer))
    return api


class Truncated(httpx.SyncByteStream):
    """A body that stops half-way, as when the connection drops."""

    def __iter__(self):
        yield b'{"members": [{"uri": "/rest/serv'
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


@pytest.mark.parametrize(("answer", "words"), [
    (lambda r: httpx.Response(200, text="<html>proxy login</html>"), "not a JSON object"),
    (lambda r: httpx.Response(200, json=["a", "list"]), "not a JSON object"),
    (lambda r: httpx.Response(502, text="<html>Bad Gateway</html>"), "502"),
    (lambda r: httpx.Response(200, stream=Truncated()), "did not answer"),
    (lambda r: httpx.Response(200, content=b"\x1f\x8b garbage", headers={"Content-Encoding": "gzip"}),
     "did not answer"),
])
def test_an_answer_that_is_not_the_appliances_is_one_clear_error(tmp_path, monkeypatch, answer, words):
    api = appliance(tmp_path, monkeypatch, answer)
    with pytest.raises(DriverError) as caught:
        api.get("/rest/server-hardware")
    assert words in str(caught.value)
    assert "s3cret-Pw" not in str(caught.value)


@pytest.mark.parametrize(("retry_after", "words"), [
    ("30", "asked for 30 s more, beyond busy_wait = 3 s (0 retries in 0 s)"),
    ("0", "through 2 retries in 0 s"),
])
def test_a_busy_answer_says_why_bayops_stopped_waiting(tmp_path, monkeypatch, retry_after, words):
    busy = {"errorCode": "SERVICE_UNAVAILABLE", "message": "backup in progress"}
    api = appliance(tmp_path, monkeypatch, lambda r: httpx.Response(
        503, json=busy, headers={"Retry-After": retry_after}), retries=2, busy_wait=3)
    with pytest.raises(DriverError, match="stayed busy") as caught:
        api.get("/rest/server-hardware")
    assert words in str(caught.value) and "backup in progress" in str(caught.value)
