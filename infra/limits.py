"""The size catalogue: how large an ingest message may be and how much one Kafka request holds.

Every size limit is declared here once, so the ingest contract (decoder and HTTP door), the
producers and the DLQ agree:

* ``MAX_REQUEST_BYTES`` (1 MiB) is every producer's ``max_request_size``; kafka-python
  refuses a record whose :func:`record_size` exceeds it. It is at most what Apache Kafka's
  default ``message.max.bytes`` (1,048,588) takes and far below what Tansu 0.6 takes (it
  stored 64 MiB records when probed); ``tests/integration/test_broker_record_sizes.py``
  pins a full request and a 10 MB record from another sender.
* ``MAX_MESSAGE_BYTES`` (256 KiB) is the ingest contract's largest message, on the topic
  and as an HTTP body. A quarter of a request leaves ample room for key and headers, so a
  message at the limit is produced and dead-lettered whole; a larger record (other senders'
  producers may allow one) is rejected as ``too_large`` and dead-lettered cut to fit
  (:mod:`consumers.ingest.dlq`).
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_REQUEST_BYTES = 1024 * 1024
MAX_MESSAGE_BYTES = 256 * 1024


def record_size(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
) -> int:
    """The size kafka-python checks against ``max_request_size`` for one record (an upper bound)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder

    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, list(headers))
