"""The MQTT bench's publisher, a process of its own (paho's callbacks and the subscriber then do
not share one interpreter): ``messages`` readings of ``meters`` meters ``<prefix>-00000`` …
published on ``dizhi/<meter_id>`` as JSON with a time, QoS 0, as fast as the broker takes them.
Prints JSON: messages sent, seconds.

    .venv/bin/python bench/mqtt_publish.py --port P --prefix bench-abc --meters 2000
        --messages 50000 [--start 2030-03-02T00:00:00+00:00]
"""

import argparse
import json
import time
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50000)
    parser.add_argument("--start", default="2030-03-02T00:00:00+00:00")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start)
    ids = [f"{args.prefix}-{i:05d}" for i in range(args.meters)]
    stamps = [(start + timedelta(minutes=15 * k)).isoformat()
              for k in range(args.messages // args.meters + 1)]
    payloads = [(f"dizhi/{ids[i % len(ids)]}",
                 json.dumps({"ts": stamps[i // len(ids)], "value": i}).encode())
                for i in range(args.messages)]
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.max_queued_messages_set(0)
    client.connect(args.host, args.port)
    client.loop_start()
    t = time.perf_counter()
    for topic, payload in payloads:
        client.publish(topic, payload, qos=0)
    while client.want_write():  # the last packets still in paho's buffer
        time.sleep(0.01)
    seconds = time.perf_counter() - t
    client.disconnect()
    client.loop_stop()
    print(json.dumps({"messages": args.messages, "seconds": round(seconds, 3)}))


if __name__ == "__main__":
    main()
