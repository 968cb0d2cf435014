"""The snapshots list, one snapshot as it was, the comparison and its digest."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roadmap.models import Outcome, ShareLink, Snapshot
from roadmap.snapshots import take_snapshot
from tests.roadmap.factories import FeatureFactory, OutcomeFactory, RoadmapFactory
from tests.roadmap.test_compare import INTERNAL_WORDS
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshots_url(product) -> str:
    return reverse("roadmap:snapshots", args=[product.slug])


def compare_url(product, before, after="now") -> str:
    to = after if after == "now" else after.pk
    return (
        reverse("roadmap:compare", args=[product.slug]) + f"?from={before.pk}&to={to}"
    )


def digest_url(product, before, audience: str, fmt: str = "") -> str:
    url = reverse("roadmap:compare_digest", args=[product.slug])
    url += f"?from={before.pk}&to=now&audience={audience}"
    return url + (f"&format={fmt}" if fmt else "")


@pytest.fixture
def snapshot(product, editor):
    OutcomeFactory(roadmap=product.roadmap, title="Shoppers find outfits faster")
    return take_snapshot(product, name="Before Q1 planning", kind="manual", user=editor)


@pytest.fixture
def other_snapshot():
    other = ProductFactory(name="Contoso Shop")
    RoadmapFactory(product=other)
    return take_snapshot(other, name="Contoso plan", kind="manual", user=None)


def page_urls(product, snapshot) -> list[str]:
    return [
        snapshots_url(product),
        reverse("roadmap:snapshot", args=[product.slug, snapshot.pk]),
        compare_url(product, snapshot),
        reverse("roadmap:compare_latest", args=[product.slug]),
        digest_url(product, snapshot, "internal"),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, product, snapshot):
    for url in page_urls(product, snapshot):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_a_share_link_reaches_none_of_the_snapshot_pages(client, product, snapshot):
    _, secret = ShareLink.issue(product=product, label="Board")
    assert client.get(reverse("share_page", args=[secret])).status_code == 200

    for url in page_urls(product, snapshot):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    response = client.post(snapshots_url(product), {"name": "Sneaky"})
    assert response.status_code == 302
    assert Snapshot.objects.count() == 1


def test_a_viewer_reads_every_snapshot_page(viewer_client, product, snapshot):
    for url in page_urls(product, snapshot):
        response = viewer_client.get(url, follow=True)
        assert response.status_code == 200, url

    listing = viewer_client.get(snapshots_url(product)).content.decode()
    assert "Before Q1 planning" in listing
    assert "Taken by hand" in listing
    assert "Take snapshot" not in listing


def test_a_viewer_cannot_take_a_snapshot(viewer_client, product, snapshot):
    response = viewer_client.post(snapshots_url(product), {"name": "Mine"})

    assert response.status_code == 403
    assert Snapshot.objects.count() == 1


def test_an_editor_of_another_product_cannot_take_one_here(client, product):
    other_editor = UserFactory(username="other-editor")
    ProductFactory(editors=[other_editor])
    client.force_login(other_editor)

    response = client.post(snapshots_url(product), {"name": "Mine"})

    assert response.status_code == 403
    assert not Snapshot.objects.exists()


def test_an_editor_takes_a_named_snapshot(editor_client, editor, product):
    OutcomeFactory(roadmap=product.roadmap, title="Shoppers find outfits faster")

    response = editor_client.post(
        snapshots_url(product), {"name": "  Before   Q1 planning "}, follow=True
    )

    snapshot = Snapshot.objects.get()
    assert (snapshot.name, snapshot.kind, snapshot.taken_by) == (
        "Before Q1 planning",
        "manual",
        editor,
    )
    html = response.content.decode()
    assert "Took the snapshot “Before Q1 planning”" in html
    assert "Editor" in html or editor.get_full_name() in html


def test_a_snapshot_needs_a_name(editor_client, product):
    response = editor_client.post(snapshots_url(product), {"name": "   "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Snapshot.objects.exists()


def test_a_snapshot_opens_as_it_was_in_the_present_layout(
    viewer_client, product, snapshot
):
    Outcome.objects.filter(roadmap=product.roadmap).update(title="Renamed since")

    response = viewer_client.get(
        reverse("roadmap:snapshot", args=[product.slug, snapshot.pk])
    )

    html = response.content.decode()
    assert "Shoppers find outfits faster" in html
    assert "Renamed since" not in html
    assert "Snapshot · read-only" in html
    assert "“Before Q1 planning”, the plan as it was on" in html
    assert 'class="present-outcome"' in html
    assert "present-filters" not in html


def test_another_product_s_snapshot_is_not_found_here(
    viewer_client, product, snapshot, other_snapshot
):
    detail = reverse("roadmap:snapshot", args=[product.slug, other_snapshot.pk])
    assert viewer_client.get(detail).status_code == 404

    for url in [
        compare_url(product, other_snapshot),
        compare_url(product, snapshot, other_snapshot),
        digest_url(product, other_snapshot, "customer"),
    ]:
        response = viewer_client.get(url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert f"There is no snapshot {other_snapshot.pk} of Fabrikam Style" in html
        assert "Contoso plan" not in html


@pytest.mark.parametrize("value", ["abc", "-1", "١٢", "9" * 40, ""])
def test_a_bad_snapshot_id_is_refused_clearly(viewer_client, product, snapshot, value):
    url = reverse("roadmap:compare", args=[product.slug]) + f"?from={value}&to=now"

    response = viewer_client.get(url)

    assert response.status_code == 400
    assert "is not a snapshot of this product" in response.content.decode()


def test_compare_without_moments_offers_the_snapshots(viewer_client, product, snapshot):
    response = viewer_client.get(reverse("roadmap:compare", args=[product.slug]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose two moments" in html
    assert f'<option value="{snapshot.pk}"' in html


def test_compare_with_now_starts_from_the_latest_snapshot(
    viewer_client, product, snapshot
):
    later = take_snapshot(product, name="Later", kind="manual", user=None)

    response = viewer_client.get(reverse("roadmap:compare_latest", args=[product.slug]))

    assert response.url == compare_url(product, later)


def test_compare_with_now_without_a_snapshot_says_to_take_one(viewer_client, product):
    response = viewer_client.get(
        reverse("roadmap:compare_latest", args=[product.slug]), follow=True
    )

    assert "There is no snapshot to compare with yet" in response.content.decode()


def test_the_comparison_page_shows_each_difference(
    viewer_client, product, changed_plan
):
    response = viewer_client.get(compare_url(product, changed_plan))

    html = response.content.decode()
    assert "Moved between horizons" in html
    assert "The sponsor wants fewer returns before spring" in html
    assert "Stylists answer in chat" in html
    assert "Retire the legacy wishlist" in html
    assert "Wishlist sunset was cancelled" in html
    assert "Defined" not in html
    assert '<span class="visually-hidden">Before: </span>Idea' in html
    assert '<span class="visually-hidden">After: </span>Building' in html
    assert "Then <strong>120 users</strong>" in html
    assert "Now <strong>240 users</strong>" in html


def test_the_customer_digest_never_leaks_internal_words(
    viewer_client, product, changed_plan
):
    page = viewer_client.get(digest_url(product, changed_plan, "customer"))
    text = viewer_client.get(digest_url(product, changed_plan, "customer", "txt"))
    html = viewer_client.get(digest_url(product, changed_plan, "customer", "html"))

    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert text["Content-Disposition"].startswith("attachment")
    assert html["Content-Type"] == "text/html; charset=utf-8"
    for response in (text, html):
        body = response.content.decode()
        assert "Chat with a stylist" in body
        assert "Better size advice on every product page" in body
        for word in [*INTERNAL_WORDS, "sponsor", "users"]:
            assert word not in body, word
    preview = page.content.decode().split('id="digest-html"')[1]
    preview = preview.split("</section>")[0]
    for word in [*INTERNAL_WORDS, "sponsor"]:
        assert word not in preview, word


def test_the_internal_digest_tells_everything(viewer_client, product, changed_plan):
    response = viewer_client.get(digest_url(product, changed_plan, "internal"))

    html = response.content.decode()
    assert "Copy for email" in html
    assert "Copy plain text" in html
    # Downloads are a form's buttons, so link crawlers do not start them.
    assert 'name="format" value="txt"' in html
    assert "format=txt" not in html
    assert "Cut returns from wrong sizes" in html
    assert "The sponsor wants fewer returns before spring" in html


def test_the_digest_opened_without_moments_goes_to_the_comparison(
    viewer_client, product
):
    response = viewer_client.get(reverse("roadmap:compare_digest", args=[product.slug]))

    assert response.url == reverse("roadmap:compare", args=[product.slug])


# --- Query counts ------------------------------------------------------------------


def build(product, size: int) -> None:
    for number in range(size):
        outcome = OutcomeFactory(roadmap=product.roadmap, title=f"Outcome {number}")
        FeatureFactory(roadmap=product.roadmap, outcome=outcome)


@pytest.mark.parametrize("size", [3, 30])
def test_the_snapshot_list_query_count_is_constant(
    editor_client, editor, product, django_assert_num_queries, size
):
    for number in range(size):
        take_snapshot(product, name=f"Snapshot {number}", kind="manual", user=editor)

    # User (the session is cached), product with its members, snapshots with who took them.
    with django_assert_num_queries(3):
        response = editor_client.get(snapshots_url(product))

    assert f"Snapshot {size - 1}" in response.content.decode()


@pytest.mark.parametrize("size", [5, 50])
def test_the_comparison_query_count_is_constant(
    viewer_client, editor, product, django_assert_num_queries, size
):
    build(product, size)
    snapshot = take_snapshot(product, name="Then", kind="manual", user=editor)
    build(product, size)

    # User, product, the snapshots, the chosen documents, the plan now (14),
    # the reasons from the history.
    with django_assert_num_queries(19):
        response = viewer_client.get(compare_url(product, snapshot))

    assert response.status_code == 200


@pytest.mark.parametrize("size", [5, 50])
def test_a_snapshot_page_query_count_is_constant(
    viewer_client, editor, product, django_assert_num_queries, size
):
    build(product, size)
    snapshot = take_snapshot(product, name="Then", kind="manual", user=editor)

    # User, product, the snapshot: nothing is read from the live plan.
    with django_assert_num_queries(3):
        response = viewer_client.get(
            reverse("roadmap:snapshot", args=[product.slug, snapshot.pk])
        )

    assert f"Outcome {size - 1}" in response.content.decode()


def test_the_overview_and_the_navigation_lead_to_snapshots(viewer_client, product):
    html = viewer_client.get(
        reverse("strategy:product_detail", args=[product.slug])
    ).content.decode()

    assert f'href="{snapshots_url(product)}"' in html
    compare_now = reverse("roadmap:compare_latest", args=[product.slug])
    assert f'href="{compare_now}">Compare with now</a>' in html
