"""The address API: standardize, match and extract over HTTP and on the CLI; CORS."""

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cli.main import app as cli
from api.schemas.address_api import StandardizedPublic, StandardizeResults
from api.settings import Settings


def test_get_standardize_gives_parts_key_codes_and_offsets(client):
    r = client.get("/address/standardize", params={"address": "上海市青浦区华志路559号"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["input"] == "上海市青浦区华志路559号"
    assert body["components"]["road"] == "华志路" and body["components"]["roadno"] == "559号"
    assert body["standard"] == "上海市青浦区华新镇华志路559号"  # 华志路 runs in 华新镇 only
    assert body["address_key"] == "310118|华志路559号"
    assert body["codes"]["district"] == "310118" and body["level"] == "门牌号"
    for span in body["spans"]:
        assert body["input"][span["start"]:span["end"]] == span["text"]
    assert 0.9 < body["confidence"] <= 1
    assert StandardizedPublic.model_validate(body).model_dump(exclude_none=True) == body


def test_problems_say_what_was_missing_ambiguous_or_dropped(client):
    def kinds(text: str) -> set[str]:
        r = client.get("/address/standardize", params={"address": text})
        return {p["kind"] for p in r.json()["problems"]}

    assert "ambiguous" in kinds("朝阳区建国路88号")  # 北京 or 长春
    assert "missing" in kinds("青浦区华志路")  # no door
    assert "unresolved" in kinds("陕西南路100号") or "missing" in kinds("陕西南路100号")
    for garbage in ("，，，", "😀"):
        body = client.get("/address/standardize", params={"address": garbage}).json()
        assert body["confidence"] == 0
        problems = [(p["kind"], p["detail"]) for p in body["problems"]]
        assert problems == [("missing", "不是可识别的地址")]


def test_post_standardize_keeps_input_order_and_agrees_with_get(client):
    texts = ["青浦区华志路559号", "上海市青浦区华志路559号", "", "朱家角镇张马村8组"] * 3
    r = client.post("/address/standardize", json={"addresses": texts})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    StandardizeResults.model_validate(r.json())
    assert [x["input"] for x in results] == texts
    one = client.get("/address/standardize", params={"address": texts[3]}).json()
    assert results[3] == one
    assert results[0]["address_key"] == results[1]["address_key"]


def test_a_road_alone_gets_its_town_and_short_chains_share_the_key(client):
    """Issue 14: a road of the district's gazetteer gives its town; 上海青浦华新 is the chain
    上海 | 青浦 | 华新 written short, the same address as the full spelling."""
    alone = client.get("/address/standardize", params={"address": "华志路559号"}).json()
    assert alone["codes"] == {"prov": "31", "city": "3101", "district": "310118",
                              "town": "310118107"}
    texts = ["上海青浦华新华志路559号", "上海市青浦区华新镇华志路五百五十九号"]
    short, full = client.post("/address/standardize", json={"addresses": texts}).json()["results"]
    assert short["components"]["road"] == "华志路" and short["components"]["town"] == "华新"
    assert short["standard"] == full["standard"] == "上海市青浦区华新镇华志路559号"
    assert short["address_key"] == full["address_key"] == "310118|华志路559号"
    assert short["codes"] == full["codes"] == alone["codes"]


def test_bad_requests_are_problems(client):
    assert client.get("/address/standardize").status_code == 422
    too_many = client.post("/address/standardize", json={"addresses": ["华志路1号"] * 10_001})
    assert too_many.status_code == 422
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert client.post("/address/match", json={"a": "华志路1号"}).status_code == 422


def test_match_says_relation_score_and_what_differs(client):
    same = client.post("/address/match", json={"a": "上海市青浦区华志路559号",
                                               "b": "青浦区华志路559号"}).json()
    assert same["relation"] == "完全匹配" and same["same_key"] and same["differences"] == []
    other = client.post("/address/match", json={"a": "华志路1号", "b": "华志路2号"}).json()
    assert other["relation"] != "完全匹配"
    assert other["differences"] == [{"component": "roadno", "a": "1号", "b": "2号"}]
    batch = client.post("/address/match/batch", json={"pairs": [
        {"a": "华志路1号", "b": "华志路2号"},
        {"a": "上海市青浦区华志路559号", "b": "青浦区华志路559号"}]}).json()["results"]
    assert [x["relation"] for x in batch] == [other["relation"], "完全匹配"]


def test_extract_finds_addresses_in_free_text(client):
    text = "市民反映：青浦区华志路559号门口路灯不亮，已经三天了"
    r = client.post("/address/extract", json={"text": text})
    assert r.status_code == 200, r.text
    found = r.json()["addresses"]
    assert len(found) == 1
    assert text[found[0]["start"]:found[0]["end"]].startswith("青浦区华志路559号")
    assert found[0]["components"]["road"] == "华志路"


def test_cli_standardize_and_match_are_json_lines(cli_runner):
    out = cli_runner.invoke(cli, ["standardize"], input="青浦区华志路559号\n\n陕西南路\n")
    assert out.exit_code == 0, out.output
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["input"] for x in lines] == ["青浦区华志路559号", "", "陕西南路"]
    pairs = '{"a": "华志路1号", "b": "华志路1号"}\n华志路1号\t华志路2号\nno pair here\n'
    out = cli_runner.invoke(cli, ["match"], input=pairs)
    assert out.exit_code == 0, out.output
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert lines[0]["relation"] == "完全匹配" and "relation" in lines[1]
    assert lines[2]["line"] == 3 and "tab" in lines[2]["error"]


def test_cli_reads_gb18030_input_and_says_so(cli_runner):
    out = cli_runner.invoke(cli, ["standardize"], input="青浦区华志路559号\n".encode("gbk"))
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout.splitlines()[0])["components"]["road"] == "华志路"
    assert "gb18030" in out.stderr


@pytest.mark.parametrize("origins", ["https://app.example.org", "*"])
def test_cors_only_where_configured(database_url, origins):
    settings = Settings(cors_origins=origins)
    with TestClient(create_app(settings, url=database_url)) as c:
        origin = {"Origin": "https://app.example.org"}
        r = c.get("/address/standardize", params={"address": "华志路1号"}, headers=origin)
        assert r.headers["access-control-allow-origin"] in (origin["Origin"], "*")
        pre = c.options("/geocode", headers={**origin, "Access-Control-Request-Method": "GET"})
        assert pre.status_code == 200 and "GET" in pre.headers["access-control-allow-methods"]
        assert "access-control-allow-origin" not in c.get("/keys", headers=origin).headers


def test_no_cors_headers_by_default(client):
    r = client.get("/address/standardize", params={"address": "华志路1号"},
                   headers={"Origin": "https://app.example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_import_reads_a_gbk_csv_and_says_so(cli_runner, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("地址,经度,纬度\n青浦区华志路559号,121.10,31.15\n".encode("gbk"))
    out = cli_runner.invoke(cli, ["import", "addresses", str(path), "--source", "excel",
                                  "--columns", "text=地址,lng=经度,lat=纬度"])
    assert "as gb18030" in out.output, out.output
    assert "1 rows: 0 created, 1 matched" in out.output and "0 rejected" in out.output


def test_parse_reads_gb18030_input_too(cli_runner):
    out = cli_runner.invoke(cli, ["parse"], input="青浦区华志路559号\n".encode("gb18030"))
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout.splitlines()[0])["components"]["road"] == "华志路"
