"""``peerpulse simulate``: JSONL and truth files, sinks, pacing, one-line errors."""

from __future__ import annotations

import json

import httpx
import pytest

from infra.simulator import simulate
from infra.simulator.sinks import HttpSink, KafkaSink, SinkError, paced
from peerpulse.cli import main
from tests.unit.simulator.views import END

ARGS = ["simulate", "--seed", "4", "--groups", "12", "--end", END.isoformat()]


def test_to_file_writes_every_message_as_jsonl_and_the_truth(tmp_path, capsys):
    out, truth = tmp_path / "sim.jsonl", tmp_path / "truth.json"
    assert main([*ARGS, "--to", "file", str(out), "--truth", str(truth)]) == 0
    expected = simulate(4, END, groups=12)
    lines = out.read_text().splitlines()
    assert [json.loads(line) for line in lines] == expected.messages
    doc = json.loads(truth.read_text())
    assert doc == json.loads(json.dumps(expected.truth_json()))
    assert {g["fate"] for g in doc["groups"]} and len(doc["groups"]) == 12
    for group in doc["groups"]:
        assert set(group) >= {"fate", "cadence", "dies", "dormant_at", "pauses"}
    assert f"{len(lines)} messages" in capsys.readouterr().out


@pytest.mark.parametrize(
    "bad",
    [
        ["--groups", "many"],
        ["--groups", "0"],
        ["--weeks", "-1"],
        ["--end", "yesterday"],
        ["--speed", "0"],
        ["--to", "carrier-pigeon"],
        ["--to", "file"],
        ["--to", "http", "localhost:8400"],
        ["--to", "kafka", "extra"],
    ],
)
def test_bad_arguments_end_in_one_line_and_exit_2(bad, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        code = main([*ARGS, *bad])
        raise SystemExit(code)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("peerpulse simulate: ") and "\n" not in err


def test_paced_sleeps_the_scaled_event_time_gaps():
    messages = simulate(1, END, groups=3).messages[:40]
    slept: list[float] = []
    batches = list(paced(messages, 3600.0, 500, slept.append))
    assert [m for b in batches for m in b] == messages
    first, newest = messages[0]["time"], max(m["time"] for m in messages)
    span = (_t(newest) - _t(first)).total_seconds() / 3600.0
    assert sum(slept) == pytest.approx(span), "late messages do not wind the clock back"


def test_unpaced_batches_go_as_fast_as_possible():
    messages = simulate(1, END, groups=3).messages
    slept: list[float] = []
    batches = list(paced(messages, None, 100, slept.append))
    assert not slept and max(map(len, batches)) == 100


def test_http_sink_posts_batches_with_the_token():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"accepted": 2})

    sink = HttpSink(
        "http://api.test", "secret", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    batch = simulate(1, END, groups=1).messages[:2]
    sink.send(batch)
    assert seen[0].url.path == "/v1/attendance"
    assert seen[0].headers["authorization"] == "Bearer secret"
    assert json.loads(seen[0].content) == batch


def test_http_sink_reports_a_refusal_in_one_line():
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(401, text="no")))
    with pytest.raises(SinkError, match="answered 401"):
        HttpSink("http://api.test/v1/attendance", None, client=client).send([{"x": 1}])


def test_kafka_sink_keys_by_group_on_the_given_topic():
    class Future:
        def get(self, timeout=None):
            return None

    class Producer:
        sent: list[tuple] = []

        def send(self, topic, key, value):
            self.sent.append((topic, key, json.loads(value)))
            return Future()

        def flush(self, timeout=None):
            pass

    producer = Producer()
    batch = simulate(1, END, groups=1).messages[:5]
    KafkaSink("unused:9092", "test.topic", producer=producer).send(batch)
    assert [s[0] for s in producer.sent] == ["test.topic"] * 5
    assert producer.sent[-1][1] == batch[-1]["subject"].encode()
    assert producer.sent[0][1] == b"program-1"


def _t(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)
