"""The dashboard's triage view: bad filters are a clear 400 page, page links keep the
filters, and the program page counts alerts exactly as the alerts page does."""

from __future__ import annotations

import re

import pytest

from api.dashboard.triage_page import Choice, choice_of
from api.triage import GroupFilter
from tests.unit.api import seed


@pytest.fixture
def ops(client, tokens):
    assert client.get(f"/login?token={tokens['ops']}", follow_redirects=False).status_code == 303
    return client


@pytest.mark.parametrize(("query", "says"), [
    ("level=doomed", "level: 'doomed' is not one of"), ("acknowledged=maybe", "acknowledged"),
    ("coordinator=bob", "coordinator: 'bob' is not an id"), ("offset=-5", "offset"),
])  # fmt: skip
def test_a_bad_filter_is_a_400_page_naming_it(ops, query, says):
    response = ops.get(f"/programs/{seed.PROGRAM_A}?{query}")
    assert response.status_code == 400 and "text/html" in response.headers["content-type"]
    assert says in response.text.replace("&#x27;", "'")


def test_page_links_keep_the_filters_and_move_one_section_only():
    c = choice_of({"level": ["at_risk", "watch"], "q": ["circle"], "acknowledged": ["false"],
                   "quiet": ["50"]})  # fmt: skip
    assert c.filter == GroupFilter(levels=("at_risk", "watch"), q="circle", acknowledged=False)
    assert c.link(offset=50) == (
        "?level=at_risk&level=watch&q=circle&acknowledged=false&offset=50&quiet=50"
    )
    caseload = Choice(GroupFilter(program=str(seed.PROGRAM_A)), program_in_query=True)
    assert caseload.link(offset=50) == f"?program={seed.PROGRAM_A}&offset=50"


def _summary(html: str) -> tuple[int, int, int]:
    text = re.sub(r"<[^>]+>", "", re.search(r'id="alert-summary">(.*?)</p>', html).group(1))
    found = re.match(r"(\d+) groups? with an open alert: (\d+) waiting .*, (\d+) acknowledged",
                     text)  # fmt: skip
    return tuple(int(x) for x in found.groups())


def test_program_page_and_alerts_page_count_the_same_groups(ops):
    program = ops.get(f"/programs/{seed.PROGRAM_A}").text
    alerts = ops.get(f"/alerts?program={seed.PROGRAM_A}").text
    assert _summary(program) == _summary(alerts) == (2, 2, 0)
    assert f'href="/alerts?program={seed.PROGRAM_A}"' in program
    ack = ops.post("/alerts/al-1/ack", content=b"comment=on+it",
                   headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert ack.status_code == 200  # followed the redirect to the alerts page
    program = ops.get(f"/programs/{seed.PROGRAM_A}").text
    alerts = ops.get(f"/alerts?program={seed.PROGRAM_A}").text
    assert _summary(program) == _summary(alerts) == (2, 1, 1)
    assert "Mentors West" not in alerts  # program B's alert is not in program A's page
