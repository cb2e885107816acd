"""The one admin-chain look-up: district → town → community → grid of a point."""

from address.register.admin import ADMIN_LEVELS, admin_chain_at, admin_codes_at

HUAZHI_559 = (121.22494, 31.17)  # 华志路559号, 青浦区


def test_the_chain_of_a_point_is_district_first(conn):
    chain = admin_chain_at(conn, lng=HUAZHI_559[0], lat=HUAZHI_559[1])
    assert chain[0].level == "district" and chain[0].code == "310118"
    levels = [unit.level for unit in chain]
    assert levels == sorted(levels, key=ADMIN_LEVELS.index)
    assert all(unit.code.startswith("310118") for unit in chain)


def test_codes_of_a_point_and_nothing_outside(conn):
    codes = admin_codes_at(conn, lng=HUAZHI_559[0], lat=HUAZHI_559[1])
    assert codes["district"] == "310118" and codes["town"].startswith("310118")
    assert admin_chain_at(conn, lng=100.0, lat=10.0) == []
    assert admin_codes_at(conn, lng=100.0, lat=10.0) == {}
