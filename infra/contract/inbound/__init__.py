"""The inbound contract: attendance messages other systems send, and their decoder.

Neutral ground between the doors that receive them — the ingest consumer (Kafka) and the
API (HTTP) — so neither imports the other: message models (:mod:`.messages`, :mod:`.payloads`),
the decoder, the personal fields a dead letter must redact, and the ids peerpulse derives
from other systems' ids (:mod:`.ids`).
"""
