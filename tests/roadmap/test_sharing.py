from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from roadmap import sharing
from roadmap.models import ShareLink
from strategy.revision import plan_changed
from tests.metrics.factories import KeyResultFactory, MeasurementFactory, MetricFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    RoadmapFactory,
    SuccessMetricFactory,
    TeamFactory,
)
from tests.strategy.factories import GoalFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

MARKER = "INTERNAL-MARKER"


def links_url(product) -> str:
    return reverse("roadmap:share_links", args=[product.slug])


def revoke_url(link) -> str:
    return reverse("roadmap:share_link_revoke", args=[link.product.slug, link.pk])


def share_url(secret: str) -> str:
    return reverse("share_page", args=[secret])


@pytest.fixture
def shared(product, editor):
    """An internal share link of the product and its secret."""
    return ShareLink.issue(
        product=product, label="Board meeting Dec", created_by=editor
    )


@pytest.fixture
def customer_shared(product, editor):
    return ShareLink.issue(
        product=product,
        label="Customer advisory board",
        scope=ShareLink.Scope.CUSTOMER_SAFE,
        created_by=editor,
    )


# The management page


def test_share_links_page_lists_links_to_an_editor(editor_client, product, shared):
    response = editor_client.get(links_url(product))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Board meeting Dec" in html
    assert (
        reverse("roadmap:share_link_revoke", args=[product.slug, shared[0].pk]) in html
    )
    assert shared[1] not in html


def test_share_link_create_shows_the_full_link_once(editor_client, editor, product):
    response = editor_client.post(
        links_url(product),
        {"label": "Board meeting Dec", "scope": "internal", "expires_on": ""},
    )

    assert response.status_code == 200
    link = ShareLink.objects.get()
    assert link.label == "Board meeting Dec"
    assert link.created_by == editor
    assert link.expires_on is None
    html = response.content.decode()
    start = html.index('id="share-url"')
    value = html[start:].split('value="', 1)[1].split('"', 1)[0]
    secret = value.rstrip("/").rsplit("/", 1)[1]
    assert ShareLink.hash_secret(secret) == link.token_hash
    assert response["Cache-Control"] == "no-store"
    assert secret not in editor_client.get(links_url(product)).content.decode()


def test_share_link_create_stores_only_the_hash(product):
    link, secret = ShareLink.issue(product=product, label="Board")

    assert len(secret) >= 43  # 32 random bytes, base64url
    assert link.token_hash == ShareLink.hash_secret(secret)
    stored = ShareLink.objects.filter(pk=link.pk).values().get()
    assert secret not in {str(value) for value in stored.values()}


def test_share_link_create_bumps_the_plan_revision(editor_client, product):
    before = product.revision

    editor_client.post(
        links_url(product), {"label": "Board", "scope": "internal", "expires_on": ""}
    )

    product.refresh_from_db()
    assert product.revision == before + 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"label": "  ", "scope": "internal"}, "label", "This field is required."),
        (
            {"label": "Board", "scope": "internal", "expires_on": "2020-01-01"},
            "expires_on",
            "Choose today or a later date.",
        ),
        ({"label": "Board", "scope": "public"}, "scope", "Select a valid choice."),
    ],
)
def test_share_link_create_shows_errors_beside_the_field(
    editor_client, product, data, field, message
):
    response = editor_client.post(links_url(product), data)

    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert message in response.content.decode()
    assert not ShareLink.objects.exists()


def test_share_link_revoke_stops_the_link(editor_client, product, shared):
    link, secret = shared

    response = editor_client.post(revoke_url(link))

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert editor_client.get(share_url(secret)).status_code == 410


@pytest.mark.parametrize("method", ["get", "post"])
def test_share_links_page_refuses_a_viewer(viewer_client, product, method):
    response = getattr(viewer_client, method)(links_url(product), {"label": "x"})

    assert response.status_code == 403
    assert not ShareLink.objects.exists()


def test_share_link_revoke_refuses_a_viewer(viewer_client, shared):
    response = viewer_client.post(revoke_url(shared[0]))

    assert response.status_code == 403
    assert ShareLink.objects.get().revoked_at is None


def test_share_links_refuse_another_products_editor(client, product, shared):
    other_editor = UserFactory(username="other-editor")
    ProductFactory(slug="contoso-pay", editors=[other_editor])
    client.force_login(other_editor)

    assert client.get(links_url(product)).status_code == 403
    assert client.post(revoke_url(shared[0])).status_code == 403
    assert ShareLink.objects.get().revoked_at is None


def test_share_links_send_anonymous_visitors_to_sign_in(client, product, shared):
    for response in [
        client.get(links_url(product)),
        client.post(revoke_url(shared[0])),
    ]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_present_links_to_sharing_for_editors_only(
    editor_client, viewer, client, product
):
    present = reverse("roadmap:present", args=[product.slug])

    assert links_url(product) in editor_client.get(present).content.decode()
    client.force_login(viewer)
    assert links_url(product) not in client.get(present).content.decode()


# The public page


def test_share_page_opens_without_login(client, product, shared):
    OutcomeFactory(roadmap=product.roadmap, title="New visitors see the value")

    response = client.get(share_url(shared[1]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "New visitors see the value" in html
    assert "Every outfit, effortless." in html
    assert reverse("strategy:home") + '"' not in html
    assert reverse("roadmap:board", args=[product.slug]) not in html
    assert reverse("roadmap:present", args=[product.slug]) not in html
    assert "<form" not in html
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_share_page_answers_404_for_an_unknown_token(client, shared):
    response = client.get(share_url("not-a-real-token"))

    assert response.status_code == 404


def test_share_page_answers_410_for_a_revoked_link(client, shared):
    link, secret = shared
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())

    response = client.get(share_url(secret))

    assert response.status_code == 410
    assert "ask the person who shared it for a new one" in response.content.decode()


def test_share_page_answers_410_for_an_expired_link(client, product):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    _, secret = ShareLink.issue(product=product, label="Old", expires_on=yesterday)

    response = client.get(share_url(secret))

    assert response.status_code == 410


def test_share_page_works_on_its_last_day(client, product):
    _, secret = ShareLink.issue(
        product=product, label="Today", expires_on=timezone.localdate()
    )

    assert client.get(share_url(secret)).status_code == 200


def test_share_link_is_valid_until_revoked_or_expired(product):
    link = ShareLink(product=product, label="x", expires_on=dt.date(2026, 12, 1))

    assert link.is_valid(dt.date(2026, 12, 1))
    assert not link.is_valid(dt.date(2026, 12, 2))
    link.expires_on = None
    link.revoked_at = timezone.now()
    assert not link.is_valid(dt.date(2026, 12, 1))


def test_share_page_sends_privacy_headers(client, shared):
    response = client.get(share_url(shared[1]))

    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Cache-Control"] == "private"
    assert response["ETag"]


def test_share_page_counts_views(client, shared):
    link, secret = shared

    client.get(share_url(secret))
    client.get(share_url(secret))

    link.refresh_from_db()
    assert link.view_count == 2
    assert link.last_used_at is not None


def test_share_page_answers_304_until_the_plan_changes(client, editor, product, shared):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Visitors see value")
    first = client.get(share_url(shared[1]))

    unchanged = client.get(
        share_url(shared[1]), headers={"If-None-Match": first["ETag"]}
    )

    assert unchanged.status_code == 304
    assert unchanged["ETag"] == first["ETag"]
    client.force_login(editor)
    edit = client.post(
        reverse("roadmap:card_edit", args=[product.slug, "outcome", outcome.pk]),
        {
            "version": outcome.version,
            "title": "Visitors love it",
            "description": "",
            "goal": outcome.goal_id,
            "status": "active",
            "confidence": "high",
            "category": "growth",
        },
        headers={"HX-Request": "true"},
    )
    assert edit.status_code == 200
    client.logout()
    changed = client.get(share_url(shared[1]), headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert "Visitors love it" in changed.content.decode()


def _refetch(client, secret: str, etag: str):
    return client.get(share_url(secret), headers={"If-None-Match": etag})


def test_share_page_answers_200_again_after_a_measurement(
    client, editor, product, shared
):
    goal = GoalFactory(product=product, status="active", title="Grow signups")
    key_result = KeyResultFactory(goal=goal, metric__product=product)
    first = client.get(share_url(shared[1]))
    assert _refetch(client, shared[1], first["ETag"]).status_code == 304

    client.force_login(editor)
    added = client.post(
        reverse(
            "metrics:measurement_create", args=[product.slug, key_result.metric.pk]
        ),
        {"date": "2026-03-02", "value": "1250", "note": ""},
        headers={"HX-Request": "true"},
    )
    assert added.status_code == 200
    client.logout()

    changed = _refetch(client, shared[1], first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_share_page_answers_200_again_after_a_goal_edit(
    client, editor, product, shared
):
    goal = GoalFactory(product=product, status="active", title="Grow signups")
    first = client.get(share_url(shared[1]))
    assert _refetch(client, shared[1], first["ETag"]).status_code == 304

    client.force_login(editor)
    edited = client.post(
        reverse("strategy:goal_edit", args=[product.slug, goal.pk]),
        {
            "title": "Grow signups fivefold",
            "status": "active",
            "start_date": "2026-07-01",
            "end_date": "2027-12-31",
            "version": goal.version,
        },
        headers={"HX-Request": "true"},
    )
    assert edited.status_code == 200
    client.logout()

    changed = _refetch(client, shared[1], first["ETag"])
    assert changed.status_code == 200
    assert "Grow signups fivefold" in changed.content.decode()


def test_share_page_gives_a_share_visitor_no_access_elsewhere(client, product, shared):
    """The share page sets no session: a board write still asks for a login."""
    outcome = OutcomeFactory(roadmap=product.roadmap)
    client.get(share_url(shared[1]))

    response = client.post(
        reverse("roadmap:card_edit", args=[product.slug, "outcome", outcome.pk]),
        {"version": outcome.version, "title": "Hijacked"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("roadmap:board", args=[product.slug])).status_code == 302
    assert client.get("/api/v1/roadmap").status_code in {401, 403, 404}


def test_share_page_shows_only_its_own_product(client, product, shared):
    other = ProductFactory(name="Contoso Pay", slug="contoso-pay")
    OutcomeFactory(roadmap__product=other, title="Payments just work")

    html = client.get(share_url(shared[1])).content.decode()

    assert "Payments just work" not in html
    assert "Contoso Pay" not in html


# Customer-safe scope


@pytest.fixture
def internal_roadmap(product):
    """A roadmap whose every internal field holds a marker, beside customer text."""
    team = TeamFactory(name=f"{MARKER}-team")
    goal = GoalFactory(product=product, title=f"{MARKER}-goal")
    visible = OutcomeFactory(
        roadmap=product.roadmap,
        goal=goal,
        title=f"{MARKER}-1",
        description=f"{MARKER}-2",
        teams=[team],
        is_customer_visible=True,
        customer_summary="Find an outfit for any occasion in a minute",
    )
    OutcomeFactory(
        roadmap=product.roadmap,
        title=f"{MARKER}-3",
        description=f"{MARKER}-4",
        is_customer_visible=False,
        customer_summary=f"{MARKER}-5 summary of a hidden outcome",
    )
    OutcomeFactory(
        roadmap=product.roadmap,
        title=f"{MARKER}-6",
        description=f"{MARKER}-7",
        is_customer_visible=True,
        customer_summary="",
    )
    FeatureFactory(
        roadmap=product.roadmap,
        outcome=visible,
        title=f"{MARKER}-8",
        description=f"{MARKER}-9",
        team=team,
        is_customer_visible=True,
        customer_summary="Occasion filters in search",
    )
    FeatureFactory(
        roadmap=product.roadmap,
        outcome=visible,
        title=f"{MARKER}-10",
        is_customer_visible=True,
        customer_summary="",
    )
    FeatureFactory(
        roadmap=product.roadmap,
        outcome=visible,
        title=f"{MARKER}-11",
        customer_summary=f"{MARKER}-12 not visible",
    )
    ChallengeFactory(
        roadmap=product.roadmap,
        outcome=visible,
        title=f"{MARKER}-13",
        description=f"{MARKER}-14",
    )
    metric = MetricFactory(product=product, name=f"{MARKER}-15 metric")
    key_result = KeyResultFactory(metric=metric, goal=goal)
    MeasurementFactory(metric=metric)
    SuccessMetricFactory(
        roadmap=product.roadmap, outcome=visible, key_result=key_result
    )
    InsightFactory(product=product, text=f"{MARKER}-16 insight")
    return visible


def test_customer_safe_page_never_shows_internal_text(
    client, customer_shared, internal_roadmap
):
    response = client.get(share_url(customer_shared[1]))

    assert response.status_code == 200
    html = response.content.decode()
    assert MARKER.lower() not in html.lower()
    assert "Find an outfit for any occasion in a minute" in html
    assert "Occasion filters in search" in html
    assert "Every outfit, effortless." in html
    assert "Key challenges" not in html


def test_internal_scope_shows_the_present_page_content(
    client, shared, internal_roadmap
):
    html = client.get(share_url(shared[1])).content.decode()

    assert f"{MARKER}-1" in html
    assert f"{MARKER}-13" in html


def build_roadmap(product, size: int) -> None:
    team = TeamFactory(name="Growth")
    for index in range(size):
        outcome = OutcomeFactory(
            roadmap=product.roadmap,
            horizon=("current", "soon", "future")[index % 3],
            teams=[team],
            is_customer_visible=True,
            customer_summary=f"Summary {index}",
        )
        card = SuccessMetricFactory(roadmap=product.roadmap, outcome=outcome)
        MeasurementFactory.create_batch(3, metric=card.key_result.metric)
        FeatureFactory(
            roadmap=product.roadmap,
            outcome=outcome,
            is_customer_visible=True,
            customer_summary=f"Feature summary {index}",
        )
        ChallengeFactory(roadmap=product.roadmap, outcome=outcome)


@pytest.mark.parametrize("size", [3, 30])
def test_customer_share_page_query_count_is_constant(
    client, product, customer_shared, django_assert_num_queries, size
):
    """Link, view count, roadmap, outcomes and features: nothing per row."""
    build_roadmap(product, size)

    with django_assert_num_queries(5):
        response = client.get(share_url(customer_shared[1]))

    assert response.status_code == 200
    assert f"Feature summary {size - 1}" in response.content.decode()


@pytest.mark.parametrize("size", [3, 30])
def test_internal_share_page_query_count_is_constant(
    client, product, shared, django_assert_num_queries, size
):
    build_roadmap(product, size)

    with django_assert_num_queries(12):
        response = client.get(share_url(shared[1]))

    assert response.status_code == 200


def test_share_page_is_served_from_the_cache_when_unchanged(
    client, product, shared, django_assert_num_queries
):
    build_roadmap(product, 3)
    client.get(share_url(shared[1]))

    with django_assert_num_queries(1):  # the view count, which checks the link
        response = client.get(share_url(shared[1]))

    assert response.status_code == 200


def test_a_repeat_visit_is_answered_304_before_sessions_with_one_query(
    client, product, shared, django_assert_num_queries
):
    link, secret = shared
    first = client.get(share_url(secret))

    with django_assert_num_queries(1):
        again = client.get(share_url(secret), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Referrer-Policy"] == "no-referrer"
    assert again["Cache-Control"] == "private"
    assert "sessionid" not in again.cookies
    link.refresh_from_db()
    assert link.view_count == 2


def test_a_stale_validator_gets_the_new_page_and_counts_one_view(
    client, product, shared
):
    link, secret = shared
    first = client.get(share_url(secret))
    OutcomeFactory(roadmap=product.roadmap, title="Brand new outcome")
    plan_changed(product.pk)

    changed = client.get(share_url(secret), headers={"If-None-Match": first["ETag"]})

    assert changed.status_code == 200
    assert "Brand new outcome" in changed.content.decode()
    link.refresh_from_db()
    assert link.view_count == 2


def test_a_validator_never_revives_a_revoked_or_unknown_link(client, product, shared):
    link, secret = shared
    etag = client.get(share_url(secret))["ETag"]
    client.force_login(UserFactory(username="someone"))
    link.revoked_at = timezone.now()
    link.save()
    client.logout()

    gone = client.get(share_url(secret), headers={"If-None-Match": etag})
    unknown = client.get(share_url("not-a-token"), headers={"If-None-Match": etag})

    assert gone.status_code == 410
    assert unknown.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_views_counted_outside_a_transaction_are_all_kept(client):
    product = ProductFactory(slug="fabrikam-style")
    RoadmapFactory(product=product)
    link, secret = ShareLink.issue(product=product, label="Board")

    for _ in range(3):
        assert sharing.open_share_link(secret, timezone.localdate()) is not None

    link.refresh_from_db()
    assert link.view_count == 3
    assert link.last_used_at is not None
