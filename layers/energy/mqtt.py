"""MQTT in: a paho-mqtt subscriber on ``dizhi/<meter_id>`` (and emoncms's ``emon/<node>/<key>``),
writing what arrives in batches, one transaction each.

A payload is a number (read now), or JSON ``{"value": v, "ts": "…+08:00"}`` (``time`` in unix
seconds also works). Bad payloads and unknown meters are counted and dropped, never fatal.
"""

import json
import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import paho.mqtt.client as mqtt
from psycopg import Connection

from address.errors import BadRequest
from layers.energy import emoncms
from layers.energy.batch import Batch, from_columns, warm_up
from layers.energy.readings import ingest_batch, ingest_rows

log = logging.getLogger("dizhi.energy.mqtt")
TOPICS = ("dizhi/#", "emon/#")
SWITCH_INTERVAL_S = 0.0005


def reading_of(topic: str, payload: bytes | bytearray, now: datetime) -> emoncms.Row:
    """(meter_id, ts, value) of one message; BadRequest if it is not a reading."""
    parts = topic.split("/")
    if parts[0] == "dizhi" and len(parts) == 2 and parts[1]:
        meter_id = parts[1]
    elif parts[0] == "emon" and len(parts) == 3:
        meter_id = emoncms.meter_id(parts[1], parts[2])
    else:
        raise BadRequest(f"topic {topic!r} is not dizhi/<meter_id> or emon/<node>/<key>")
    try:
        body: Any = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(f"{topic}: payload is not a number or JSON") from None
    if isinstance(body, dict):
        ts = emoncms.parse_time(str(body.get("ts") or body.get("time") or ""), now)
        return meter_id, ts, emoncms.number("value", body.get("value"))
    return meter_id, now, emoncms.number("value", body)


@dataclass
class MqttStats:
    received: int = 0
    written: int = 0
    rejected: int = 0
    unknown: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)


Message = tuple[str, bytes | bytearray, float]  # topic, payload, time received (unix s)


def batch_of(messages: list[Message]) -> Batch | None:
    """Messages that are all ``dizhi/<meter_id>`` with a JSON ``{"ts": "…+08:00", "value": v}``
    as one batch, the columns checked at once; None when any is otherwise (then each is read
    on its own and a bad one is counted with its reason)."""
    ids = [topic[6:] for topic, _, _ in messages if topic.startswith("dizhi/")]
    if len(ids) != len(messages) or any("/" in i for i in ids):
        return None
    try:
        bodies = [json.loads(payload) for _, payload, _ in messages]
        stamps, values = list(map(_TS, bodies)), list(map(_VALUE, bodies))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return from_columns(ids, stamps, values)


_TS, _VALUE = itemgetter("ts"), itemgetter("value")


class Subscriber:
    """Collects messages on paho's network thread (only queued there: it shares the
    interpreter with the writer); ``flush`` reads and writes them on the caller's."""

    def __init__(self, host: str, port: int, *, client_id: str = "",
                 batch: int = 5000, linger: float = 0.2) -> None:
        self.batch, self.linger = batch, linger
        self.stats = MqttStats()
        self._queue: deque[Message] = deque()  # append and popleft are thread-safe
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        warm_up()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        client.subscribe([(topic, 1) for topic in TOPICS])

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        self.stats.received += 1
        self._queue.append((message.topic, message.payload, time.time()))

    def start(self, timeout: float = 10.0) -> None:
        self.client.loop_start()
        if not self._subscribed.wait(timeout):
            raise TimeoutError("no subscription acknowledged by the broker")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def ready(self) -> bool:
        """A batch is full, or its first message has waited ``linger`` seconds: fewer, bigger
        transactions than writing whatever is there."""
        queue = self._queue
        if len(queue) >= self.batch:
            return True
        return bool(queue) and time.time() - queue[0][2] >= self.linger

    def flush(self, conn: Connection) -> int:
        """Write up to ``batch`` queued readings in one transaction; how many were taken."""
        messages = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
        if messages:
            with conn.transaction():
                if (batch := batch_of(messages)) is not None:
                    report = ingest_batch(conn, batch=batch, source="mqtt", skip_unknown=True)
                else:
                    report = ingest_rows(conn, rows=self._read(messages), source="mqtt",
                                         skip_unknown=True)
            self.stats.written += report.received
            self.stats.unknown += report.skipped
            self.stats.batches += 1
        return len(messages)

    def _read(self, messages: list[Message]) -> list[emoncms.Row]:
        rows = []
        for topic, payload, received in messages:
            try:
                rows.append(reading_of(topic, payload, datetime.fromtimestamp(received, UTC)))
            except BadRequest as exc:
                self.stats.rejected += 1
                if len(self.stats.errors) < 20:
                    self.stats.errors.append(exc.detail)
        return rows


def run(conn: Connection, subscriber: Subscriber, *, until: Callable[[MqttStats], bool],
        idle: float = 0.05) -> MqttStats:
    """Flush until ``until(stats)`` says stop (checked after each pass). paho reads a packet
    with several ``recv`` calls, each giving up the interpreter; while a batch is being
    written, each wait to get it back was up to the 5 ms switch interval, so the interval is
    0.5 ms while this runs."""
    subscriber.start()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        while not until(subscriber.stats):
            if not subscriber.ready() or subscriber.flush(conn) == 0:
                time.sleep(idle)
        while subscriber.flush(conn):
            pass
    finally:
        sys.setswitchinterval(interval)
        subscriber.stop()
    return subscriber.stats
