"""MQTT in, against a real mosquitto (Debian's, installed by `make system`) on a free loopback
port with a configuration of its own."""

import json
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from address.errors import BadRequest
from layers.energy.mqtt import Subscriber, batch_of, reading_of, run
from tests.layers.energy import builders
from tests.outage import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@pytest.fixture
def broker(tmp_path: Path):
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                      f"log_dest file {tmp_path / 'mosquitto.log'}\n")
    process = subprocess.Popen([MOSQUITTO, "-c", str(config)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_payloads():
    at = datetime.fromtimestamp(time.time(), UTC)
    assert reading_of("dizhi/M1", b"12.5", at) == ("M1", at, 12.5)
    payload = b'{"ts": "2024-05-01T00:15:00+08:00", "value": 3}'
    _, ts, value = reading_of("dizhi/M1", payload, at)
    assert ts.isoformat() == "2024-05-01T00:15:00+08:00" and value == 3
    assert reading_of("emon/node1/power1", b"7", at)[0] == "node1:power1"
    for topic, payload in (("dizhi/M1", b"abc"), ("other/M1", b"1"), ("dizhi/M1", b"NaN"),
                           ("dizhi/M1", b'{"value": 1, "ts": "2024-05-01T00:15:00"}')):
        with pytest.raises(BadRequest):
            reading_of(topic, payload, at)


def test_subscriber_writes_what_the_broker_delivers(broker, conn):
    meter = builders.meter(conn, reading_type="interval")
    subscriber = Subscriber("127.0.0.1", broker, batch=500)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", broker)
    publisher.loop_start()
    sent = 0

    def until(stats):
        nonlocal sent
        if sent == 0:
            for i in range(1000):
                ts = f"2024-06-01T{i // 60 % 24:02d}:{i % 60:02d}:00+08:00"
                publisher.publish(f"dizhi/{meter}", json.dumps({"ts": ts, "value": i}), qos=1)
            publisher.publish("dizhi/ghost-meter", b"1", qos=1)
            publisher.publish(f"dizhi/{meter}", b"not a number", qos=1)
            sent = 1002
        return stats.received >= sent

    stats = run(conn, subscriber, until=until)
    publisher.loop_stop()
    assert (stats.received, stats.written, stats.unknown, stats.rejected) == (1002, 1000, 1, 1)
    count = conn.execute("SELECT count(*), sum(value) FROM reading WHERE meter_id = %s",
                         [meter]).fetchone()
    assert count == (1000, sum(range(1000)))


def test_a_batch_of_json_readings_is_read_at_once():
    at = time.time()
    messages = [(f"dizhi/M{i % 3}",
                 json.dumps({"ts": f"2024-06-01T00:{i:02d}:00+08:00", "value": i}).encode(), at)
                for i in range(10)]
    batch = batch_of(messages)
    assert batch is not None and len(batch) == 10 and batch.meters == ["M0", "M1", "M2"]
    for odd in (("emon/n/k", b"1", at), ("dizhi/M1", b"1", at), ("dizhi/M1", b'{"value": 1}', at),
                ("dizhi/M1", b'{"ts": "2024-06-01T00:00:00", "value": 1}', at),
                ("dizhi/a/b", messages[0][1], at), ("dizhi/", messages[0][1], at),
                ("dizhi/M1", b'{"ts": "2024-06-01T00:00:00+08:00", "value": true}', at),
                ("dizhi/M1", b'{"ts": "2024-06-01T00:00:00+08:00", "value": NaN}', at)):
        assert batch_of([*messages, odd]) is None, odd  # read one at a time instead


def test_a_batch_waits_to_fill_or_for_its_linger(broker):
    subscriber = Subscriber("127.0.0.1", broker, batch=3, linger=0.2)
    assert not subscriber.ready()
    subscriber._queue.append(("dizhi/M", b"1", time.time()))
    assert not subscriber.ready()
    subscriber._queue.extend([("dizhi/M", b"2", time.time())] * 2)
    assert subscriber.ready()
    subscriber._queue.clear()
    subscriber._queue.append(("dizhi/M", b"1", time.time() - 0.3))
    assert subscriber.ready()


def test_a_repeat_is_one_row_and_a_correction_keeps_history(broker, conn):
    meter = builders.meter(conn, reading_type="interval")
    subscriber = Subscriber("127.0.0.1", broker, batch=100, linger=0.05)
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    publisher.connect("127.0.0.1", broker)
    publisher.loop_start()
    reading = {"ts": "2024-06-01T00:15:00+08:00", "value": 1.5}
    steps = iter([[reading, reading], [reading], [{**reading, "value": 2.5}]])
    sent, deadline = 0, time.monotonic() + 30

    def until(stats):
        nonlocal sent
        assert time.monotonic() < deadline, stats
        if stats.received == sent and not subscriber._queue:  # all written: the next step
            step = next(steps, None)
            if step is None:
                return True
            for body in step:
                publisher.publish(f"dizhi/{meter}", json.dumps(body), qos=1)
            sent += len(step)
        return False

    stats = run(conn, subscriber, until=until)
    publisher.loop_stop()
    assert stats.received == 4 and stats.rejected == 0
    assert conn.execute("SELECT value FROM reading WHERE meter_id = %s",
                        [meter]).fetchall() == [(2.5,)]
    assert conn.execute("SELECT old_value, new_value FROM reading_revision WHERE meter_id = %s",
                        [meter]).fetchall() == [(1.5, 2.5)]
