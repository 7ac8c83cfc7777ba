"""From an e-mail to a done action: the router delivers an at-risk alert through the real
SMTP sink, its plain text and HTML carry the same signed links, and the API acts on the
Acknowledge link once, then refuses it (issue 14, item 3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from fastapi.testclient import TestClient

from api.app import create_app
from consumers.alerts.directory import StaticDirectory
from consumers.alerts.policy import PolicyConfig
from tests.unit.alerts.factories import FakeClock, container, health, routing


def _last_noon() -> datetime:
    """The latest 12:00 UTC not after now: outside the coordinator's quiet hours (21–8 in
    UTC, where an immediate alert waits for the morning), and recent enough for the links'
    seven days whatever clock the API checks them by. (The test used the time of day it ran
    at, and failed every night.)"""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now else noon - timedelta(days=1)


def test_the_acknowledge_link_in_a_delivered_email_works_once(sqlite_settings, smtp_server):
    clock, r = FakeClock(_last_noon()), routing()
    s = sqlite_settings.model_copy(update={"smtp_host": smtp_server.host,
                                           "smtp_port": smtp_server.port,
                                           "public_url": "https://pulse.example.org"})  # fmt: skip
    c = container(s, StaticDirectory({r.group_id: r}, {}), clock)
    c.alert_store.receive(health("group-at-risk", "at_risk", "watch", at=clock()), r, clock(),
                          PolicyConfig(ops=False))  # fmt: skip
    c.alert_deliverer.run_once()
    (mail,) = smtp_server.messages
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    links = dict(re.findall(r"^- (.+): (https://pulse\.example\.org/a/\S+)$", text, re.M))
    assert list(links) == ["Acknowledge", "Snooze 1 week", "I reached out", "The group has ended"]
    assert all(url.replace("&", "&amp;") in html for url in links.values())
    path = urlparse(links["Acknowledge"]).path

    with TestClient(create_app(c)) as client:
        assert client.get(path).status_code == 200  # the confirmation page only
        assert c.alert_store.list()[0].status == "delivered"
        assert client.post(path).status_code == 200
        alert = c.alert_store.list()[0]
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", "link:coord-ana")
        second = client.post(path)
        assert second.status_code == 410 and "already used" in second.text
    c.close()
