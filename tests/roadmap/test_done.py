"""Closing outcomes as achieved, missed or dropped, and the Done archive."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap import services
from roadmap.board import BoardFilters, build_grid
from roadmap.done import load_done
from roadmap.forms import BoardFilterForm, OutcomeForm
from roadmap.models import Horizon, Outcome
from roadmap.present import load_customer_presentation, load_presentation
from roadmap.soon import SoonFilters, load_soon_kit
from strategy.models import HistoryEntry
from tests.metrics.factories import KeyResultFactory, MeasurementFactory
from tests.roadmap.factories import (
    FeatureFactory,
    OutcomeFactory,
    SuccessMetricFactory,
)
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def outcome(product):
    return OutcomeFactory(
        roadmap=product.roadmap,
        horizon=Horizon.SOON,
        title="Shoppers find their size",
        status=Outcome.Status.ACTIVE,
        is_customer_visible=True,
        customer_summary="Find your size in one tap.",
    )


def close_url(product, outcome):
    return reverse("roadmap:outcome_close", args=[product.slug, outcome.pk])


def key_result_for(outcome, *, target, values, due=dt.date(2026, 6, 30)):
    """A key result from 0 to `target` measured on the outcome's board card."""
    key_result = KeyResultFactory(
        metric__product=outcome.roadmap.product,
        baseline=Decimal(0),
        target=Decimal(target),
        start_date=dt.date(2026, 1, 1),
        due_date=due,
    )
    for day, value in values:
        MeasurementFactory(metric=key_result.metric, date=day, value=Decimal(value))
    SuccessMetricFactory(
        roadmap=outcome.roadmap, outcome=outcome, key_result=key_result
    )
    return key_result


def close(outcome, status="achieved", learning="Short questions beat charts."):
    return services.outcome_close(
        roadmap=outcome.roadmap,
        outcome=outcome,
        version=outcome.version,
        status=status,
        learning=learning,
        actor=None,
    )


# Closing -------------------------------------------------------------------------


def test_an_editor_closes_an_outcome_as_achieved_with_what_was_learned(
    editor_client, editor, product, outcome
):
    response = editor_client.post(
        close_url(product, outcome),
        {
            "version": outcome.version,
            "status": "achieved",
            "learning": "Two fit questions beat a size chart.",
        },
    )

    outcome.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("roadmap:board", args=[product.slug])
    assert outcome.status == "achieved"
    assert outcome.learning == "Two fit questions beat a size chart."
    assert outcome.closed_at is not None
    entry = HistoryEntry.objects.get(item_id=outcome.pk, field="status")
    assert (entry.before, entry.after) == ("active", "achieved")
    assert entry.reason == "Two fit questions beat a size chart."
    assert entry.actor == editor
    assert HistoryEntry.objects.filter(item_id=outcome.pk, field="learning").exists()


def test_closing_as_missed_needs_what_was_learned(editor_client, product, outcome):
    response = editor_client.post(
        close_url(product, outcome),
        {"version": outcome.version, "status": "missed", "learning": "  "},
    )

    outcome.refresh_from_db()
    assert response.status_code == 200
    assert "Say what the team learned" in response.content.decode()
    assert outcome.status == "active"
    assert outcome.closed_at is None


def test_the_close_service_refuses_a_blank_learning_or_an_open_status(outcome):
    with pytest.raises(ValueError, match="learned"):
        close(outcome, learning=" ")
    with pytest.raises(ValueError, match="closing status"):
        close(outcome, status="active")


def test_closing_an_outcome_changed_meanwhile_shows_the_conflict(
    editor_client, product, outcome
):
    Outcome.objects.filter(pk=outcome.pk).update(version=outcome.version + 1)

    response = editor_client.post(
        close_url(product, outcome),
        {"version": outcome.version, "status": "missed", "learning": "Too late."},
    )

    outcome.refresh_from_db()
    assert response.status_code == 409
    assert "Someone else saved this outcome" in response.content.decode()
    assert outcome.status == "active"


def test_the_close_form_opens_in_the_side_panel_from_the_menu_and_the_panel(
    editor_client, product, outcome
):
    menu = editor_client.get(
        reverse("roadmap:card_menu", args=[product.slug, "outcome", outcome.pk]),
        headers=HTMX,
    ).content.decode()
    panel = editor_client.get(
        reverse("roadmap:outcome_panel", args=[product.slug, outcome.pk]),
        headers=HTMX,
    ).content.decode()
    form = editor_client.get(close_url(product, outcome), headers=HTMX)

    assert close_url(product, outcome) in menu
    assert close_url(product, outcome) in panel
    html = form.content.decode()
    assert 'name="learning"' in html
    assert 'value="dropped"' in html
    assert "<main" not in html


def test_an_htmx_close_answers_in_the_panel_and_refreshes_the_board(
    editor_client, product, outcome
):
    response = editor_client.post(
        close_url(product, outcome),
        {"version": outcome.version, "status": "dropped", "learning": "No demand."},
        headers=HTMX,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Done archive" in html
    # The board's cells come along, without the closed outcome.
    assert html.count('hx-swap-oob="true"') >= 12
    assert 'id="cell-outcome-soon"' in html
    assert f'data-id="{outcome.pk}"' not in html


def test_the_edit_form_offers_only_open_statuses(product, outcome):
    form = OutcomeForm(instance=outcome, product=product, roadmap=product.roadmap)

    assert [value for value, _ in form.fields["status"].choices] == [
        "proposed",
        "active",
    ]
    assert [value for value, _ in BoardFilterForm().fields["status"].choices] == [
        "",
        "proposed",
        "active",
    ]


# Leaving the board and the pages that show it ------------------------------------


def test_a_closed_outcome_leaves_the_board_with_the_cards_that_served_it(
    product, outcome
):
    other = OutcomeFactory(roadmap=product.roadmap, horizon=Horizon.SOON)
    key_result_for(outcome, target=10, values=[])
    FeatureFactory(roadmap=product.roadmap, outcome=outcome, horizon=Horizon.SOON)
    FeatureFactory(roadmap=product.roadmap, outcome=None, horizon=Horizon.SOON)

    close(outcome)
    grid = build_grid(product.roadmap, BoardFilters())

    shown = {(card.kind, card.pk) for cell in grid.cells() for card in cell.cards}
    assert ("outcome", other.pk) in shown
    assert ("outcome", outcome.pk) not in shown
    assert not any(
        getattr(card, "outcome", None) and card.outcome.pk == outcome.pk
        for cell in grid.cells()
        for card in cell.cards
    )
    counts = {cell.key: cell.total for cell in grid.cells()}
    assert counts["outcome-soon"] == 1
    assert counts["success_metric-soon"] == 0
    assert counts["feature-soon"] == 1


def test_a_closed_outcome_leaves_the_board_page(viewer_client, product, outcome):
    close(outcome)

    response = viewer_client.get(reverse("roadmap:board", args=[product.slug]))

    assert "Shoppers find their size" not in response.content.decode()


def test_a_closed_outcome_leaves_the_present_and_share_pages_and_the_soon_kit(
    product, outcome, viewer
):
    close(outcome, status="missed")

    presentation = load_presentation(product)
    customer = load_customer_presentation(product)
    kit = load_soon_kit([product], SoonFilters(), user=viewer)

    assert presentation.outcome_count == 0
    assert customer.is_empty
    assert kit.products[0].shareable == ()
    assert kit.products[0].internal == ()


def test_the_soon_kit_says_an_item_left_because_its_outcome_was_closed(
    client, product, outcome, viewer
):
    client.force_login(viewer)
    soon = reverse("roadmap:soon", args=[product.slug])
    page = client.get(soon)
    client.post(
        reverse("roadmap:soon_seen", args=[product.slug]),
        {"seen": page.context["kit"].seen_token},
    )

    close(outcome, status="dropped", learning="No one asked twice.")
    response = client.get(soon)

    assert "Closed: dropped" in response.content.decode()


def test_reopening_brings_an_outcome_back_to_the_board(editor_client, product, outcome):
    close(outcome)
    outcome.refresh_from_db()

    response = editor_client.post(
        reverse("roadmap:outcome_reopen", args=[product.slug, outcome.pk]),
        {"version": outcome.version},
    )

    outcome.refresh_from_db()
    assert response.status_code == 302
    assert outcome.status == "active"
    assert outcome.closed_at is None
    assert outcome.learning == "Short questions beat charts."
    grid = build_grid(product.roadmap, BoardFilters())
    soon = next(cell for cell in grid.cells() if cell.key == "outcome-soon")
    assert [card.pk for card in soon.cards] == [outcome.pk]


def test_reopening_with_an_old_version_changes_nothing(editor_client, product, outcome):
    old_version = outcome.version
    close(outcome)

    editor_client.post(
        reverse("roadmap:outcome_reopen", args=[product.slug, outcome.pk]),
        {"version": old_version},
    )

    outcome.refresh_from_db()
    assert outcome.status == "achieved"


# The Done archive ----------------------------------------------------------------


def test_done_lists_closed_outcomes_newest_first_with_targets_hit_or_not(
    product, outcome
):
    hit = key_result_for(
        outcome, target=10, values=[(dt.date(2026, 3, 1), 4), (dt.date(2026, 5, 1), 12)]
    )
    missed_by_then = key_result_for(
        outcome,
        target=10,
        # Reached only after the outcome was closed: it did not hit by then.
        values=[(dt.date(2026, 5, 1), 5), (dt.date(2026, 8, 1), 11)],
    )
    close(outcome, status="achieved")
    Outcome.objects.filter(pk=outcome.pk).update(
        closed_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    )
    newer = OutcomeFactory(roadmap=product.roadmap, title="Newer")
    close(newer, status="missed", learning="Nobody shared.")
    OutcomeFactory(roadmap=product.roadmap, title="Still open")

    page = load_done(product.roadmap, 1)

    assert [o.title for o in page] == ["Newer", "Shoppers find their size"]
    done = page.object_list[1]
    assert done.status_label == "Achieved"
    assert done.learning == "Short questions beat charts."
    assert done.closed_at.date() == dt.date(2026, 6, 1)
    assert [(kr.statement, kr.is_hit) for kr in done.key_results] == [
        (hit.statement, True),
        (missed_by_then.statement, False),
    ]
    assert done.hit_count == 1


def test_the_done_page_shows_the_learning_the_date_and_the_targets(
    viewer_client, product, outcome
):
    key_result_for(outcome, target=10, values=[(dt.date(2026, 5, 1), 12)])
    close(outcome, status="achieved")
    Outcome.objects.filter(pk=outcome.pk).update(
        closed_at=dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    )

    response = viewer_client.get(reverse("roadmap:done", args=[product.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Shoppers find their size" in html
    assert "Short questions beat charts." in html
    assert "1 Jun 2026" in html
    assert "Target hit" in html
    assert "Reopen" not in html  # a viewer reads the archive, never changes it


def test_done_opened_by_an_anonymous_visitor_asks_to_sign_in(client, product):
    response = client.get(reverse("roadmap:done", args=[product.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_editor_sees_reopen_on_the_done_page(editor_client, product, outcome):
    close(outcome)

    response = editor_client.get(reverse("roadmap:done", args=[product.slug]))

    assert "Reopen" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_viewer_cannot_close_or_reopen(viewer_client, product, outcome, method):
    data = {"version": outcome.version, "status": "achieved", "learning": "x"}

    closing = getattr(viewer_client, method)(close_url(product, outcome), data)
    reopening = viewer_client.post(
        reverse("roadmap:outcome_reopen", args=[product.slug, outcome.pk]), data
    )

    outcome.refresh_from_db()
    assert closing.status_code == 403
    assert reopening.status_code == 403
    assert outcome.status == "active"


def test_an_editor_of_another_product_cannot_close_here(client, product, outcome):
    other_editor = UserFactory()
    ProductFactory(editors=[other_editor])
    client.force_login(other_editor)

    response = client.post(
        close_url(product, outcome),
        {"version": outcome.version, "status": "achieved", "learning": "x"},
    )

    assert response.status_code == 403


@pytest.mark.parametrize("count", [3, 30])
def test_the_done_page_reads_in_constant_queries(
    viewer_client, django_assert_num_queries, product, count
):
    for index in range(count):
        closed = OutcomeFactory(
            roadmap=product.roadmap,
            status=Outcome.Status.ACHIEVED,
            closed_at=timezone.now(),
            learning=f"Lesson {index}",
        )
        key_result_for(closed, target=10, values=[(dt.date(2026, 3, 1), index)])

    # user, product with its members, roadmap, count, page of outcomes, key results
    with django_assert_num_queries(6):
        response = viewer_client.get(reverse("roadmap:done", args=[product.slug]))

    assert response.status_code == 200
