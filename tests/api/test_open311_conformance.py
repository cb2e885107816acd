"""Open311 GeoReport v2 conformance: both formats on every endpoint (XML checked against a
schema with lxml), the spec's api_key field, jurisdiction_id, comma lists, the requester's fields,
service definitions, datetimes, workflow statuses with history, form charsets, Idempotency-Key."""

from urllib.parse import quote

import pytest
from lxml import etree

from api.auth import create_key

BASE = "/open311/v2"
FORM = "application/x-www-form-urlencoded"
TEXT = "来电反映华徐公路988号门口垃圾没人清理"

_XSD = b"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:complexType name="open"><xs:sequence>
    <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  </xs:complexType>
  <xs:element name="services"><xs:complexType><xs:sequence>
    <xs:element name="service" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="service_code" type="xs:string"/>
      <xs:element name="service_name" type="xs:string"/>
      <xs:element name="description" type="xs:string"/>
      <xs:element name="metadata" type="xs:boolean"/>
      <xs:element name="type" type="xs:string"/>
      <xs:element name="keywords" type="xs:string"/>
      <xs:element name="group" type="xs:string"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="service_definition"><xs:complexType><xs:sequence>
    <xs:element name="service_code" type="xs:string"/>
    <xs:element name="attributes"><xs:complexType><xs:sequence>
      <xs:element name="attribute" minOccurs="0" maxOccurs="unbounded" type="open"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="service_requests"><xs:complexType><xs:sequence>
    <xs:element name="request" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="service_request_id" type="xs:string"/>
      <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>"""
SCHEMA = etree.XMLSchema(etree.fromstring(_XSD))


def _xml(response) -> etree._Element:
    assert response.status_code in (200, 201), response.text
    assert response.headers["content-type"].startswith("application/xml")
    doc = etree.fromstring(response.content)
    SCHEMA.assertValid(doc)
    return doc


@pytest.fixture
def keys(conn):
    return {role: create_key(conn, role=role).key for role in ("hotline", "planner")}


def _auth(key):
    return {"Authorization": f"Bearer {key}"}


def _file(client, key, **form):
    form = {"service_code": "sanitation", "description": TEXT, **form}
    created = client.post(f"{BASE}/requests.json", data=form, headers=_auth(key))
    assert created.status_code == 201, created.text
    return created.json()[0]["service_request_id"]


def test_every_endpoint_in_json_and_xml(client, keys):
    services = client.get(f"{BASE}/services.json").json()
    doc = _xml(client.get(f"{BASE}/services.xml"))
    assert [s.findtext("service_code") for s in doc] == [s["service_code"] for s in services]
    noise = client.get(f"{BASE}/services/noise.json").json()
    assert noise["service_code"] == "noise" and noise["attributes"][0]["code"] == "noise_source"
    definition = _xml(client.get(f"{BASE}/services/noise.xml"))
    assert definition.findtext("attributes/attribute/values/value/key") == "construction"
    assert client.get(f"{BASE}/services/nope.json").status_code == 400

    posted = client.post(f"{BASE}/requests.xml", headers=_auth(keys["hotline"]),
                         data={"service_code": "water", "description": "华徐公路988号积水"})
    request_id = _xml(posted).findtext("request/service_request_id")
    one = _xml(client.get(f"{BASE}/requests/{request_id}.xml", headers=_auth(keys["planner"])))
    assert one.findtext("request/status") == "open"
    assert one.findtext("request/agency_responsible") == "青浦区水务局"
    listed = _xml(client.get(f"{BASE}/requests.xml", headers=_auth(keys["planner"])))
    assert request_id in [r.findtext("service_request_id") for r in listed]
    as_json = client.get(f"{BASE}/requests/{request_id}.json",
                         headers=_auth(keys["planner"])).json()[0]
    assert as_json["service_request_id"] == request_id


def test_api_key_as_the_specs_field(client, keys):
    form = {"api_key": keys["hotline"], "service_code": "water", "description": "华徐公路988号积水"}
    posted = client.post(f"{BASE}/requests.json", data=form)
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    read = client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": keys["planner"]})
    assert read.status_code == 200
    assert client.get(f"{BASE}/requests.json", params={"api_key": "nonsense"}).status_code == 401


def test_jurisdiction_id(client, keys):
    assert client.get(f"{BASE}/services.json", params={"jurisdiction_id": "310118"}
                      ).status_code == 200
    other = client.get(f"{BASE}/services.json", params={"jurisdiction_id": "310101"})
    assert other.status_code == 400 and "jurisdiction_id" in other.json()["detail"]
    posted = client.post(f"{BASE}/requests.json", headers=_auth(keys["hotline"]),
                         data={"jurisdiction_id": "nyc.gov", "service_code": "water",
                               "description": "积水"})
    assert posted.status_code == 400


def test_comma_lists(client, keys):
    water = _file(client, keys["hotline"], service_code="water", description="华徐公路988号积水")
    noise = _file(client, keys["hotline"], service_code="noise", description="华徐公路988号很吵")
    road = _file(client, keys["hotline"], service_code="road", description="华徐公路988号井盖坏了")
    planner = _auth(keys["planner"])
    both = client.get(f"{BASE}/requests.json", params={"service_code": "water,noise"},
                      headers=planner).json()
    assert {r["service_request_id"] for r in both} == {water, noise}
    by_id = client.get(f"{BASE}/requests.json", headers=planner,
                       params={"service_request_id": f"{road},{water}"}).json()
    assert [r["service_request_id"] for r in by_id] == [road, water]
    bad = client.get(f"{BASE}/requests.json", params={"service_code": "water,nope"},
                     headers=planner)
    assert bad.status_code == 400


def test_requester_fields_are_stored_and_masked_on_read(client, keys):
    request_id = _file(client, keys["hotline"], first_name="建国", last_name="王",
                       email="wangjg@example.com", phone="13812345678",
                       media_url="https://example.com/photo.jpg",
                       **{"attribute[time_of_day]": "night"}, service_code="pollution")
    masked = client.get(f"{BASE}/requests/{request_id}.json",
                        headers=_auth(keys["planner"])).json()[0]
    assert masked["media_url"] == "https://example.com/photo.jpg"
    assert masked["phone"] == "***********" and masked["email"] == "******@example.com"
    assert masked["first_name"] == "**" and masked["last_name"] == "王"
    assert masked["text_access"] == "masked"
    assert masked["attributes"] == {"time_of_day": "night"}
    original = client.get(f"{BASE}/requests/{request_id}.json",
                          headers=_auth(keys["hotline"])).json()[0]
    assert original["phone"] == "13812345678" and original["last_name"] == "王"
    assert original["description"] == TEXT and original["text_access"] == "original"


def test_unknown_attribute_values_are_400(client, keys):
    posted = client.post(f"{BASE}/requests.json", headers=_auth(keys["hotline"]),
                         data={"service_code": "noise", "description": "很吵",
                               "attribute[noise_source]": "aliens"})
    assert posted.status_code == 400 and "noise_source" in posted.json()["detail"]


def test_datetimes_and_the_workflow(client, keys):
    request_id = _file(client, keys["hotline"])
    planner = _auth(keys["planner"])
    (req,) = client.get(f"{BASE}/requests/{request_id}.json", headers=planner).json()
    assert req["requested_datetime"] and req["updated_datetime"]
    assert req["expected_datetime"] > req["requested_datetime"]
    assert req["stage"] == "派单" and req["status"] == "open"
    assert [s["stage"] for s in req["status_history"]] == ["受理", "派单"]
    assert req["status_notes"] == "派单：派单至徐泾镇城管中队"
    hotline = _auth(keys["hotline"])
    for stage in ("处置", "办结", "回访"):
        moved = client.patch(f"/hotline/tickets/{request_id}", headers=hotline,
                             json={"stage": stage, "note": f"{stage}完成"})
        assert moved.status_code == 200, moved.text
    (req,) = client.get(f"{BASE}/requests/{request_id}.json", headers=planner).json()
    assert req["status"] == "closed" and req["stage"] == "回访"
    assert [s["status"] for s in req["status_history"]] == ["open"] * 3 + ["closed"] * 2
    assert req["status_notes"] == "回访：回访完成"
    closed = client.get(f"{BASE}/requests.json", params={"status": "closed"},
                        headers=planner).json()
    assert request_id in [r["service_request_id"] for r in closed]
    assert client.patch(f"/hotline/tickets/{request_id}", headers=hotline,
                        json={"stage": "完成"}).status_code == 400


@pytest.mark.parametrize(("content_type", "encoding"), [
    (FORM, "utf-8"),  # no charset: UTF-8
    (f"{FORM}; charset=utf-8", "utf-8"),
    (f"{FORM}; charset=GBK", "gbk"),
])
def test_form_charsets(client, keys, content_type, encoding):
    raw = f"service_code=sanitation&description={TEXT}&last_name=王".encode(encoding)
    posted = client.post(f"{BASE}/requests.json", content=raw,
                         headers={**_auth(keys["hotline"]), "Content-Type": content_type})
    assert posted.status_code == 201, posted.text
    request_id = posted.json()[0]["service_request_id"]
    (req,) = client.get(f"{BASE}/requests/{request_id}.json",
                        headers=_auth(keys["hotline"])).json()
    assert req["description"] == TEXT and req["last_name"] == "王"
    assert req["agency_responsible"] == "徐泾镇城管中队"


def test_percent_encoded_utf8_still_works(client, keys):
    raw = f"service_code=sanitation&description={quote(TEXT)}"
    posted = client.post(f"{BASE}/requests.json", content=raw,
                         headers={**_auth(keys["hotline"]), "Content-Type": FORM})
    assert posted.status_code == 201


def test_idempotency_key(client, conn, keys):
    headers = {**_auth(keys["hotline"]), "Idempotency-Key": "k-1"}
    form = {"service_code": "water", "description": "华徐公路988号积水"}
    first = client.post(f"{BASE}/requests.json", data=form, headers=headers)
    again = client.post(f"{BASE}/requests.json", data=form, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    in_xml = _xml(client.post(f"{BASE}/requests.xml", data=form, headers=headers))
    assert in_xml.findtext("request/service_request_id") == first.json()[0]["service_request_id"]
    assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 1
    other = client.post(f"{BASE}/requests.json", headers=headers,
                        data={**form, "description": "别的"})
    assert other.status_code == 422
    assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 1


def test_hand_over_fields(client, keys):
    request_id = _file(client, keys["hotline"], description="来电反映浦东新区张江镇碧波路690号垃圾")
    (req,) = client.get(f"{BASE}/requests/{request_id}.json",
                        headers=_auth(keys["planner"])).json()
    assert req["district_code"] == "310115"
    assert req["agency_responsible"] == "转浦东新区12345分中心"
    assert req["address_text"] == "浦东新区张江镇碧波路690号"
