"""emoncms's input API, so existing gateways (emonhub, emonTx, ESPHome …) post unchanged.

``input/post?node=N&fulljson={"power1":100}`` (or ``json=`` in emoncms's loose ``{a:1,b:2}``
form, or ``csv=1,2``, keyed 1, 2 …) with an optional ``time`` (unix seconds or ISO 8601), and
``input/bulk?data=[[t,node,v1,v2…],…]`` with ``time`` (each t an offset from it), ``sentat``
(t on the sender's clock) or neither (t is unix time). An input (node, key) is the meter
``<node>:<key>``.
"""

import json
from datetime import UTC, datetime
from typing import Any

from address.errors import BadRequest

Row = tuple[str, datetime, float]


def meter_id(node: str, key: str | int) -> str:
    return f"{node}:{key}"


def parse_time(value: str | None, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except ValueError:
        pass
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"time {value!r} is neither unix seconds nor ISO 8601") from None
    if ts.tzinfo is None:
        raise BadRequest(f"time {value!r} needs its UTC offset")
    return ts


def _loose_json(text: str) -> dict[str, Any]:
    """emoncms's ``json=`` accepts ``{power1:100,power2:200}`` without quotes."""
    body = text.strip().strip("{}")
    pairs = [p.split(":", 1) for p in body.split(",") if p.strip()]
    if any(len(p) != 2 for p in pairs):
        raise BadRequest(f"json {text!r} is not key:value pairs")
    return {k.strip().strip('"'): v.strip().strip('"') for k, v in pairs}


def number(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequest(f"input {key!r}: {value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise BadRequest(f"input {key!r}: {value!r} is not a finite number")
    return number


def post_rows(*, node: str | None, fulljson: str | None = None, json_text: str | None = None,
              csv: str | None = None, time: str | None = None,
              now: datetime | None = None) -> list[Row]:
    """The readings of one ``input/post``."""
    if not node:
        raise BadRequest("node is required")
    ts = parse_time(time, now or datetime.now(UTC))
    values: dict[str, Any]
    if fulljson is not None:
        try:
            values = json.loads(fulljson)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"fulljson is not JSON: {exc.msg}") from None
        if not isinstance(values, dict):
            raise BadRequest("fulljson must be an object of input names to values")
        if "time" in values:
            ts = parse_time(str(values.pop("time")), ts)
    elif json_text is not None:
        values = _loose_json(json_text)
    elif csv is not None:
        values = {str(i): v for i, v in enumerate(csv.split(","), start=1)}
    else:
        raise BadRequest("give fulljson, json or csv")
    return [(meter_id(node, key), ts, number(key, value)) for key, value in values.items()]


def bulk_rows(*, data: str | None, time: str | None = None, sentat: str | None = None,
              offset: str | None = None, now: datetime | None = None) -> list[Row]:
    """The readings of one ``input/bulk``: ``[[t, node, v1, v2 …], …]``, values keyed 1, 2 …"""
    if not data:
        raise BadRequest("data is required")
    try:
        frames = json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"data is not JSON: {exc.msg}") from None
    if not isinstance(frames, list):
        raise BadRequest("data is a list of [time, node, values…]")
    clock = (now or datetime.now(UTC)).timestamp()
    base = _bulk_base(time=time, sentat=sentat, offset=offset, clock=clock)
    rows: list[Row] = []
    for frame in frames:
        if not isinstance(frame, list) or len(frame) < 3:
            raise BadRequest(f"bulk frame {frame!r} is not [time, node, v1 …]")
        t = base(number("time", frame[0]))
        node = str(frame[1])
        rows.extend((meter_id(node, i), datetime.fromtimestamp(t, UTC), number(str(i), v))
                    for i, v in enumerate(frame[2:], start=1))
    return rows


def _bulk_base(*, time: str | None, sentat: str | None, offset: str | None,
               clock: float) -> Any:
    if time:
        start = parse_time(time, datetime.now(UTC)).timestamp()
        return lambda t: start + t
    if sentat:
        sent = number("sentat", sentat)
        return lambda t: clock - (sent - t)
    if offset:
        shift = number("offset", offset)
        return lambda t: clock + shift + t
    return lambda t: t
