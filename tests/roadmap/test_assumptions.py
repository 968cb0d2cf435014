"""Key challenges as assumptions to test: decay, evidence, cards and gaps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roadmap import board as engine
from roadmap.assumptions import freshness, rule_text
from roadmap.line_of_sight import GapKind, load_line_of_sight
from roadmap.models import Challenge, Evidence, Roadmap
from strategy.models import HistoryEntry, Product
from tests.metrics.factories import MeasurementFactory
from tests.roadmap.factories import (
    ChallengeFactory,
    EvidenceFactory,
    InsightFactory,
    OutcomeFactory,
)
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 1)


# The decay rule ---------------------------------------------------------------


def test_fresh_evidence_shows_the_confidence_as_set():
    fresh = freshness(
        confidence=80, last_evidence_on=DAY, today=DAY + dt.timedelta(days=10)
    )

    assert (fresh.shown, fresh.is_stale, fresh.halvings) == (80, False, 0)


def test_evidence_exactly_a_threshold_old_is_not_stale_yet():
    fresh = freshness(
        confidence=80, last_evidence_on=DAY, today=DAY + dt.timedelta(days=30)
    )

    assert (fresh.shown, fresh.is_stale) == (80, False)


def test_confidence_halves_once_past_the_threshold():
    fresh = freshness(
        confidence=80, last_evidence_on=DAY, today=DAY + dt.timedelta(days=31)
    )

    assert (fresh.shown, fresh.is_stale, fresh.halvings) == (40, True, 1)
    assert fresh.days_without_evidence == 31


def test_confidence_halves_again_every_threshold_period():
    at_60 = freshness(
        confidence=80, last_evidence_on=DAY, today=DAY + dt.timedelta(days=60)
    )
    at_95 = freshness(
        confidence=80, last_evidence_on=DAY, today=DAY + dt.timedelta(days=95)
    )

    assert at_60.shown == 20
    assert at_95.shown == 10


def test_confidence_never_goes_below_zero():
    fresh = freshness(
        confidence=100, last_evidence_on=DAY, today=DAY + dt.timedelta(days=10_000)
    )

    assert fresh.shown == 0
    assert fresh.is_stale


def test_the_threshold_is_the_products():
    fresh = freshness(
        confidence=60,
        last_evidence_on=DAY,
        today=DAY + dt.timedelta(days=15),
        stale_days=7,
    )

    assert (fresh.shown, fresh.halvings) == (15, 2)


def test_evidence_dated_after_today_counts_as_today():
    fresh = freshness(
        confidence=60, last_evidence_on=DAY + dt.timedelta(days=3), today=DAY
    )

    assert (fresh.shown, fresh.days_without_evidence) == (60, 0)


def test_an_assumption_without_a_confidence_still_goes_stale():
    fresh = freshness(
        confidence=None, last_evidence_on=DAY, today=DAY + dt.timedelta(days=40)
    )

    assert fresh.shown is None
    assert fresh.is_stale


def test_the_rule_in_words_names_the_threshold():
    assert "more than 45 days" in rule_text(45)
    assert "halves for every 45 days" in rule_text(45)


# The assumption page ----------------------------------------------------------


@pytest.fixture
def assumption(product):
    return ChallengeFactory(
        roadmap=product.roadmap,
        title="Users will upload wardrobe photos",
        is_assumption=True,
        confidence=80,
        assumed_on=timezone.localdate() - dt.timedelta(days=61),
    )


def page(product, challenge, action=""):
    name = f"roadmap:{action}" if action else "roadmap:assumption"
    return reverse(name, args=[product.slug, challenge.pk])


def test_the_assumption_page_sends_an_anonymous_visitor_to_sign_in(
    client, product, assumption
):
    response = client.get(page(product, assumption))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_viewer_reads_the_decayed_confidence_and_the_rule(
    viewer_client, product, assumption
):
    response = viewer_client.get(page(product, assumption))

    html = response.content.decode()
    assert response.status_code == 200
    assert "20%" in html  # 80 halved twice: 61 days, threshold 30
    assert "Going stale" in html
    assert "halves for every 30 days" in html
    assert "Add evidence" not in html


def test_an_editor_sees_the_forms(editor_client, product, assumption):
    response = editor_client.get(page(product, assumption))

    assert b"Add evidence" in response.content
    assert b"Stale after" in response.content


def test_another_products_challenge_is_not_found(editor_client, product):
    other = ChallengeFactory(roadmap__product=ProductFactory(slug="other"))

    response = editor_client.get(page(product, other))

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["assumption_update", "evidence_add"])
def test_a_viewer_changes_nothing(viewer_client, product, assumption, action):
    response = viewer_client.post(
        page(product, assumption, action),
        {"is_assumption": "", "kind": "note", "note": "x", "version": 1},
    )

    assert response.status_code == 403
    assert not Evidence.objects.exists()
    assert Challenge.objects.get(pk=assumption.pk).is_assumption


def test_an_editor_marks_a_challenge_as_an_assumption(editor_client, product):
    challenge = ChallengeFactory(roadmap=product.roadmap, title="Photos")
    revision = Product.objects.get(pk=product.pk).revision

    response = editor_client.post(
        page(product, challenge, "assumption_update"),
        {"is_assumption": "on", "confidence": "65", "version": challenge.version},
    )

    challenge.refresh_from_db()
    assert response.status_code == 302
    assert (challenge.is_assumption, challenge.confidence) == (True, 65)
    assert challenge.assumed_on == timezone.localdate()
    assert Product.objects.get(pk=product.pk).revision == revision + 1
    entries = HistoryEntry.objects.filter(item_kind="challenge", item_id=challenge.pk)
    assert {(e.field, e.after) for e in entries} >= {
        ("is_assumption", True),
        ("confidence", 65),
    }


def test_a_confidence_above_100_is_refused_with_a_message(
    editor_client, product, assumption
):
    response = editor_client.post(
        page(product, assumption, "assumption_update"),
        {"is_assumption": "on", "confidence": "140", "version": assumption.version},
    )

    assert response.status_code == 200
    assert "less than or equal to 100" in response.content.decode()
    assert Challenge.objects.get(pk=assumption.pk).confidence == 80


def test_an_assumption_saved_over_someone_elses_edit_is_a_conflict(
    editor_client, product, assumption
):
    Challenge.objects.filter(pk=assumption.pk).update(confidence=30, version=9)

    response = editor_client.post(
        page(product, assumption, "assumption_update"),
        {"is_assumption": "on", "confidence": "90", "version": assumption.version},
    )

    assert response.status_code == 409
    assert Challenge.objects.get(pk=assumption.pk).confidence == 30


def test_new_evidence_makes_the_confidence_fresh_again(
    editor_client, product, assumption
):
    revision = Product.objects.get(pk=product.pk).revision

    response = editor_client.post(
        page(product, assumption, "evidence_add"),
        {
            "kind": "link",
            "effect": "supports",
            "url": "https://research.example.com/diary",
            "note": "",
            "observed_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 302
    evidence = Evidence.objects.get(challenge=assumption)
    assert evidence.url == "https://research.example.com/diary"
    assert Product.objects.get(pk=product.pk).revision == revision + 1
    assert HistoryEntry.objects.filter(
        item_kind="challenge", item_id=assumption.pk, field="evidence"
    ).exists()
    html = editor_client.get(page(product, assumption)).content.decode()
    assert "80%" in html
    assert "Going stale" not in html


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example.com/notes.txt", "data:text/html,hi"],
)
def test_a_link_that_is_not_http_is_refused_with_a_message(
    editor_client, product, assumption, url
):
    response = editor_client.post(
        page(product, assumption, "evidence_add"),
        {
            "kind": "link",
            "effect": "supports",
            "url": url,
            "observed_on": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 200
    assert "Only web links (http:// or https://) are accepted." in (
        response.content.decode()
    )
    assert not Evidence.objects.exists()


def test_evidence_from_the_future_is_refused(editor_client, product, assumption):
    response = editor_client.post(
        page(product, assumption, "evidence_add"),
        {
            "kind": "note",
            "effect": "weakens",
            "note": "Not yet.",
            "observed_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
        },
    )

    assert b"cannot be from the future" in response.content
    assert not Evidence.objects.exists()


def test_measurement_and_request_evidence_name_what_they_point_to(
    editor_client, product, assumption
):
    measurement = MeasurementFactory(metric__product=product, value=42)
    request = InsightFactory(product=product, text="Asked for photo import.")

    for kind, field, value in [
        ("measurement", "measurement", measurement.pk),
        ("request", "insight", request.pk),
    ]:
        editor_client.post(
            page(product, assumption, "evidence_add"),
            {
                "kind": kind,
                "effect": "supports",
                field: value,
                "observed_on": timezone.localdate().isoformat(),
            },
        )

    html = editor_client.get(page(product, assumption)).content.decode()
    assert Evidence.objects.filter(challenge=assumption).count() == 2
    assert "Asked for photo import." in html
    assert "Measurement" in html


def test_a_measurement_evidence_needs_its_measurement(
    editor_client, product, assumption
):
    response = editor_client.post(
        page(product, assumption, "evidence_add"),
        {
            "kind": "measurement",
            "effect": "supports",
            "observed_on": timezone.localdate().isoformat(),
        },
    )

    assert b"Choose the measurement." in response.content


def test_an_editor_sets_the_products_threshold(editor_client, product, assumption):
    roadmap = Roadmap.objects.get(product=product)

    editor_client.post(
        page(product, assumption, "assumption_settings"),
        {"assumption_stale_days": "90", "version": roadmap.version},
    )

    assert Roadmap.objects.get(pk=roadmap.pk).assumption_stale_days == 90
    html = editor_client.get(page(product, assumption)).content.decode()
    assert "Going stale" not in html


# Where it shows ---------------------------------------------------------------


def test_the_board_card_shows_a_stale_assumption(product, assumption):
    card = engine.load_card(product.roadmap, "challenge", assumption.pk)

    html = engine.render_card(card, engine.Page(product.slug, False))
    assert card.assumption.shown == 20
    assert "Going stale" in html
    assert "20% confident" in html
    assert "set at 80%" in html


def test_new_evidence_changes_the_cards_cache_key(product, assumption):
    before = engine.load_card(product.roadmap, "challenge", assumption.pk)
    EvidenceFactory(challenge=assumption, observed_on=timezone.localdate())

    after = engine.load_card(product.roadmap, "challenge", assumption.pk)

    assert after.assumption.shown == 80
    page_ = engine.Page(product.slug, True)
    assert engine._piece_key(before, page_) != engine._piece_key(after, page_)


def test_the_outcome_panel_shows_its_assumptions(viewer_client, product):
    outcome = OutcomeFactory(roadmap=product.roadmap)
    ChallengeFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        title="Shoppers will open a digest",
        is_assumption=True,
        confidence=70,
        assumed_on=timezone.localdate() - dt.timedelta(days=35),
    )

    response = viewer_client.get(
        reverse("roadmap:outcome_panel", args=[product.slug, outcome.pk]),
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "Shoppers will open a digest" in html
    assert "35% confident" in html
    assert "going stale" in html


def test_the_line_of_sight_lists_stale_assumptions_only(product, assumption):
    fresh = ChallengeFactory(
        roadmap=product.roadmap,
        title="Fresh one",
        is_assumption=True,
        confidence=50,
        assumed_on=timezone.localdate(),
    )

    line = load_line_of_sight(product)

    stale = [g.item.pk for g in line.gaps if g.kind == GapKind.ASSUMPTION_STALE]
    assert stale == [assumption.pk]
    assert fresh.pk not in stale
