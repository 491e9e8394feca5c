"""The outbound guard and the pure delivery rules (no network: resolvers are given)."""

import pytest

from app.webhooks.guard import AllowList, Refused, admit
from app.webhooks.rules import backoff, in_scope, wants_type

LOOPBACK = AllowList.parse(["127.0.0.0/8", "::1/128"])
INTRANET = AllowList.parse(["10.20.0.0/16", "oa.gov.local", "*.im.gov.local"])


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise Refused(f"the host '{host}' does not resolve")
        return table[host]

    return resolve


def test_loopback_only_by_default():
    target = admit("http://127.0.0.1:8081/hook?x=1", LOOPBACK)
    assert (target.address, target.port, target.path) == ("127.0.0.1", 8081, "/hook?x=1")
    assert target.host_header == "127.0.0.1:8081"
    assert admit("https://[::1]/h", LOOPBACK).host_header == "[::1]"
    for url in ("http://10.1.2.3/", "http://192.168.1.1/", "https://8.8.8.8/"):
        with pytest.raises(Refused, match="outside the allowed networks"):
            admit(url, LOOPBACK)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://127.0.0.1/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("http://user:pw@127.0.0.1/", "user info"),
        ("http://user@127.0.0.1/", "user info"),
        ("http://127.0.0.1:99999/", "malformed"),
        ("http:///nohost", "no host"),
        ("http://127.0.0.1/a b", "white space"),
        ("http://127.0.0.1/" + "a" * 2000, "longer than"),
    ],
)
def test_malformed_urls_are_refused(url, reason):
    with pytest.raises(Refused, match=reason):
        admit(url, LOOPBACK)


def test_every_resolved_address_is_checked():
    # one address inside, one outside: refused (no "first address wins" shortcut)
    resolve = resolver({"mixed.example": ["10.20.1.5", "10.99.0.1"], "ok.example": ["10.20.1.5"]})
    with pytest.raises(Refused, match=r"10\.99\.0\.1"):
        admit("http://mixed.example/", INTRANET, resolve)
    target = admit("http://ok.example:8080/", INTRANET, resolve)
    assert (target.address, target.host_header) == ("10.20.1.5", "ok.example:8080")


def test_listed_host_names_and_domains():
    resolve = resolver({"oa.gov.local": ["172.16.0.9"], "sms.im.gov.local": ["172.16.0.10"]})
    assert admit("https://oa.gov.local/in", INTRANET, resolve).address == "172.16.0.9"
    assert admit("https://SMS.im.gov.local/in", INTRANET, resolve).address == "172.16.0.10"
    with pytest.raises(Refused, match="does not resolve"):
        admit("https://other.gov.local/", INTRANET, resolve)


def test_never_allowed_addresses_whatever_the_list():
    everything = AllowList.parse(["0.0.0.0/0", "::/0", "meta.local"])
    resolve = resolver({"meta.local": ["169.254.169.254"]})
    for url in ("http://169.254.169.254/latest", "http://0.0.0.0/", "http://224.0.0.1/"):
        with pytest.raises(Refused, match="never allowed"):
            admit(url, everything)
    with pytest.raises(Refused, match="never allowed"):
        admit("http://meta.local/", everything, resolve)


def test_ipv4_mapped_addresses_are_checked_as_ipv4():
    with pytest.raises(Refused, match=r"10\.1\.2\.3"):
        admit("http://[::ffff:10.1.2.3]/", LOOPBACK)
    assert admit("http://[::ffff:127.0.0.1]:81/", LOOPBACK).address == "127.0.0.1"


def test_allow_list_entries_are_checked():
    assert AllowList.parse(["10.0.0.0/8", " ", "a-b.example"]).names == ("a-b.example",)
    for bad in ("not a host!", "10.0.0.0/33x", "-bad.example"):
        with pytest.raises(ValueError, match="neither"):
            AllowList.parse([bad])


def test_type_patterns():
    assert wants_type(["*"], "ducha.task.created")
    assert wants_type(["ducha.task.created"], "ducha.task.created")
    assert wants_type(["ducha.matter.*"], "ducha.matter.urged")
    assert not wants_type(["ducha.matter.*"], "ducha.task.created")
    assert not wants_type(["ducha.task.created"], "ducha.task.completed")


def test_scope_by_unit_paths():
    # an event matches when one of its units is a scope unit or below it
    nanjing = ["320000/320100/"]
    assert in_scope(nanjing, ["320000/320100/"])
    assert in_scope(nanjing, ["320000/320200/", "320000/320100/320102/"])
    assert not in_scope(nanjing, ["320000/"])
    assert not in_scope(nanjing, ["320000/3201000/"])  # a sibling code with the same prefix
    assert not in_scope(nanjing, [])


SCHEDULE = [10, 60, 300, 1200, 3600, 7200, 21600, 43200, 86400]


def test_backoff_is_full_jitter_under_the_schedule():
    assert [backoff(n, SCHEDULE, 1.0) for n in (1, 2, 9)] == [10, 60, 86400]  # the ceilings
    assert backoff(3, SCHEDULE, 0.5) == 150
    assert backoff(1, SCHEDULE, 0.0) == 1.0  # never an immediate retry
    assert backoff(20, SCHEDULE, 0.5) == 43200  # past the schedule: its last ceiling
    # expected total wait before `failed`: half the sum of the ceilings, about a day
    assert 20 * 3600 < sum(SCHEDULE) / 2 < 26 * 3600
