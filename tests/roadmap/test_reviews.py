"""Reviews: the cadence and when the next is due, holding one, closing it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics.models import CheckIn
from roadmap import reviews
from roadmap.models import Outcome, Review, ReviewVerdict, Roadmap, Snapshot
from strategy.models import HistoryEntry
from tests.metrics.factories import KeyResultFactory, MeasurementFactory
from tests.roadmap.factories import (
    OutcomeFactory,
    ReviewFactory,
    ReviewVerdictFactory,
    SuccessMetricFactory,
)
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


def closed_review(roadmap, held_on, **fields):
    return ReviewFactory(
        roadmap=roadmap,
        held_on=held_on,
        status=Review.Status.CLOSED,
        closed_at=timezone.now(),
        **fields,
    )


def detail_url(review):
    return reverse(
        "roadmap:review_detail", args=[review.roadmap.product.slug, review.pk]
    )


def edit_url(review):
    return reverse("roadmap:review_edit", args=[review.roadmap.product.slug, review.pk])


def close_url(review):
    return reverse(
        "roadmap:review_close", args=[review.roadmap.product.slug, review.pk]
    )


@pytest.fixture
def outcomes(product):
    roadmap = product.roadmap
    return [
        OutcomeFactory(roadmap=roadmap, title="Fast onboarding", horizon="current"),
        OutcomeFactory(roadmap=roadmap, title="Worn suggestions", horizon="current"),
        OutcomeFactory(roadmap=roadmap, title="Share outfits", horizon="soon"),
    ]


# The cadence and the next due date ------------------------------------------------


@pytest.mark.parametrize(
    ("cadence", "held_on", "due_on"),
    [
        ("weekly", dt.date(2027, 1, 31), dt.date(2027, 2, 7)),
        ("biweekly", dt.date(2027, 1, 31), dt.date(2027, 2, 14)),
        ("monthly", dt.date(2027, 1, 31), dt.date(2027, 2, 28)),
        ("monthly", dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
        ("quarterly", dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
    ],
)
def test_the_next_review_is_due_one_cadence_after_the_last(cadence, held_on, due_on):
    assert Roadmap(review_cadence=cadence).review_due_after(held_on) == due_on


def test_a_new_roadmap_reviews_monthly():
    assert Roadmap().review_cadence == "monthly"


def test_the_schedule_follows_the_last_closed_review(product):
    roadmap = product.roadmap
    closed_review(roadmap, dt.date(2026, 10, 1))
    closed_review(roadmap, dt.date(2026, 11, 2))
    running = ReviewFactory(roadmap=roadmap, held_on=dt.date(2026, 12, 4))

    schedule = roadmap.review_schedule(today=dt.date(2026, 12, 5))

    assert schedule.last_held_on == dt.date(2026, 11, 2)
    assert schedule.due_on == dt.date(2026, 12, 2)
    assert schedule.is_overdue
    assert schedule.days_overdue == 3
    assert schedule.open_review_id == running.pk


def test_the_due_date_moves_by_the_new_cadence(product):
    roadmap = product.roadmap
    closed_review(roadmap, dt.date(2026, 11, 2))
    roadmap.review_cadence = "weekly"

    schedule = roadmap.review_schedule(today=dt.date(2026, 11, 5))

    assert schedule.due_on == dt.date(2026, 11, 9)
    assert not schedule.is_overdue


def test_before_the_first_review_one_is_due_now(product):
    schedule = product.roadmap.review_schedule(today=dt.date(2026, 11, 5))

    assert schedule.due_on is None
    assert schedule.is_due
    assert not schedule.is_overdue


def test_the_overview_shows_when_the_next_review_is_due(viewer_client, product):
    closed_review(product.roadmap, timezone.localdate() - dt.timedelta(days=3))
    due = product.roadmap.review_due_after(timezone.localdate() - dt.timedelta(days=3))

    response = viewer_client.get(product.get_absolute_url())

    html = response.content.decode()
    assert "Next review" in html
    assert f"{due.day} {due:%b %Y}" in html
    assert "Overdue" not in html


def test_the_overview_says_overdue_when_it_is(viewer_client, product):
    closed_review(product.roadmap, timezone.localdate() - dt.timedelta(days=40))

    response = viewer_client.get(product.get_absolute_url())

    assert "Overdue" in response.content.decode()


def test_an_editor_sets_the_cadence_and_the_history_keeps_it(
    editor_client, editor, product
):
    roadmap = product.roadmap

    response = editor_client.post(
        reverse("roadmap:review_cadence", args=[product.slug]),
        {"version": roadmap.version, "review_cadence": "quarterly"},
    )

    roadmap.refresh_from_db()
    assert response.status_code == 302
    assert roadmap.review_cadence == "quarterly"
    entry = HistoryEntry.objects.get(field="review_cadence")
    assert (entry.before, entry.after, entry.actor) == ("monthly", "quarterly", editor)


def test_a_cadence_saved_over_someone_else_shows_the_conflict(editor_client, product):
    roadmap = product.roadmap
    Roadmap.objects.filter(pk=roadmap.pk).update(
        review_cadence="weekly", version=roadmap.version + 1
    )

    response = editor_client.post(
        reverse("roadmap:review_cadence", args=[product.slug]),
        {"version": roadmap.version, "review_cadence": "quarterly"},
    )

    roadmap.refresh_from_db()
    assert response.status_code == 409
    assert roadmap.review_cadence == "weekly"


# Holding a review -----------------------------------------------------------------


def test_an_editor_starts_a_review_and_a_second_start_opens_the_same(
    editor_client, editor, product
):
    url = reverse("roadmap:review_start", args=[product.slug])

    first = editor_client.post(url)
    second = editor_client.post(url)

    review = Review.objects.get()
    assert review.is_open
    assert review.created_by == editor
    assert review.held_on == timezone.localdate()
    assert first["Location"] == second["Location"] == detail_url(review)


def test_the_review_lists_each_open_outcome_beside_its_evidence(
    editor_client, product, outcomes
):
    key_result = KeyResultFactory(
        metric__product=product,
        metric__name="Signup rate",
        baseline=Decimal(0),
        target=Decimal(100),
        start_date=timezone.localdate() - dt.timedelta(days=30),
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    MeasurementFactory(
        metric=key_result.metric, date=timezone.localdate(), value=Decimal(10)
    )
    SuccessMetricFactory(
        roadmap=product.roadmap, outcome=outcomes[0], key_result=key_result
    )
    CheckIn.objects.create(
        key_result=key_result,
        confidence="low",
        what_happened="The quiz still loses half the visitors.",
    )
    OutcomeFactory(roadmap=product.roadmap, title="Closed one", status="achieved")
    review = ReviewFactory(roadmap=product.roadmap)

    response = editor_client.get(detail_url(review))

    html = response.content.decode()
    for title in ("Fast onboarding", "Worn suggestions", "Share outfits"):
        assert title in html
    assert "Closed one" not in html
    assert "Off track" in html
    assert "The quiz still loses half the visitors." in html
    assert f'name="verdict_{outcomes[0].pk}"' in html


def test_an_editor_saves_notes_and_verdicts(editor_client, product, outcomes):
    review = ReviewFactory(roadmap=product.roadmap)

    response = editor_client.post(
        edit_url(review),
        {
            "version": review.version,
            "held_on": "2026-11-20",
            "attendees": "Priya, Tom",
            "notes": "Onboarding works.",
            "decisions": "Stop the share button.",
            f"verdict_{outcomes[0].pk}": "keep",
            f"note_{outcomes[0].pk}": "On the path.",
            f"verdict_{outcomes[2].pk}": "drop",
            f"note_{outcomes[2].pk}": "People share in their own apps.",
        },
    )

    review.refresh_from_db()
    assert response.status_code == 302
    assert review.held_on == dt.date(2026, 11, 20)
    assert review.attendees == "Priya, Tom"
    assert review.version == 2
    verdicts = {v.outcome_id: (v.verdict, v.note) for v in ReviewVerdict.objects.all()}
    assert verdicts == {
        outcomes[0].pk: ("keep", "On the path."),
        outcomes[1].pk: ("", ""),
        outcomes[2].pk: ("drop", "People share in their own apps."),
    }


def test_a_review_saved_by_someone_else_meanwhile_shows_both_versions(
    editor_client, product, outcomes
):
    review = ReviewFactory(roadmap=product.roadmap, notes="Theirs")
    ReviewVerdictFactory(review=review, outcome=outcomes[0], verdict="change")
    Review.objects.filter(pk=review.pk).update(version=2)

    response = editor_client.post(
        edit_url(review),
        {
            "version": 1,
            "held_on": review.held_on.isoformat(),
            "notes": "Mine",
            f"verdict_{outcomes[0].pk}": "keep",
        },
    )

    html = response.content.decode()
    review.refresh_from_db()
    assert response.status_code == 409
    assert "Someone else saved this review" in html
    assert "Theirs" in html
    assert "Mine" in html
    assert "Change" in html
    assert "Keep" in html
    assert review.notes == "Theirs"
    assert ReviewVerdict.objects.get().verdict == "change"


def test_a_closed_review_is_not_changed_again(editor_client, product, outcomes):
    review = closed_review(product.roadmap, dt.date(2026, 11, 1), notes="Final")

    response = editor_client.post(
        edit_url(review),
        {"version": review.version, "held_on": "2026-11-01", "notes": "Rewritten"},
    )

    review.refresh_from_db()
    assert response.status_code == 302
    assert review.notes == "Final"


# Closing a review -----------------------------------------------------------------


def give_verdicts(review, outcomes, verdicts):
    for outcome, (verdict, note) in zip(outcomes, verdicts, strict=True):
        ReviewVerdictFactory(review=review, outcome=outcome, verdict=verdict, note=note)


def test_closing_a_review_takes_a_snapshot_and_keeps_the_evidence(
    editor_client, editor, product, outcomes
):
    review = ReviewFactory(roadmap=product.roadmap)
    give_verdicts(
        review, outcomes, [("keep", ""), ("change", "Bolder looks"), ("keep", "")]
    )

    response = editor_client.post(close_url(review), {"version": review.version})

    review.refresh_from_db()
    assert response.status_code == 302
    assert not review.is_open
    assert review.closed_by == editor
    snapshot = Snapshot.objects.get()
    assert review.snapshot == snapshot
    assert snapshot.kind == "review"
    assert snapshot.name == str(review)
    assert ReviewVerdict.objects.filter(evidence={}).count() == 0
    assert HistoryEntry.objects.filter(field="review", after__status="closed").exists()


def test_the_first_closed_review_says_so_and_the_next_links_the_comparison(
    editor_client, product, outcomes
):
    first = ReviewFactory(roadmap=product.roadmap, held_on=dt.date(2026, 10, 1))
    editor_client.post(close_url(first), {"version": first.version})
    second = ReviewFactory(roadmap=product.roadmap, held_on=dt.date(2026, 11, 1))
    editor_client.post(close_url(second), {"version": second.version})
    first.refresh_from_db()
    second.refresh_from_db()

    first_page = editor_client.get(detail_url(first)).content.decode()
    second_page = editor_client.get(detail_url(second)).content.decode()

    assert "First review" in first_page
    expected = (
        f"/products/{product.slug}/compare/"
        f"?from={first.snapshot_id}&amp;to={second.snapshot_id}"
    )
    assert expected in second_page
    assert "First review" not in second_page


def test_a_drop_verdict_closes_its_outcome_as_dropped_on_close(
    editor_client, product, outcomes
):
    review = ReviewFactory(roadmap=product.roadmap)
    give_verdicts(
        review,
        outcomes,
        [("drop", "People share elsewhere."), ("drop", ""), ("keep", "")],
    )
    page = editor_client.get(close_url(review)).content.decode()

    editor_client.post(
        close_url(review), {"version": review.version, "drop": [outcomes[0].pk]}
    )

    dropped, kept_open, kept = (Outcome.objects.get(pk=o.pk) for o in outcomes)
    assert "checked" in page  # a drop verdict is ticked to close by default
    assert dropped.status == "dropped"
    assert dropped.learning == "People share elsewhere."
    assert dropped.closed_at is not None
    assert kept_open.status == "proposed"  # unticked: it stays on the board
    assert kept.status == "proposed"
    # The snapshot is the plan as the review left it: the drop is in it.
    document = Snapshot.objects.get().document
    statuses = {o["title"]: o["status"] for o in document["board"]["outcomes"]}
    assert statuses[dropped.title] == "dropped"


def test_a_dropped_outcome_without_a_note_learns_where_it_was_dropped(
    editor_client, product, outcomes
):
    review = ReviewFactory(roadmap=product.roadmap, held_on=dt.date(2026, 11, 20))
    give_verdicts(review, outcomes[:1], [("drop", "")])

    editor_client.post(
        close_url(review), {"version": review.version, "drop": [outcomes[0].pk]}
    )

    assert Outcome.objects.get(pk=outcomes[0].pk).learning == (
        "Dropped at the review of 20 Nov 2026."
    )


def test_closing_a_review_changed_meanwhile_does_nothing(
    editor_client, product, outcomes
):
    review = ReviewFactory(roadmap=product.roadmap)
    Review.objects.filter(pk=review.pk).update(version=5)

    editor_client.post(close_url(review), {"version": 1})

    review.refresh_from_db()
    assert review.is_open
    assert not Snapshot.objects.exists()


def test_the_service_keeps_one_review_open_at_a_time(product):
    first, created = reviews.review_start(roadmap=product.roadmap, actor=None)
    again, created_again = reviews.review_start(roadmap=product.roadmap, actor=None)

    assert created
    assert not created_again
    assert first == again


# Who may do what ------------------------------------------------------------------


def test_a_viewer_reads_a_review_but_gets_no_form(viewer_client, product, outcomes):
    review = ReviewFactory(roadmap=product.roadmap, notes="Onboarding works.")

    response = viewer_client.get(detail_url(review))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Onboarding works." in html
    assert 'name="verdict_' not in html
    assert "Close the review" not in html


def test_a_viewer_changes_no_review(viewer_client, product, outcomes):
    review = ReviewFactory(roadmap=product.roadmap)
    slug = product.slug

    answers = [
        viewer_client.post(reverse("roadmap:review_start", args=[slug])),
        viewer_client.post(
            reverse("roadmap:review_cadence", args=[slug]),
            {"version": 1, "review_cadence": "weekly"},
        ),
        viewer_client.post(edit_url(review), {"version": 1, "notes": "Hacked"}),
        viewer_client.get(close_url(review)),
        viewer_client.post(close_url(review), {"version": 1}),
    ]

    review.refresh_from_db()
    assert [a.status_code for a in answers] == [403] * 5
    assert review.is_open
    assert review.notes == ""
    assert Review.objects.count() == 1


def test_an_editor_of_another_product_cannot_start_a_review_here(client, product):
    other_editor = UserFactory()
    ProductFactory(editors=[other_editor])
    client.force_login(other_editor)

    response = client.post(reverse("roadmap:review_start", args=[product.slug]))

    assert response.status_code == 403
    assert not Review.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, product):
    response = client.get(reverse("roadmap:review_list", args=[product.slug]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_list_offers_start_and_cadence_to_editors_only(
    client, editor, viewer, product
):
    url = reverse("roadmap:review_list", args=[product.slug])

    client.force_login(editor)
    as_editor = client.get(url).content.decode()
    client.force_login(viewer)
    as_viewer = client.get(url).content.decode()

    assert "Start a review" in as_editor
    assert "Save cadence" in as_editor
    assert "Start a review" not in as_viewer
    assert "Save cadence" not in as_viewer
    assert "No review held yet" in as_viewer


# Query counts ---------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_review_list_reads_in_constant_queries(
    viewer_client, django_assert_num_queries, product, outcomes, count
):
    for day in range(count):
        review = closed_review(product.roadmap, dt.date(2026, 1, 1) + dt.timedelta(day))
        give_verdicts(review, outcomes[:2], [("keep", ""), ("drop", "")])

    # user, product with its members, roadmap, schedule, reviews
    with django_assert_num_queries(5):
        viewer_client.get(reverse("roadmap:review_list", args=[product.slug]))


@pytest.mark.parametrize("count", [3, 30])
def test_an_open_review_reads_in_constant_queries(
    editor_client, django_assert_num_queries, product, count
):
    for index in range(count):
        outcome = OutcomeFactory(roadmap=product.roadmap)
        key_result = KeyResultFactory(metric__product=product)
        SuccessMetricFactory(
            roadmap=product.roadmap, outcome=outcome, key_result=key_result
        )
        CheckIn.objects.create(
            key_result=key_result, confidence="medium", what_happened=f"Note {index}"
        )
    review = ReviewFactory(roadmap=product.roadmap)

    # user, product with its members, review, outcomes, verdicts, key results,
    # check-ins
    with django_assert_num_queries(7):
        response = editor_client.get(detail_url(review))

    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_a_closed_review_reads_in_constant_queries(
    viewer_client, django_assert_num_queries, product, count
):
    review = closed_review(product.roadmap, dt.date(2026, 11, 1))
    for _ in range(count):
        ReviewVerdictFactory(review=review)

    # user, product with its members, review, verdicts, previous review
    with django_assert_num_queries(5):
        response = viewer_client.get(detail_url(review))

    assert response.status_code == 200
