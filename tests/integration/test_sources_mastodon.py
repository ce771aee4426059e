"""Mastodon against Mastodon.py's recorded responses (a v4 test server and mastodon.social), on
127.0.0.1."""

import datetime as dt
import json

import pytest
from helpers import Route
from replay import MastodonPager, find, install, load_vcr, poll_once, serve, source_specs_from

from mentionwatch.sources import entries
from mentionwatch.sources.mastodon import MastodonSource

pytestmark = pytest.mark.integration

CASSETTES = "mastodon/mastodon.py-cassettes"


def block(server, extra: str) -> str:
    lines = "".join(f"      {line.strip()}\n" for line in extra.strip().splitlines())
    return f"  mastodon:\n    - instance: {server.base_url}\n{lines}"


def test_account_statuses_follow_the_link_header(feed_server, corpora):
    install(feed_server)
    recorded = load_vcr(corpora / CASSETTES / "local-instance/test_get_pagination_info.yaml")
    page = find(recorded, contains="/statuses?limit=5")
    serve(feed_server, page)  # exactly the request our source makes
    # The next page was not recorded (the test deleted its toots); the end of a timeline is [].
    next_path = "/api/v1/accounts/117020565966271181/statuses?limit=5&max_id=117020581882406424"
    feed_server.routes[next_path] = Route(b"[]", headers={"Content-Type": "application/json"})
    (spec,) = source_specs_from(block(feed_server, "account_id: '117020565966271181'\nlimit: 5"))
    outcome = poll_once(spec)

    assert outcome.status == "fetched" and outcome.pages == 2, outcome.error
    assert [p for _, p, _ in feed_server.requests][1] == next_path  # the rebased rel="next" link
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert [i.text for i in items] == [f"Toot number {n}!" for n in (9, 8, 7, 6, 5)]
    assert items[0].url == "http://localhost:3000/@mastodonpy_test/117020581915050941"
    assert items[0].author == "mastodonpy_test@127.0.0.1" and items[0].language == "en"
    assert items[0].published_at == "2026-08-01T13:52:55Z"  # .413Z parsed strictly, to seconds
    assert outcome.cursor == "2026-08-01T13:52:55Z"


def test_tag_timeline_and_html_to_text(feed_server, corpora):
    install(feed_server)
    recorded = load_vcr(corpora / CASSETTES / "local-instance/test_hashtag_tl.yaml")
    serve(
        feed_server,
        find(recorded, contains="/timelines/tag/hoot"),
        at="/api/v1/timelines/tag/hoot?limit=40",
    )
    feed_server.routes["/api/v1/timelines/tag/hoot?limit=40&max_id=117020593741189701"] = Route(
        b"[]"
    )
    (spec,) = source_specs_from(block(feed_server, "tag: '#hoot'"))
    (item,) = [entries.entry_to_item(e) for e in poll_once(spec).entries]
    assert item.text == "#hoot (hashtag toot)"


def test_search_of_a_real_server_and_ids_shared_across_instances(feed_server, corpora):
    install(feed_server)
    recorded = load_vcr(corpora / CASSETTES / "mastodon.social/test_entity_searchv2.yaml")
    # Mastodon.py asked resolve=1; our source asks type=statuses&resolve=false: same response shape.
    serve(
        feed_server,
        find(recorded, contains="/api/v2/search"),
        at="/api/v2/search?q=halcy&type=statuses&resolve=false&limit=40",
    )
    (spec,) = source_specs_from(
        block(feed_server, "search: halcy\naccess_token_env: TEST_MASTODON_TOKEN")
    )
    outcome = poll_once(spec, environ={"TEST_MASTODON_TOKEN": "secret-token"})
    assert feed_server.requests[0][2]["Authorization"] == "Bearer secret-token"
    assert outcome.pages == 1  # 2 statuses < limit: no further page
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert [i.url for i in items] == [
        "https://icosahedron.website/@greg/116388148912635764",
        "https://social.sublingual.xyz/@Jo/116388107097123650",
    ]
    assert items[0].author == "greg@icosahedron.website"
    assert "@cancel" in items[0].text and "<span" not in items[0].text
    # The id comes from the post's ActivityPub uri, not the instance-local id: any instance gives
    # the same.
    entry = outcome.entries[0]
    assert (
        entry.guid == "mastodon:https://icosahedron.website/users/greg/statuses/116388148912635764"
    )


def test_paging_over_a_timeline_and_the_cursor(feed_server, corpora):
    install(feed_server)
    statuses = find(
        load_vcr(corpora / CASSETTES / "local-instance/test_public_tl.yaml"),
        contains="/timelines/public",
    ).json()
    pager = MastodonPager(statuses, feed_server, "/api/v1/timelines/tag/paging")
    feed_server.routes["/api/v1/timelines/tag/paging"] = pager
    (spec,) = source_specs_from(block(feed_server, "tag: paging\nlimit: 3\nmax_pages: 5"))
    first = poll_once(spec)
    assert first.pages == 4 and len(first.entries) == 8  # 3 + 3 + 2 + the empty end
    assert len({entries.entry_to_item(e).id for e in first.entries}) == 8
    assert "you can't say that on television" in {
        entries.entry_to_item(e).text for e in first.entries
    }

    pager.calls.clear()
    again = poll_once(spec, {"cursor": first.cursor})
    assert again.pages == 1  # the first page already reaches back past the newest post seen


def test_404_and_rate_limit_headers(feed_server, corpora):
    install(feed_server)
    missing = load_vcr(corpora / CASSETTES / "local-instance/test_status_missing.yaml")[0]
    serve(feed_server, missing, at="/api/v1/timelines/tag/gone?limit=40")
    (spec,) = source_specs_from(block(feed_server, "tag: gone"))
    outcome = poll_once(spec)
    assert outcome.status == "failed" and outcome.http_status == 404

    reset = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    limits = MastodonSource().rate_limit({"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})
    assert limits.exhausted(2) and 290 < limits.reset_s <= 300
    recorded = MastodonSource().rate_limit({k.lower(): v for k, v in missing.headers.items()})
    assert (
        recorded.remaining == 299 and recorded.reset_s == 0
    )  # the recorded reset time is in the past


def test_account_handle_is_looked_up_first(feed_server, corpora):
    install(feed_server)
    recorded = load_vcr(corpora / CASSETTES / "local-instance/test_get_pagination_info.yaml")
    account = json.loads(find(recorded, contains="verify_credentials").body)
    feed_server.routes["/api/v1/accounts/lookup?acct=mastodonpy_test"] = Route(
        json.dumps(account).encode()
    )
    serve(
        feed_server,
        find(recorded, contains="/statuses?limit=5"),
        at=f"/api/v1/accounts/{account['id']}/statuses?limit=5",
    )
    feed_server.routes[
        f"/api/v1/accounts/{account['id']}/statuses?limit=5&max_id=117020581882406424"
    ] = Route(b"[]")
    (spec,) = source_specs_from(block(feed_server, "account: '@mastodonpy_test'\nlimit: 5"))
    outcome = poll_once(spec)
    assert outcome.pages == 3 and len(outcome.entries) == 5
