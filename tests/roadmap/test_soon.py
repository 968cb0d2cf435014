from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap.models import Insight, Roadmap, SoonVisit
from tests.roadmap.factories import (
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    RoadmapFactory,
    TeamFactory,
)
from tests.strategy.factories import (
    GoalFactory,
    ProductFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def kit_url(product) -> str:
    return reverse("roadmap:soon", args=[product.slug])


def request_url(product, kind: str, pk: int) -> str:
    return reverse("roadmap:customer_request", args=[product.slug, kind, pk])


def shareable_part(html: str) -> str:
    """The page up to the internal-only section."""
    return html.split("Also in progress (internal only")[0]


def internal_part(html: str) -> str:
    parts = html.split("Also in progress (internal only")
    return parts[1] if len(parts) > 1 else ""


def seen_token(html: str) -> str:
    return re.search(r'name="seen" value="([^"]+)"', html).group(1)


def soon_outcome(product, **fields):
    fields.setdefault("horizon", "soon")
    return OutcomeFactory(roadmap=product.roadmap, **fields)


def soon_feature(product, **fields):
    fields.setdefault("horizon", "soon")
    return FeatureFactory(roadmap=product.roadmap, **fields)


# Who may read it -------------------------------------------------------------


def test_the_kit_sends_anonymous_visitors_to_sign_in(client, product):
    for url in (kit_url(product), reverse("soon:all")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["viewer", "editor", "other_editor"])
def test_every_signed_in_role_reads_the_kit(client, product, who, editor, viewer):
    users = {
        "viewer": viewer,
        "editor": editor,
        "other_editor": UserFactory(username="other-editor"),
    }
    ProductFactory(slug="contoso-pay", editors=[users["other_editor"]])
    client.force_login(users[who])

    assert client.get(kit_url(product)).status_code == 200
    assert client.get(reverse("soon:all")).status_code == 200


def test_an_unknown_product_is_not_found(viewer_client):
    response = viewer_client.get(reverse("roadmap:soon", args=["no-such-product"]))

    assert response.status_code == 404


def test_the_kit_is_linked_from_the_product_and_main_navigation(viewer_client, product):
    html = viewer_client.get(kit_url(product)).content.decode()

    assert 'aria-current="page">Coming soon</a>' in html
    assert f'href="{reverse("soon:all")}"' in html


# What it shows ---------------------------------------------------------------


def test_customer_visible_soon_items_are_shown_by_their_customer_summary(
    viewer_client, product
):
    soon_outcome(
        product,
        title="Activation funnel rework",
        customer_summary="Your first outfit in under a minute.",
        is_customer_visible=True,
    )
    soon_feature(
        product,
        title="Wardrobe sync v2",
        customer_summary="Import your wardrobe from a photo.",
        is_customer_visible=True,
    )

    html = viewer_client.get(kit_url(product)).content.decode()

    shareable = shareable_part(html)
    assert "Your first outfit in under a minute." in shareable
    assert "Import your wardrobe from a photo." in shareable
    assert "Internally: Activation funnel rework" in shareable


def test_items_not_cleared_for_customers_are_only_in_the_internal_section(
    viewer_client, product
):
    soon_outcome(product, title="Churn deep dive", is_customer_visible=False)
    soon_outcome(
        product,
        title="Faster checkout",
        customer_summary="Checkout in two taps.",
        is_customer_visible=True,
    )

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "Churn deep dive" not in shareable_part(html)
    assert "Churn deep dive" in internal_part(html)
    assert "don&#x27;t share" in html or "don't share" in html


def test_items_outside_soon_and_deleted_items_are_not_on_the_kit(
    viewer_client, product
):
    OutcomeFactory(roadmap=product.roadmap, title="Now-thing", horizon="current")
    OutcomeFactory(roadmap=product.roadmap, title="Later-thing", horizon="future")
    soon_outcome(product, title="Soon-thing")
    gone = soon_outcome(product, title="Deleted-thing")
    gone.deleted_at = gone.created_at
    gone.save()

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "Now-thing" not in html
    assert "Later-thing" not in html
    assert "Deleted-thing" not in html
    assert "Soon-thing" in html


def test_a_visible_item_without_customer_words_warns_and_offers_no_copy(
    viewer_client, product
):
    outcome = soon_outcome(
        product, title="Quiet launch", customer_summary=" ", is_customer_visible=True
    )

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "No customer-safe wording yet" in html
    item = html.split(f'id="soon-outcome-{outcome.pk}"')[1].split("</li>")[0]
    assert "data-copy" not in item


@pytest.mark.parametrize(
    ("confidence", "safe", "word"),
    [
        ("high", False, "Likely"),
        ("medium", False, "Planned, may change"),
        ("low", False, "Exploring"),
        ("low", True, "Safe to promise"),
    ],
)
def test_how_sure_is_said_in_plain_words(
    viewer_client, product, confidence, safe, word
):
    outcome = soon_outcome(
        product,
        confidence=confidence,
        safe_to_promise=safe,
        customer_summary="Looks for every season.",
        is_customer_visible=True,
    )

    html = viewer_client.get(kit_url(product)).content.decode()

    item = html.split(f'id="soon-outcome-{outcome.pk}"')[1].split("</li>")[0]
    assert f">{word}</span>" in item


def test_a_feature_is_as_sure_as_its_outcome_unless_safe_to_promise(
    viewer_client, product
):
    outcome = soon_outcome(product, confidence="high")
    likely = soon_feature(
        product, outcome=outcome, customer_summary="A", is_customer_visible=True
    )
    promised = soon_feature(
        product,
        outcome=outcome,
        safe_to_promise=True,
        customer_summary="B",
        is_customer_visible=True,
    )
    alone = soon_feature(product, customer_summary="C", is_customer_visible=True)

    html = viewer_client.get(kit_url(product)).content.decode()

    def word(feature):
        item = html.split(f'id="soon-feature-{feature.pk}"')[1].split("</li>")[0]
        return re.search(r'class="certainty [^"]+">([^<]+)<', item).group(1)

    assert word(likely) == "Likely"
    assert word(promised) == "Safe to promise"
    assert word(alone) == "Planned, may change"


def test_copy_offers_a_customer_ready_blurb_with_the_soon_hint(viewer_client, product):
    Roadmap.objects.filter(product=product).update(soon_hint="Q2 2027")
    soon_feature(
        product, customer_summary="Import your wardrobe.", is_customer_visible=True
    )

    html = viewer_client.get(kit_url(product)).content.decode()

    assert 'data-copy="Coming Q2 2027: Import your wardrobe."' in html
    assert "<button" in html.split('data-copy="Coming Q2 2027')[0].rsplit("\n", 1)[1]


def test_without_a_time_hint_the_blurb_says_soon(viewer_client, product):
    soon_feature(product, customer_summary="Dark mode.", is_customer_visible=True)

    html = viewer_client.get(kit_url(product)).content.decode()

    assert 'data-copy="Coming soon: Dark mode."' in html


def test_each_item_counts_the_distinct_accounts_that_asked(viewer_client, product):
    feature = soon_feature(product, customer_summary="X", is_customer_visible=True)
    InsightFactory(product=product, feature=feature, account="Acme Retail")
    InsightFactory(product=product, feature=feature, account="acme retail")
    InsightFactory(product=product, feature=feature, account="Northwind")
    InsightFactory(product=product, feature=feature, account="")

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "2 accounts asked" in html


# Filters ---------------------------------------------------------------------


def test_the_kit_filters_by_theme_team_and_text(viewer_client, product):
    theme = ThemeFactory(product=product, title="Retention")
    other_theme = ThemeFactory(product=product, title="Acquisition")
    team = TeamFactory(name="Growth squad")
    kept = soon_outcome(
        product,
        goal=GoalFactory(product=product, theme=theme),
        title="Weekly looks digest",
        customer_summary="A weekly digest of looks.",
        is_customer_visible=True,
    )
    kept.teams.add(team)
    soon_outcome(
        product,
        goal=GoalFactory(product=product, theme=other_theme),
        title="Referral rewards",
        customer_summary="Invite a friend.",
        is_customer_visible=True,
    )

    by_theme = viewer_client.get(kit_url(product), {"theme": theme.pk}).content
    by_team = viewer_client.get(kit_url(product), {"team": team.pk}).content
    by_text = viewer_client.get(kit_url(product), {"q": "DIGEST"}).content

    for html in (by_theme, by_team, by_text):
        assert b"A weekly digest of looks." in html
        assert b"Invite a friend." not in html
        assert b"1 more hidden by the filters." in html


def test_bad_filter_values_are_ignored(viewer_client, product):
    soon_outcome(product, customer_summary="Still here.", is_customer_visible=True)

    response = viewer_client.get(kit_url(product), {"theme": "x", "team": "-3"})

    assert response.status_code == 200
    assert b"Still here." in response.content


def test_all_products_lists_each_product_and_filters_by_product(viewer_client, product):
    other = ProductFactory(name="Contoso Pay", slug="contoso-pay")
    RoadmapFactory(product=other)
    soon_outcome(product, customer_summary="Style news.", is_customer_visible=True)
    soon_outcome(other, customer_summary="Pay news.", is_customer_visible=True)

    everything = viewer_client.get(reverse("soon:all")).content.decode()
    one = viewer_client.get(reverse("soon:all"), {"product": "contoso-pay"}).content

    assert "Style news." in everything
    assert "Pay news." in everything
    assert "Fabrikam Style" in everything
    assert "Contoso Pay" in everything
    assert b"Pay news." in one
    assert b"Style news." not in one


def test_an_htmx_filter_answers_with_the_content_only(viewer_client, product):
    response = viewer_client.get(kit_url(product), {"q": "x"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="soon-content"')
    assert "<html" not in html


# What changed since the last visit ------------------------------------------


def test_the_first_visit_says_so_and_a_get_never_records_it(viewer_client, product):
    soon_outcome(product, customer_summary="Hello.", is_customer_visible=True)

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "This is your first visit" in html
    assert not SoonVisit.objects.exists()


def test_changes_since_the_last_visit_are_listed(viewer_client, viewer, product):
    staying = soon_outcome(
        product, confidence="low", customer_summary="Staying.", is_customer_visible=True
    )
    leaving = soon_outcome(
        product, customer_summary="Leaving.", is_customer_visible=True
    )
    promised = soon_feature(
        product, customer_summary="Promised.", is_customer_visible=True
    )
    entering = OutcomeFactory(
        roadmap=product.roadmap, horizon="future", title="Entering"
    )
    html = viewer_client.get(kit_url(product)).content.decode()
    response = viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]),
        {"seen": seen_token(html)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 204
    assert SoonVisit.objects.get(user=viewer, product=product)

    staying.confidence = "high"
    staying.save()
    leaving.horizon = "current"
    leaving.save()
    promised.safe_to_promise = True
    promised.save()
    entering.horizon = "soon"
    entering.save()

    html = viewer_client.get(kit_url(product)).content.decode()
    changes = html.split("Since your last visit")[1].split("</section>")[0]
    assert "Confidence: exploring → likely" in changes
    assert "Staying." in changes
    assert "Moved to Current" in changes
    assert "Leaving." in changes
    assert "Now safe to promise" in changes
    assert "Promised." in changes
    assert "New in Soon" in changes
    assert "Entering" in changes
    assert "Internal only" in changes  # "Entering" is not cleared for customers


def test_a_deleted_item_is_reported_as_removed(viewer_client, product):
    gone = soon_outcome(
        product, customer_summary="Gone soon.", is_customer_visible=True
    )
    html = viewer_client.get(kit_url(product)).content.decode()
    viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]), {"seen": seen_token(html)}
    )
    gone.deleted_at = gone.created_at
    gone.save()

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "Removed from the roadmap" in html


def test_an_unchanged_soon_says_nothing_changed(viewer_client, product):
    soon_outcome(product, customer_summary="Same.", is_customer_visible=True)
    html = viewer_client.get(kit_url(product)).content.decode()
    response = viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]),
        {"seen": seen_token(html), "next": kit_url(product)},
    )
    assert response.status_code == 302

    html = viewer_client.get(kit_url(product)).content.decode()

    assert "Nothing changed since" in html


def test_a_tampered_seen_token_is_refused(viewer_client, product):
    response = viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]), {"seen": "forged"}
    )

    assert response.status_code == 400
    assert not SoonVisit.objects.exists()


def test_marking_all_products_seen_records_a_visit_per_product(
    viewer_client, viewer, product
):
    other = ProductFactory(slug="contoso-pay")
    RoadmapFactory(product=other)
    html = viewer_client.get(reverse("soon:all")).content.decode()

    viewer_client.post(reverse("soon:seen"), {"seen": seen_token(html)})

    assert SoonVisit.objects.filter(user=viewer).count() == 2


def test_visits_are_kept_per_user(client, product, viewer):
    soon_outcome(product)
    client.force_login(viewer)
    html = client.get(kit_url(product)).content.decode()
    client.post(
        reverse("roadmap:soon_seen", args=[product.slug]), {"seen": seen_token(html)}
    )

    client.force_login(UserFactory(username="someone-else"))
    html = client.get(kit_url(product)).content.decode()

    assert "This is your first visit" in html


# Customer requests -----------------------------------------------------------


def test_a_sales_user_logs_a_customer_request(viewer_client, viewer, product):
    feature = soon_feature(product, customer_summary="Sync.", is_customer_visible=True)

    response = viewer_client.post(
        request_url(product, "feature", feature.pk),
        {"account": "  Acme Retail ", "text": "Needs sync by March", "source": "sales"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    insight = Insight.objects.get()
    assert insight.account == "Acme Retail"
    assert insight.text == "Needs sync by March"
    assert insight.source == "sales"
    assert insight.author == viewer
    assert insight.feature == feature
    assert insight.product == product
    html = response.content.decode()
    assert "Request from Acme Retail logged." in html
    assert "1 account asked" in html


def test_a_request_without_javascript_goes_back_to_the_kit(viewer_client, product):
    outcome = soon_outcome(product)

    response = viewer_client.post(
        request_url(product, "outcome", outcome.pk) + "?next=https://evil.example/",
        {
            "account": "Acme",
            "text": "Wants it",
            "source": "support",
            "next": "https://evil.example/",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == kit_url(product)
    assert Insight.objects.get().outcome == outcome


def test_a_request_with_a_next_that_is_no_path_goes_back_to_the_kit(
    viewer_client, product
):
    outcome = soon_outcome(product)

    response = viewer_client.post(
        request_url(product, "outcome", outcome.pk),
        {"account": "Acme", "text": "Wants it", "source": "support", "next": "0"},
    )

    assert response.status_code == 302
    assert response["Location"] == kit_url(product)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"account": "", "text": "x"}, "account", "This field is required."),
        ({"account": "   ", "text": "x"}, "account", "This field is required."),
        ({"account": "A" * 201, "text": "x"}, "account", "at most 200 characters"),
        ({"account": "Acme", "text": ""}, "text", "This field is required."),
        ({"account": "Ac\x00me", "text": "x"}, "account", "Null characters"),
        ({"account": "Acme", "text": "x\x00"}, "text", "Null characters"),
        ({"account": "Acme", "text": "x", "source": "gossip"}, "source", "valid"),
    ],
)
def test_bad_request_input_is_refused_next_to_the_field(
    viewer_client, product, data, field, message
):
    feature = soon_feature(product)
    data = {"source": "sales", **data}

    response = viewer_client.post(
        request_url(product, "feature", feature.pk), data, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_request_feature{feature.pk}_{field}_error"' in html
    assert not Insight.objects.exists()


def test_the_source_defaults_from_the_users_group(client, product):
    support = UserFactory(username="support")
    support.groups.add(Group.objects.create(name="Support"))
    outcome = soon_outcome(product)
    client.force_login(support)

    html = client.get(request_url(product, "outcome", outcome.pk)).content.decode()

    assert re.search(r'<option value="support" selected>', html)


def test_requests_only_reach_this_products_live_items(viewer_client, product):
    other = ProductFactory(slug="contoso-pay")
    elsewhere = OutcomeFactory(roadmap=RoadmapFactory(product=other), horizon="soon")
    deleted = soon_outcome(product)
    deleted.deleted_at = deleted.created_at
    deleted.save()
    data = {"account": "Acme", "text": "x", "source": "sales"}

    assert (
        viewer_client.post(request_url(product, "outcome", elsewhere.pk), data)
    ).status_code == 404
    assert (
        viewer_client.post(request_url(product, "outcome", deleted.pk), data)
    ).status_code == 404
    assert not Insight.objects.exists()


def test_the_request_form_opens_as_a_page_without_javascript(viewer_client, product):
    outcome = soon_outcome(product, title="Outfit quiz")

    response = viewer_client.get(request_url(product, "outcome", outcome.pk))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Log a customer request</h1>" in html
    assert "Outfit quiz" in html


def test_logging_a_request_needs_a_signed_in_user(client, product):
    outcome = soon_outcome(product)

    response = client.post(
        request_url(product, "outcome", outcome.pk),
        {"account": "Acme", "text": "x", "source": "sales"},
    )

    assert response.status_code == 302
    assert not Insight.objects.exists()


# The editor's side panel -----------------------------------------------------


def test_the_side_panel_pages_through_requests_on_the_outcome_and_its_features(
    editor_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    feature = FeatureFactory(roadmap=product.roadmap, outcome=outcome, title="Sync")
    for n in range(12):
        InsightFactory(product=product, outcome=outcome, text=f"Outcome ask {n:02}")
    InsightFactory(product=product, feature=feature, text="Feature ask")
    panel = reverse("roadmap:outcome_panel", args=[product.slug, outcome.pk])
    more = reverse("roadmap:outcome_insights", args=[product.slug, outcome.pk])

    first = editor_client.get(panel, HTTP_HX_REQUEST="true").content.decode()
    second = editor_client.get(
        more, {"page": 2}, HTTP_HX_REQUEST="true"
    ).content.decode()

    assert first.count("Outcome ask") + first.count("Feature ask") == 10
    assert "10 of 13 shown" in first
    assert "Feature ask" in first  # the newest
    assert "On the feature “Sync”" in first
    assert second.count("Outcome ask") == 3
    assert "Show more" not in second


# Query counts ------------------------------------------------------------------


def _fill(product, size: int) -> None:
    team = TeamFactory()
    goal = GoalFactory(product=product, theme=ThemeFactory(product=product))
    for n in range(size):
        outcome = soon_outcome(
            product,
            goal=goal,
            customer_summary=f"Summary {n}",
            is_customer_visible=n % 2 == 0,
        )
        outcome.teams.add(team)
        feature = soon_feature(product, outcome=outcome, team=team)
        InsightFactory(product=product, feature=feature, account=f"Account {n}")


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_kit_reads_a_fixed_number_of_queries_as_soon_grows(viewer_client, product):
    _fill(product, 3)
    small = _queries(viewer_client, kit_url(product))
    small_all = _queries(viewer_client, reverse("soon:all"))

    _fill(product, 12)
    other = ProductFactory(slug="contoso-pay")
    RoadmapFactory(product=other)
    _fill(other, 12)

    assert _queries(viewer_client, kit_url(product)) == small
    assert _queries(viewer_client, reverse("soon:all")) == small_all


def test_the_kit_with_changes_to_report_stays_fixed_too(viewer_client, product):
    _fill(product, 3)
    html = viewer_client.get(kit_url(product)).content.decode()
    viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]), {"seen": seen_token(html)}
    )
    product.roadmap.outcomes.filter(is_customer_visible=True).update(horizon="current")
    small = _queries(viewer_client, kit_url(product))

    _fill(product, 12)
    html = viewer_client.get(kit_url(product)).content.decode()
    viewer_client.post(
        reverse("roadmap:soon_seen", args=[product.slug]), {"seen": seen_token(html)}
    )
    product.roadmap.outcomes.filter(is_customer_visible=True).update(horizon="current")

    assert _queries(viewer_client, kit_url(product)) == small
