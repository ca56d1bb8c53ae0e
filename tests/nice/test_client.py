"""NiceClient against a local fake NICE (http.server on 127.0.0.1, random port). No internet."""

from datetime import UTC, datetime

import pytest
from .nice_support import Reply

from appraisal_impact.nice.client import CachedPage, MemoryPageCache, NiceClient
from appraisal_impact.nice.errors import NiceFetchError
from appraisal_impact.nice.references import parse_reference

TA10914 = parse_reference("GID-TA10914")
PROJECT = "/guidance/indevelopment/gid-ta10914"


def test_user_agent_names_the_tool_and_contact(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(200, "<h1>ok</h1>"))
    nice_client.fetch(PROJECT)
    assert nice_client.user_agent == "AppraisalImpact/0.1 (+sact-pipeline@example.nhs.uk)"
    assert fake_nice.requests[0].headers["User-Agent"] == "AppraisalImpact/0.1 (+sact-pipeline@example.nhs.uk)"


def test_success_returns_text_final_url_and_time(fake_nice, fake_time):
    fake_nice.add(PROJECT, Reply(200, "<h1>Daratumumab – myeloma</h1>", {"Content-Type": "text/html"}))
    fetched_at = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
    with NiceClient(contact="x@example.org", base_url=fake_nice.url, clock=fake_time.clock, sleep=fake_time.sleep,
                    now=lambda: fetched_at) as client:
        page = client.fetch(PROJECT)
    assert page.text == "<h1>Daratumumab – myeloma</h1>"  # UTF-8 even without a charset
    assert page.url == page.requested_url == fake_nice.url + PROJECT
    assert not page.redirected and not page.from_cache
    assert page.fetched_at == fetched_at


def test_timeout_names_the_appraisal_and_the_wait(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(hang=True))
    with pytest.raises(NiceFetchError) as raised:
        nice_client.fetch(PROJECT, reference=TA10914)
    assert raised.value.reference == TA10914
    assert raised.value.reason == "NICE did not answer within 0.3 seconds"
    assert str(raised.value) == "Could not read GID-TA10914 from NICE: NICE did not answer within 0.3 seconds"


def test_timeout_message_uses_the_configured_read_timeout(fake_nice, fake_time):
    fake_nice.add(PROJECT, Reply(hang=True))
    with NiceClient(contact="x@example.org", base_url=fake_nice.url, read_timeout=0.2, retries=0,
                    clock=fake_time.clock, sleep=fake_time.sleep) as client:
        with pytest.raises(NiceFetchError, match="NICE did not answer within 0.2 seconds"):
            client.fetch(PROJECT, reference=TA10914)
    assert fake_nice.paths() == [PROJECT]  # retries=0: asked once


def test_404_is_page_not_found(fake_nice, nice_client):
    with pytest.raises(NiceFetchError) as raised:
        nice_client.fetch("/guidance/indevelopment/gid-ta99999", reference=parse_reference("GID-TA99999"))
    assert str(raised.value) == "Could not read GID-TA99999 from NICE: NICE says page not found (404)"
    assert len(fake_nice.requests) == 1  # a 404 is not retried


def test_429_then_success_waits_as_told_by_retry_after(fake_nice, nice_client, fake_time):
    fake_nice.add(PROJECT, Reply(429, "slow down", {"Retry-After": "7"}), Reply(200, "<h1>ok</h1>"))
    page = nice_client.fetch(PROJECT, reference=TA10914)
    assert page.text == "<h1>ok</h1>"
    assert fake_nice.paths() == [PROJECT, PROJECT]
    assert fake_time.sleeps == [7]


def test_retry_after_is_capped(fake_nice, fake_time):
    fake_nice.add(PROJECT, Reply(503, "busy", {"Retry-After": "3600"}), Reply(200, "ok"))
    with NiceClient(contact="x@example.org", base_url=fake_nice.url, retry_after_max=30,
                    clock=fake_time.clock, sleep=fake_time.sleep) as client:
        assert client.fetch(PROJECT).text == "ok"
    assert fake_time.sleeps == [30]


def test_500_three_times_gives_up_with_exponential_backoff(fake_nice, nice_client, fake_time):
    fake_nice.add(PROJECT, Reply(500, "oops"))
    with pytest.raises(NiceFetchError) as raised:
        nice_client.fetch(PROJECT, reference=TA10914)
    assert raised.value.reason == "NICE returned server error 500 three times"
    assert fake_nice.paths() == [PROJECT] * 3
    # Exponential backoff between the three attempts: backoff_factor (1 s), then twice that.
    assert fake_time.sleeps == [1.0, 2.0]


def test_429_every_time_says_slow_down(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(429, "no", {"Retry-After": "1"}))
    with pytest.raises(NiceFetchError, match=r"NICE asked us to slow down \(429\) three times"):
        nice_client.fetch(PROJECT, reference=TA10914)


def test_403_says_nice_refused_this_tool_and_that_the_page_exists(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(403, "forbidden"))
    with pytest.raises(NiceFetchError) as raised:
        nice_client.fetch(PROJECT, reference=TA10914)
    assert str(raised.value) == ("Could not read GID-TA10914 from NICE: NICE refused to let this tool read the page "
                                 "(403 Forbidden)")
    assert raised.value.status == 403 and raised.value.page_exists


def test_other_client_errors_are_refusals(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(400, "bad request"))
    with pytest.raises(NiceFetchError, match=r"NICE refused the request \(400\)"):
        nice_client.fetch(PROJECT, reference=TA10914)


def test_not_found_is_no_page_to_save(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(404, "gone"))
    with pytest.raises(NiceFetchError) as raised:
        nice_client.fetch(PROJECT, reference=TA10914)
    assert raised.value.status == 404 and not raised.value.page_exists


def test_connection_refused(fake_time):
    with NiceClient(contact="x@example.org", base_url="http://127.0.0.1:9", retries=0,
                    clock=fake_time.clock, sleep=fake_time.sleep) as client:
        with pytest.raises(NiceFetchError, match=r"could not connect to NICE \(network error\)"):
            client.fetch("/guidance/ta1037", reference=parse_reference("TA1037"))


def test_redirect_reports_the_final_url(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(301, "", {"Location": "/guidance/ta1027"}))
    fake_nice.add("/guidance/ta1027", Reply(200, "<h1>published</h1>"))
    page = nice_client.fetch(PROJECT, reference=TA10914)
    assert page.redirected
    assert page.requested_url == fake_nice.url + PROJECT
    assert page.url == fake_nice.url + "/guidance/ta1027"
    assert page.text == "<h1>published</h1>"


def test_redirect_loop_is_reported(fake_nice, nice_client):
    fake_nice.add("/a", Reply(302, "", {"Location": "/b"}))
    fake_nice.add("/b", Reply(302, "", {"Location": "/a"}))
    with pytest.raises(NiceFetchError, match="redirected the request too many times"):
        nice_client.fetch("/a", reference=TA10914)


def test_304_uses_cached_page_and_sends_validators(fake_nice, nice_client):
    validators = {"ETag": '"v1"', "Last-Modified": "Wed, 22 Feb 2023 11:59:28 GMT"}
    fake_nice.add(PROJECT, Reply(200, "<h1>first</h1>", validators), Reply(304, "", validators))
    first = nice_client.fetch(PROJECT)
    second = nice_client.fetch(PROJECT)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.text == "<h1>first</h1>" and second.etag == '"v1"'
    assert "If-None-Match" not in fake_nice.requests[0].headers
    assert fake_nice.requests[1].headers["If-None-Match"] == '"v1"'
    assert fake_nice.requests[1].headers["If-Modified-Since"] == "Wed, 22 Feb 2023 11:59:28 GMT"


def test_changed_page_replaces_the_cached_copy(fake_nice, nice_client):
    fake_nice.add(PROJECT, Reply(200, "v1", {"ETag": '"1"'}), Reply(200, "v2", {"ETag": '"2"'}))
    nice_client.fetch(PROJECT)
    assert nice_client.fetch(PROJECT).text == "v2"
    assert nice_client.cache.get(fake_nice.url + PROJECT).etag == '"2"'


def test_polite_pause_between_requests(fake_nice, fake_time):
    fake_nice.add("/one", Reply(200, "1"))
    with NiceClient(contact="x@example.org", base_url=fake_nice.url, min_interval=2.5,
                    clock=fake_time.clock, sleep=fake_time.sleep) as client:
        client.fetch("/one")
        fake_time.now += 1.0  # one second passes between the two calls
        client.fetch("/one")
    assert fake_time.sleeps == [1.5]


def test_memory_cache_forgets_the_least_recently_used():
    cache = MemoryPageCache(max_entries=2)
    for name in ("a", "b"):
        cache.put(name, CachedPage(name, name, None, None))
    cache.get("a")
    cache.put("c", CachedPage("c", "c", None, None))
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)


def test_client_needs_a_contact_and_reads_config():
    with pytest.raises(ValueError, match="contact address"):
        NiceClient(contact=" ")
    with NiceClient.from_config({"NICE_CONTACT": "team@example.nhs.uk", "NICE_BASE_URL": "http://127.0.0.1:1/"}) as c:
        assert c.user_agent.endswith("(+team@example.nhs.uk)")
        assert c.absolute("/guidance/ta1037") == "http://127.0.0.1:1/guidance/ta1037"
