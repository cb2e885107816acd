"""``bad_json`` without the app: a body with no ``\\u`` escape is passed unparsed, and what an
escape or another encoding can hide is still refused."""

import pytest

from api.text_guard import bad_json


@pytest.mark.parametrize(("body", "why"), [
    (b'{"readings": [{"meter_id": "M-1", "ts": "2024-05-01T00:15:00+08:00", "value": 1}]}',
     None),
    ('{"text": "青浦区"}'.encode(), None),
    (b'{"text": "a\\u0000b"}', "contains a NUL character"),
    (b'{"text": "\\ud800"}', "contains a lone surrogate (invalid Unicode)"),
    (b'{"text": "a\\\\u0000b"}', None),  # a backslash, then "u0000": no NUL
    ('{"text": "a\\u0000b"}'.encode("utf-16"), "contains a NUL character"),
    (b'{"text": "\xff"}', "is not valid UTF-8"),
    (b'{"text": "a\x00b"}', None),  # malformed JSON: the route's to refuse
    (b"", None),
])
def test_bad_json(body, why):
    assert bad_json(body) == why
