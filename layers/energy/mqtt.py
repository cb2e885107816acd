"""MQTT in: a paho-mqtt subscriber on ``dizhi/<meter_id>`` (and emoncms's ``emon/<node>/<key>``),
writing what arrives in batches, one transaction each.

A payload is a number (read now), or JSON ``{"value": v, "ts": "…+08:00"}`` (``time`` in unix
seconds also works). Bad payloads and unknown meters are counted and dropped, never fatal.
"""

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from psycopg import Connection

from address.errors import BadRequest
from layers.energy import emoncms
from layers.energy.readings import ingest_rows

log = logging.getLogger("dizhi.energy.mqtt")
TOPICS = ("dizhi/#", "emon/#")


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


class Subscriber:
    """Collects messages on paho's network thread; ``flush`` writes them on the caller's."""

    def __init__(self, host: str, port: int, *, client_id: str = "",
                 batch: int = 5000) -> None:
        self.batch = batch
        self.stats = MqttStats()
        self._queue: queue.SimpleQueue[emoncms.Row] = queue.SimpleQueue()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        client.subscribe([(topic, 1) for topic in TOPICS])

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
                    ) -> None:
        self.stats.received += 1
        try:
            self._queue.put(reading_of(message.topic, message.payload, datetime.now(UTC)))
        except BadRequest as exc:
            self.stats.rejected += 1
            if len(self.stats.errors) < 20:
                self.stats.errors.append(exc.detail)

    def start(self, timeout: float = 10.0) -> None:
        self.client.loop_start()
        if not self._subscribed.wait(timeout):
            raise TimeoutError("no subscription acknowledged by the broker")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def flush(self, conn: Connection) -> int:
        """Write up to ``batch`` queued readings in one transaction; how many were taken."""
        rows: list[emoncms.Row] = []
        while len(rows) < self.batch:
            try:
                rows.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if rows:
            with conn.transaction():
                report = ingest_rows(conn, rows=rows, source="mqtt", skip_unknown=True)
            self.stats.written += report.received
            self.stats.unknown += report.skipped
            self.stats.batches += 1
        return len(rows)


def run(conn: Connection, subscriber: Subscriber, *, until: Callable[[MqttStats], bool],
        idle: float = 0.05) -> MqttStats:
    """Flush until ``until(stats)`` says stop (checked after each pass)."""
    subscriber.start()
    try:
        while not until(subscriber.stats):
            if subscriber.flush(conn) == 0:
                time.sleep(idle)
        while subscriber.flush(conn):
            pass
    finally:
        subscriber.stop()
    return subscriber.stats
