"""The product history page, reasons from the board, and entries kept as written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from roadmap.models import Roadmap
from strategy import history
from strategy.models import HistoryEntry
from tests.metrics.factories import KeyResultFactory, MetricFactory
from tests.roadmap.factories import FeatureFactory, OutcomeFactory
from tests.strategy.factories import (
    GoalFactory,
    HistoryEntryFactory,
    ProductFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def history_url(product, **query) -> str:
    url = reverse("roadmap:history", args=[product.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def reason_url(product, entry) -> str:
    return reverse("roadmap:history_reason", args=[product.slug, entry.pk])


def shown(response) -> set[int]:
    """The ids of the entries the timeline shows."""
    html = response.content.decode()
    return {
        entry.pk
        for entry in HistoryEntry.objects.all()
        if f'id="history-{entry.pk}"' in html
    }


# Who reads it ---------------------------------------------------------------


def test_history_sends_an_anonymous_visitor_to_sign_in(client, product):
    response = client.get(history_url(product))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_history_is_read_by_a_viewer(viewer_client, product):
    entry = HistoryEntryFactory(product=product, item_title="Shoppers save outfits")

    response = viewer_client.get(history_url(product))

    assert response.status_code == 200
    assert shown(response) == {entry.pk}
    assert "Shoppers save outfits" in response.content.decode()


def test_history_is_read_by_any_signed_in_user(client, product):
    client.force_login(UserFactory(username="sales"))
    HistoryEntryFactory(product=product)

    response = client.get(history_url(product))

    assert response.status_code == 200


def test_history_shows_only_its_products_entries(viewer_client, product):
    mine = HistoryEntryFactory(product=product)
    HistoryEntryFactory(product=ProductFactory())

    response = viewer_client.get(history_url(product))

    assert shown(response) == {mine.pk}


def test_history_is_linked_from_the_product_navigation(viewer_client, product):
    response = viewer_client.get(reverse("roadmap:board", args=[product.slug]))

    assert f'href="{history_url(product)}"' in response.content.decode()


def test_history_groups_entries_by_day_and_shows_the_reason(viewer_client, product):
    HistoryEntryFactory(
        product=product,
        created_at=dt.datetime(2027, 3, 1, 10, tzinfo=dt.UTC),
        reason="Waiting on the photo pipeline",
    )
    HistoryEntryFactory(
        product=product, created_at=dt.datetime(2027, 3, 2, 10, tzinfo=dt.UTC)
    )

    html = viewer_client.get(history_url(product)).content.decode()

    assert html.index("Tuesday 2 March 2027") < html.index("Monday 1 March 2027")
    assert "Waiting on the photo pipeline" in html


# Filters ----------------------------------------------------------------------


def test_history_filters_by_kind_of_item(viewer_client, product):
    goal = HistoryEntryFactory(product=product, item_kind="goal", action="updated")
    HistoryEntryFactory(product=product, item_kind="outcome")

    response = viewer_client.get(history_url(product, kind="goal"))

    assert shown(response) == {goal.pk}


def test_history_filters_by_horizon_with_moves_out_of_it(viewer_client, product):
    into_soon = HistoryEntryFactory(product=product, before="current", after="soon")
    out_of_soon = HistoryEntryFactory(
        product=product, before="soon", after="future", horizon="future"
    )
    HistoryEntryFactory(
        product=product, before="current", after="future", horizon="future"
    )

    response = viewer_client.get(history_url(product, horizon="soon"))

    assert shown(response) == {into_soon.pk, out_of_soon.pk}


def test_history_filters_by_person(viewer_client, product):
    ada = UserFactory(username="ada")
    by_ada = HistoryEntryFactory(product=product, actor=ada)
    HistoryEntryFactory(product=product)

    response = viewer_client.get(history_url(product, person=ada.pk))

    assert shown(response) == {by_ada.pk}
    assert f'<option value="{ada.pk}" selected>' in response.content.decode()


def test_history_filters_by_date_range(viewer_client, product):
    def at(day: int) -> HistoryEntry:
        return HistoryEntryFactory(
            product=product,
            created_at=dt.datetime(2027, 3, day, 12, tzinfo=dt.UTC),
        )

    at(1)
    second, third = at(2), at(3)
    at(4)

    response = viewer_client.get(
        history_url(product, since="2027-03-02", until="2027-03-03")
    )

    assert shown(response) == {second.pk, third.pk}


def test_history_filters_moves_only(viewer_client, product):
    move = HistoryEntryFactory(product=product)
    HistoryEntryFactory(product=product, action="moved", field="position")
    HistoryEntryFactory(product=product, action="updated", field="title")

    response = viewer_client.get(history_url(product, moves="on"))

    assert shown(response) == {move.pk}


def test_history_filters_one_items_entries(viewer_client, product):
    mine = HistoryEntryFactory(product=product, item_kind="metric", item_id=7)
    value = HistoryEntryFactory(
        product=product,
        item_kind="measurement",
        item_id=70,
        parent_kind="metric",
        parent_id=7,
    )
    HistoryEntryFactory(product=product, item_kind="metric", item_id=8)

    response = viewer_client.get(history_url(product, kind="metric", item=7))

    assert shown(response) == {mine.pk, value.pk}


def test_history_pages_keep_the_filters(viewer_client, product):
    HistoryEntryFactory.create_batch(60, product=product, item_kind="goal")

    response = viewer_client.get(history_url(product, kind="goal"))

    html = response.content.decode()
    assert len(shown(response)) == 50
    assert "kind=goal&amp;page=2" in html
    assert (
        len(shown(viewer_client.get(history_url(product, kind="goal", page=2)))) == 10
    )


def test_history_htmx_renders_only_the_timeline(viewer_client, product):
    HistoryEntryFactory(product=product)

    response = viewer_client.get(history_url(product), headers=HTMX)

    assert b'id="history-timeline"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("count", [10, 1000])
def test_history_query_count_is_constant(
    viewer_client, product, django_assert_num_queries, count
):
    """Actors are joined, people listed once, whatever the history's length."""
    people = UserFactory.create_batch(3)
    HistoryEntry.objects.bulk_create(
        HistoryEntryFactory.build(product=product, actor=people[n % 3], item_id=n)
        for n in range(count)
    )

    # user (the session is cached), product, people, roadmap, count, entries
    with django_assert_num_queries(6):
        response = viewer_client.get(history_url(product, moves="on"))

    assert response.status_code == 200


# Item pages show their own history ----------------------------------------


def test_outcome_panel_shows_the_outcomes_history_and_links_to_all(
    viewer_client, product
):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    HistoryEntryFactory(
        product=product, item_id=outcome.pk, reason="Ready after the pilot"
    )

    response = viewer_client.get(
        reverse("roadmap:outcome_panel", args=[product.slug, outcome.pk]),
        headers=HTMX,
    )

    html = response.content.decode()
    assert "Ready after the pilot" in html
    assert "moved the outcome" in html
    assert "to Soon" in html
    assert f"?kind=outcome&amp;item={outcome.pk}" in html


@pytest.mark.parametrize(
    ("kind", "url_name"),
    [
        ("goal", "strategy:goal_detail"),
        ("key_result", "metrics:keyresult_detail"),
        ("metric", "metrics:metric_detail"),
    ],
)
def test_goal_key_result_and_metric_pages_show_their_history(
    viewer_client, product, kind, url_name
):
    items = {
        "goal": lambda: GoalFactory(product=product),
        "key_result": lambda: KeyResultFactory(metric__product=product),
        "metric": lambda: MetricFactory(product=product),
    }
    item = items[kind]()
    HistoryEntryFactory(
        product=product,
        item_kind=kind,
        item_id=item.pk,
        action="updated",
        field="title",
        before="Old words",
        after="New words",
        reason="Clearer for the board",
    )

    response = viewer_client.get(reverse(url_name, args=[product.slug, item.pk]))

    html = response.content.decode()
    assert "Clearer for the board" in html
    assert "Old words" in html
    assert f"?kind={kind}&amp;item={item.pk}" in html


# Reasons from the board -------------------------------------------------------


@pytest.fixture
def outcome(product):
    return OutcomeFactory(roadmap=product.roadmap, horizon="current", title="Saved")


def test_a_move_to_another_horizon_offers_add_a_reason(editor_client, product, outcome):
    response = editor_client.post(
        reverse("roadmap:card_move", args=[product.slug, "outcome", outcome.pk]),
        {"version": outcome.version, "horizon": "soon"},
        headers=HTMX,
    )

    entry = HistoryEntry.objects.get(action="moved")
    html = response.content.decode()
    assert "Add a reason" in html
    assert f'hx-post="{reason_url(product, entry)}"' in html


def test_a_move_within_its_cell_asks_no_reason(editor_client, product, outcome):
    OutcomeFactory(roadmap=product.roadmap, horizon="current")

    response = editor_client.post(
        reverse("roadmap:card_move", args=[product.slug, "outcome", outcome.pk]),
        {"version": outcome.version, "direction": "down"},
        headers=HTMX,
    )

    assert "Add a reason" not in response.content.decode()


def test_a_delete_offers_undo_and_add_a_reason(editor_client, product, outcome):
    response = editor_client.post(
        reverse("roadmap:card_delete", args=[product.slug, "outcome", outcome.pk]),
        {"version": outcome.version},
        headers=HTMX,
    )

    entry = HistoryEntry.objects.get(action="deleted")
    html = response.content.decode()
    assert "Undo" in html
    assert f'hx-post="{reason_url(product, entry)}"' in html


def test_the_outcome_edit_form_asks_for_a_reason(editor_client, product, outcome):
    response = editor_client.get(
        reverse("roadmap:card_edit", args=[product.slug, "outcome", outcome.pk]),
        headers=HTMX,
    )

    assert "Reason for this change" in response.content.decode()


def test_the_outcome_add_form_asks_no_reason(editor_client, product):
    response = editor_client.get(
        reverse("roadmap:card_create", args=[product.slug, "outcome"]),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "Reason for this change" not in response.content.decode()


def test_a_reason_moves_from_the_toast_onto_the_move(
    editor_client, editor, product, outcome
):
    editor_client.post(
        reverse("roadmap:card_move", args=[product.slug, "outcome", outcome.pk]),
        {"version": outcome.version, "horizon": "soon"},
        headers=HTMX,
    )
    entry = HistoryEntry.objects.get(action="moved")

    response = editor_client.post(
        reason_url(product, entry), {"reason": "Ready after the pilot"}, headers=HTMX
    )

    entry.refresh_from_db()
    assert response.status_code == 200
    assert entry.reason == "Ready after the pilot"
    assert "Reason saved" in response.content.decode()


def test_a_status_change_keeps_the_reason_typed_in_the_edit_form(
    editor_client, product, outcome
):
    before = outcome.status
    editor_client.post(
        reverse("roadmap:card_edit", args=[product.slug, "outcome", outcome.pk]),
        {
            "version": outcome.version,
            "title": outcome.title,
            "description": "",
            "status": "active",
            "confidence": outcome.confidence,
            "category": outcome.category,
            "reason": "The pilot proved demand",
        },
        headers=HTMX,
    )

    entry = HistoryEntry.objects.get(field="status")
    assert (entry.before, entry.after) == (before, "active")
    assert entry.reason == "The pilot proved demand"


def test_a_reason_is_given_only_once(editor_client, editor, product):
    entry = HistoryEntryFactory(product=product, actor=editor)
    editor_client.post(reason_url(product, entry), {"reason": "First"})

    response = editor_client.post(reason_url(product, entry), {"reason": "Second"})

    entry.refresh_from_db()
    assert response.status_code == 409
    assert entry.reason == "First"


@pytest.mark.parametrize("next_url", ["0", "board", "https://evil.example/", ""])
def test_a_reason_without_javascript_goes_back_to_a_page_of_this_site_only(
    editor_client, editor, product, next_url
):
    """A `next` that is no path here (a word, another site) leads to the board."""
    entry = HistoryEntryFactory(product=product, actor=editor)

    response = editor_client.post(
        reason_url(product, entry), {"reason": "Shoppers asked", "next": next_url}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:board", args=[product.slug])


def test_a_reason_is_refused_to_anyone_but_the_author(client, editor, product):
    other_editor = UserFactory(username="other-editor")
    product.editors.add(other_editor)
    entry = HistoryEntryFactory(product=product, actor=editor)
    client.force_login(other_editor)

    response = client.post(reason_url(product, entry), {"reason": "Not mine"})

    entry.refresh_from_db()
    assert response.status_code == 403
    assert entry.reason == ""


def test_a_reason_is_refused_after_ten_minutes(editor_client, editor, product):
    entry = HistoryEntryFactory(
        product=product,
        actor=editor,
        created_at=timezone.now() - dt.timedelta(minutes=11),
    )

    response = editor_client.post(reason_url(product, entry), {"reason": "Late"})

    entry.refresh_from_db()
    assert response.status_code == 409
    assert entry.reason == ""


def test_a_reason_needs_a_signed_in_visitor(client, editor, product):
    entry = HistoryEntryFactory(product=product, actor=editor)

    response = client.post(reason_url(product, entry), {"reason": "Anonymous"})

    entry.refresh_from_db()
    assert response.status_code == 302
    assert entry.reason == ""


def test_a_reason_is_not_set_through_another_products_url(
    editor_client, editor, product
):
    entry = HistoryEntryFactory(product=ProductFactory(), actor=editor)

    response = editor_client.post(reason_url(product, entry), {"reason": "Wrong"})

    entry.refresh_from_db()
    assert response.status_code == 404
    assert entry.reason == ""


# Append-only ------------------------------------------------------------------


def test_the_admin_lists_entries_but_refuses_to_add_one(admin_client):
    HistoryEntryFactory()

    listing = admin_client.get(reverse("admin:strategy_historyentry_changelist"))
    add = admin_client.get(reverse("admin:strategy_historyentry_add"))

    assert listing.status_code == 200
    assert add.status_code == 403


def test_the_admin_refuses_to_change_an_entry(admin_client):
    entry = HistoryEntryFactory(item_title="As written")

    response = admin_client.post(
        reverse("admin:strategy_historyentry_change", args=[entry.pk]),
        {"item_title": "Rewritten", "reason": "Rewritten"},
    )

    entry.refresh_from_db()
    assert response.status_code == 403
    assert (entry.item_title, entry.reason) == ("As written", "")


def test_the_admin_refuses_to_delete_an_entry(admin_client):
    entry = HistoryEntryFactory()

    single = admin_client.post(
        reverse("admin:strategy_historyentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    bulk = admin_client.post(
        reverse("admin:strategy_historyentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert single.status_code == 403
    assert bulk.status_code in {200, 302}
    assert HistoryEntry.objects.filter(pk=entry.pk).exists()


def test_an_admin_save_records_what_it_changed(admin_client, product):
    roadmap = Roadmap.objects.get(product=product)

    admin_client.post(
        reverse("admin:roadmap_roadmap_change", args=[roadmap.pk]),
        {
            "product": product.pk,
            "current_label": "Now",
            "soon_label": "Next",
            "future_label": "Later",
            "current_hint": "",
            "soon_hint": "",
            "future_hint": "",
            "review_cadence": "monthly",
            "score_method": "rice",
            "version": roadmap.version,
        },
    )

    entries = HistoryEntry.objects.filter(item_kind="roadmap", item_id=roadmap.pk)
    assert {(e.field, e.before, e.after) for e in entries} == {
        ("current_label", "Current", "Now"),
        ("soon_label", "Soon", "Next"),
        ("future_label", "Future", "Later"),
    }
    assert {e.actor.username for e in entries} == {"admin"}


def test_an_admin_delete_records_it(admin_client, product):
    feature = FeatureFactory(roadmap=product.roadmap, title="Style quiz")

    admin_client.post(
        reverse("admin:roadmap_feature_delete", args=[feature.pk]), {"post": "yes"}
    )

    entry = HistoryEntry.objects.get(action="deleted")
    assert (entry.item_kind, entry.item_id, entry.item_title) == (
        "feature",
        feature.pk,
        "Style quiz",
    )


def test_no_url_but_the_reason_changes_a_written_entry(client):
    """Every URL of the app, posted by an admin who wrote the entries, appends only."""
    from roadmap.demo import load_demo
    from tests.test_write_permissions import demo_urls

    demo = load_demo(today=dt.date(2026, 11, 23)).product
    admin = get_user_model().objects.create_superuser("root")
    for number in range(3):
        history.record(
            product_id=demo.pk,
            actor=admin,
            action=HistoryEntry.Action.UPDATED,
            kind=HistoryEntry.Kind.GOAL,
            item_id=number + 1,
            title=f"Goal {number}",
            field="title",
            before="a",
            after="b",
        )
    written = {row["id"]: row for row in HistoryEntry.objects.values()}
    client.force_login(admin)

    for name, url in demo_urls(demo).items():
        if name != "roadmap:history_reason":
            client.post(url, {"version": 1, "title": "Changed", "reason": "Sneaky"})

    after = {row["id"]: row for row in HistoryEntry.objects.values()}
    assert {pk: after.get(pk) for pk in written} == written
    assert len(after) >= len(written)
