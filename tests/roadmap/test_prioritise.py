from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap import services
from roadmap.exchange import comparable, plan_document, plan_json
from roadmap.importing import PlanInvalid, plan_import, read_plan
from roadmap.models import Feature, Roadmap
from strategy.models import HistoryEntry, Product
from tests.metrics.factories import KeyResultFactory, MeasurementFactory
from tests.roadmap.factories import FeatureFactory, OutcomeFactory, SuccessMetricFactory
from tests.strategy.factories import ProductFactory

pytestmark = pytest.mark.django_db


def page_url(product, **query) -> str:
    url = reverse("roadmap:prioritise", args=[product.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def save_url(product, item, kind: str = "feature") -> str:
    return reverse("roadmap:estimate_save", args=[product.slug, kind, item.pk])


def revision(product) -> int:
    return Product.objects.get(pk=product.pk).revision


@pytest.fixture
def key_result(product):
    return KeyResultFactory(
        metric__product=product, metric__name="Activation", metric__unit="%"
    )


def estimated(product, key_result, title: str, reach: int, **fields) -> Feature:
    values = {
        "impact": Decimal("2"),
        "impact_key_result": key_result,
        "estimate_confidence": 50,
        "effort_weeks": Decimal("1"),
        **fields,
    }
    return FeatureFactory(roadmap=product.roadmap, title=title, reach=reach, **values)


def estimate_post(item, key_result, **changes) -> dict:
    data = {
        "version": item.version,
        "reach": item.reach if item.reach is not None else "",
        "impact": item.impact if item.impact is not None else "",
        "impact_key_result": key_result.pk,
        "estimate_confidence": item.estimate_confidence or "",
        "effort_weeks": item.effort_weeks or "",
        "effort": getattr(item, "effort", ""),
    }
    data.update(changes)
    return data


# Reading the page, per role ------------------------------------------------------


def test_prioritise_sends_anonymous_visitors_to_sign_in(client, product):
    response = client.get(page_url(product))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_viewer_reads_the_ranking_without_inputs(viewer_client, product, key_result):
    estimated(product, key_result, "Style quiz", 100)

    response = viewer_client.get(page_url(product))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Style quiz" in html
    assert "Score = reach × impact × confidence ÷ effort" in html
    assert "+2 points of activation" in html
    assert 'name="reach"' not in html
    assert "Change the scoring" not in html


def test_an_editor_gets_inputs_and_the_settings(editor_client, product, key_result):
    estimated(product, key_result, "Style quiz", 100)

    response = editor_client.get(page_url(product))

    html = response.content.decode()
    assert 'name="reach"' in html
    assert "Change the scoring and the target mix" in html


def test_an_editor_of_another_product_only_reads_it(editor_client, key_result):
    other = ProductFactory(slug="contoso-pay")
    Roadmap.objects.create(product=other)
    FeatureFactory(roadmap=other.roadmap, title="Instant payouts")

    response = editor_client.get(page_url(other))

    assert response.status_code == 200
    assert "Instant payouts" in response.content.decode()
    assert 'name="reach"' not in response.content.decode()


def test_a_viewer_cannot_save_an_estimate(viewer_client, product, key_result):
    feature = estimated(product, key_result, "Style quiz", 100)

    response = viewer_client.post(
        save_url(product, feature), estimate_post(feature, key_result, reach=5)
    )

    assert response.status_code == 403
    assert Feature.objects.get(pk=feature.pk).reach == 100


def test_ranks_highest_score_first_and_lists_the_unestimated_apart(
    viewer_client, product, key_result
):
    estimated(product, key_result, "Small bet", 10)
    estimated(product, key_result, "Big bet", 1000)
    FeatureFactory(
        roadmap=product.roadmap, title="Unknown bet", effort_weeks=Decimal("2")
    )

    board = viewer_client.get(page_url(product)).context["board"]

    assert [(row.title, row.rank) for row in board.ranked] == [
        ("Big bet", 1),
        ("Small bet", 2),
    ]
    assert [(row.title, row.reason) for row in board.not_estimated] == [
        ("Unknown bet", "Missing: reach, impact, key result, confidence")
    ]


def test_sorting_by_a_column_keeps_the_ranks(viewer_client, product, key_result):
    estimated(product, key_result, "Alpha", 10)
    estimated(product, key_result, "Beta", 1000)

    board = viewer_client.get(page_url(product, sort="title")).context["board"]

    assert [(row.title, row.rank) for row in board.ranked] == [
        ("Alpha", 2),
        ("Beta", 1),
    ]


def test_the_outcomes_tab_ranks_outcomes_by_their_own_estimates(
    viewer_client, product, key_result
):
    OutcomeFactory(
        roadmap=product.roadmap,
        title="Visitors see value at once",
        reach=500,
        impact=Decimal("3"),
        impact_key_result=key_result,
        estimate_confidence=80,
        effort_weeks=Decimal("4"),
    )

    response = viewer_client.get(page_url(product, tab="outcome"))

    [row] = response.context["board"].ranked
    assert row.title == "Visitors see value at once"
    assert row.score_display == "300"
    assert 'aria-current="page">Outcomes</a>' in response.content.decode()


def test_impact_over_effort_is_named_on_the_page(viewer_client, product, key_result):
    Roadmap.objects.filter(pk=product.roadmap.pk).update(score_method="ice")

    response = viewer_client.get(page_url(product))

    assert "Score = impact ÷ effort" in response.content.decode()
    assert "impact ÷ effort</strong> (ICE-style)" in response.content.decode()


@pytest.mark.parametrize("size", [10, 1000])
def test_prioritise_query_count_is_constant(
    editor_client, product, key_result, django_assert_num_queries, size
):
    """Items, their key results and outcomes, and the balance are read in bulk."""
    outcome = OutcomeFactory(roadmap=product.roadmap)
    Feature.objects.bulk_create(
        Feature(
            roadmap=product.roadmap,
            title=f"Feature {index}",
            position=index,
            outcome=outcome,
            reach=index if index % 3 else None,
            impact=Decimal("1"),
            impact_key_result=key_result,
            estimate_confidence=50,
            effort_weeks=Decimal("2"),
        )
        for index in range(size)
    )

    # user, product with its members, roadmap, features (key results and outcomes joined),
    # key results offered, outcome counts, effort sums
    with django_assert_num_queries(7):
        response = editor_client.get(page_url(product))

    assert response.status_code == 200
    assert response.context["board"].count == size


# Saving an estimate --------------------------------------------------------------


def test_saving_an_estimate_reranks_records_history_and_bumps_the_revision(
    editor_client, product, key_result
):
    leader = estimated(product, key_result, "Leader", 100)
    chaser = estimated(product, key_result, "Chaser", 10)
    before = revision(product)

    response = editor_client.post(
        save_url(product, chaser),
        estimate_post(chaser, key_result, reach=1000),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert (
        html.startswith('\n    <div id="prioritise-body"')
        or 'id="prioritise-body"' in html[:200]
    )
    assert "<html" not in html
    assert "Saved “Chaser”: rank 1 of 2." in html
    assert [r.title for r in response.context["board"].ranked] == ["Chaser", "Leader"]
    assert revision(product) == before + 1
    entry = HistoryEntry.objects.get(item_id=chaser.pk, field="reach")
    assert (entry.before, entry.after) == (10, 1000)
    assert Feature.objects.get(pk=leader.pk).version == leader.version


def test_a_plain_post_saves_and_goes_back_to_the_page(
    editor_client, product, key_result
):
    feature = estimated(product, key_result, "Style quiz", 100)

    response = editor_client.post(
        save_url(product, feature) + "?tab=feature&sort=reach",
        estimate_post(feature, key_result, estimate_confidence=90),
    )

    assert response.status_code == 302
    assert response["Location"] == page_url(product, tab="feature", sort="reach")
    assert Feature.objects.get(pk=feature.pk).estimate_confidence == 90


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reach", "-5", "Reach cannot be negative."),
        ("estimate_confidence", "120", "Confidence is a percentage from 0 to 100."),
        ("effort_weeks", "0", "Effort must be more than 0 to compute a score."),
    ],
)
def test_bad_input_shows_next_to_the_field_and_saves_nothing(
    editor_client, product, key_result, field, value, message
):
    feature = estimated(product, key_result, "Style quiz", 100)

    response = editor_client.post(
        save_url(product, feature),
        estimate_post(feature, key_result, **{field: value}),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{value}"' in html
    assert 'aria-invalid="true"' in html
    saved = Feature.objects.get(pk=feature.pk)
    assert (
        saved.reach,
        saved.estimate_confidence,
        saved.effort_weeks,
        saved.version,
    ) == (
        100,
        50,
        Decimal("1"),
        feature.version,
    )


def test_an_estimate_made_on_an_old_version_is_a_conflict(
    editor_client, product, key_result
):
    feature = estimated(product, key_result, "Style quiz", 100)
    Feature.objects.filter(pk=feature.pk).update(version=feature.version + 1, reach=7)

    response = editor_client.post(
        save_url(product, feature),
        estimate_post(feature, key_result, reach=500),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert "Someone else saved this estimate" in response.content.decode()
    assert Feature.objects.get(pk=feature.pk).reach == 7


def test_a_size_fills_the_effort_in_person_weeks(editor_client, product, key_result):
    feature = estimated(product, key_result, "Style quiz", 100)

    editor_client.post(
        save_url(product, feature), estimate_post(feature, key_result, effort="l")
    )

    saved = Feature.objects.get(pk=feature.pk)
    assert (saved.effort, saved.effort_weeks) == ("l", Decimal("6"))


def test_typed_weeks_win_over_a_size_picked_at_the_same_time(
    editor_client, product, key_result
):
    feature = estimated(product, key_result, "Style quiz", 100)

    editor_client.post(
        save_url(product, feature),
        estimate_post(feature, key_result, effort="l", effort_weeks="5"),
    )

    assert Feature.objects.get(pk=feature.pk).effort_weeks == Decimal("5")


# Settings: method and target mix ----------------------------------------------------


def settings_post(roadmap, **values) -> dict:
    data = {
        "version": roadmap.version,
        "score_method": "rice",
        "target_growth": "40",
        "target_optimisation": "30",
        "target_innovation": "20",
        "target_capability": "10",
    }
    data.update(values)
    return data


def test_an_editor_sets_the_method_and_target_mix(editor_client, product):
    roadmap = product.roadmap
    before = revision(product)

    response = editor_client.post(
        reverse("roadmap:prioritise_settings", args=[product.slug]),
        settings_post(roadmap, score_method="ice"),
    )

    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert roadmap.score_method == "ice"
    assert roadmap.target_mix == {
        "growth": 40,
        "optimisation": 30,
        "innovation": 20,
        "capability": 10,
    }
    assert revision(product) == before + 1
    assert HistoryEntry.objects.filter(
        item_kind="roadmap", field="score_method"
    ).exists()


def test_a_target_mix_not_adding_up_to_100_is_refused_beside_the_fields(
    editor_client, product
):
    response = editor_client.post(
        reverse("roadmap:prioritise_settings", args=[product.slug]),
        settings_post(product.roadmap, target_capability="0"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "The target mix adds up to 90%; it must add up to 100%." in html
    assert 'id="target-mix-error"' in html
    assert "Constraint" not in html
    assert Roadmap.objects.get(pk=product.roadmap.pk).target_growth is None


def test_a_viewer_cannot_change_the_settings(viewer_client, product):
    response = viewer_client.post(
        reverse("roadmap:prioritise_settings", args=[product.slug]),
        settings_post(product.roadmap),
    )

    assert response.status_code == 403


# Balance on the page and the overview ------------------------------------------------


def test_the_balance_shows_on_the_page_and_the_overview(viewer_client, product):
    Roadmap.objects.filter(pk=product.roadmap.pk).update(
        target_growth=25,
        target_optimisation=25,
        target_innovation=25,
        target_capability=25,
    )
    OutcomeFactory(roadmap=product.roadmap, category="innovation", horizon="soon")

    page = viewer_client.get(page_url(product)).content.decode()
    overview = viewer_client.get(
        reverse("strategy:product_detail", args=[product.slug])
    ).content.decode()

    for html in (page, overview):
        assert "Portfolio balance" in html
        assert "Soon holds only innovation outcomes." in html
        assert (
            "Soon: outcomes more than 20 points off the target mix: "
            "growth 0% (target 25%), optimisation 0% (target 25%), "
            "innovation 100% (target 25%), capability 0% (target 25%)." in html
        )
        assert '<svg class="mix-bar"' in html
        assert (
            "style="
            not in html.split('id="portfolio-balance"')[1].split("</section>")[0]
        )


# The board's "Sort by score" ------------------------------------------------------------


def test_sort_by_score_orders_feature_cards_and_shows_their_rank(
    viewer_client, product, key_result
):
    estimated(product, key_result, "Small bet", 10, position=0)
    estimated(product, key_result, "Big bet", 1000, position=1)
    FeatureFactory(roadmap=product.roadmap, title="Unknown bet", position=2)
    board = reverse("roadmap:board", args=[product.slug])

    plain = viewer_client.get(board).content.decode()
    sorted_html = viewer_client.get(board + "?by_score=on").content.decode()

    assert "Rank 1" not in plain
    assert (
        sorted_html.index("Big bet")
        < sorted_html.index("Small bet")
        < sorted_html.index("Unknown bet")
    )
    assert "Rank 1" in sorted_html
    assert "Rank 2" in sorted_html
    assert "Not estimated" in sorted_html


def test_sort_by_score_follows_a_new_estimate(viewer_client, product, key_result):
    small = estimated(product, key_result, "Small bet", 10)
    estimated(product, key_result, "Big bet", 1000)
    board = reverse("roadmap:board", args=[product.slug]) + "?by_score=on"
    viewer_client.get(board)

    services.card_update(
        roadmap=product.roadmap,
        card=Feature.objects.get(pk=small.pk),
        version=small.version,
        values={"reach": 5000},
        actor=None,
    )

    html = viewer_client.get(board).content.decode()
    assert html.index("Small bet") < html.index("Big bet")


@pytest.mark.parametrize("size", [10, 1000])
def test_sort_by_score_costs_one_query_more_whatever_the_size(
    viewer_client, product, key_result, size
):
    """The ranks of all features are read in one query; cards stay paged."""
    Feature.objects.bulk_create(
        Feature(
            roadmap=product.roadmap,
            title=f"F{i}",
            position=i,
            reach=i,
            impact=Decimal(1),
            impact_key_result=key_result,
            estimate_confidence=50,
            effort_weeks=Decimal(1),
        )
        for i in range(size)
    )
    board = reverse("roadmap:board", args=[product.slug])

    # Both requests start from empty caches (on Redis the caches share one
    # database, so clearing the board's empties the others too).
    for cache in caches.all():
        cache.clear()
    with CaptureQueriesContext(connection) as plain:
        viewer_client.get(board)
    for cache in caches.all():
        cache.clear()
    with CaptureQueriesContext(connection) as by_score:
        response = viewer_client.get(board + "?by_score=on")

    assert response.status_code == 200
    assert len(by_score) == len(plain) + 1
    assert f"F{size - 1}" in response.content.decode()


# Release date and "did it move the metric" ----------------------------------------------


def test_the_stage_becoming_released_sets_the_release_date(product):
    feature = FeatureFactory(roadmap=product.roadmap, stage="building")

    services.card_update(
        roadmap=product.roadmap,
        card=feature,
        version=feature.version,
        values={"stage": "released"},
        actor=None,
    )

    saved = Feature.objects.get(pk=feature.pk)
    assert saved.released_on is not None
    assert HistoryEntry.objects.filter(item_id=feature.pk, field="released_on").exists()


def test_a_release_date_already_set_is_kept(product):
    feature = FeatureFactory(
        roadmap=product.roadmap, stage="building", released_on=dt.date(2026, 3, 1)
    )

    services.card_update(
        roadmap=product.roadmap,
        card=feature,
        version=feature.version,
        values={"stage": "released"},
        actor=None,
    )

    assert Feature.objects.get(pk=feature.pk).released_on == dt.date(2026, 3, 1)


@pytest.fixture
def released(product):
    outcome = OutcomeFactory(
        roadmap=product.roadmap, title="People wear what we suggest"
    )
    card = SuccessMetricFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        key_result__metric__unit="%",
        key_result__metric__name="Acceptance",
    )
    metric = card.key_result.metric
    for day, value in [(4, "30"), (11, "31"), (18, "32"), (25, "31")]:
        MeasurementFactory(
            metric=metric, date=dt.date(2026, 5, day), value=Decimal(value)
        )
    for day, value in [(1, "33"), (8, "34"), (15, "33")]:
        MeasurementFactory(
            metric=metric, date=dt.date(2026, 6, day), value=Decimal(value)
        )
    return FeatureFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        title="Worn feedback",
        stage="released",
        released_on=dt.date(2026, 6, 1),
    )


def test_a_released_features_page_shows_its_key_result_before_and_after(
    viewer_client, product, released
):
    response = viewer_client.get(
        reverse("roadmap:feature_release", args=[product.slug, released.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "After release: +2.3 points vs the 4 weeks before (4 and 3 measurements)"
        in html
    )
    assert 'class="chart-release"' in html
    assert 'name="released_on"' not in html


def test_the_key_result_and_metric_charts_mark_the_release(
    viewer_client, product, released
):
    key_result = released.outcome.success_metrics.get().key_result

    for url in (
        reverse("metrics:keyresult_detail", args=[product.slug, key_result.pk]),
        reverse("metrics:metric_detail", args=[product.slug, key_result.metric_id]),
    ):
        html = viewer_client.get(url).content.decode()
        assert "Released “Worn feedback” on 1 Jun 2026" in html


def test_an_editor_corrects_the_release_date(editor_client, product, released):
    url = reverse("roadmap:feature_release", args=[product.slug, released.pk])

    response = editor_client.post(
        url, {"version": released.version, "released_on": "2026-05-25"}
    )

    assert response.status_code == 302
    assert Feature.objects.get(pk=released.pk).released_on == dt.date(2026, 5, 25)
    assert HistoryEntry.objects.filter(
        item_id=released.pk, field="released_on"
    ).exists()


def test_a_viewer_cannot_change_the_release_date(viewer_client, product, released):
    url = reverse("roadmap:feature_release", args=[product.slug, released.pk])

    response = viewer_client.post(
        url, {"version": released.version, "released_on": "2026-05-25"}
    )

    assert response.status_code == 403
    assert Feature.objects.get(pk=released.pk).released_on == dt.date(2026, 6, 1)


def test_the_release_page_sends_anonymous_visitors_to_sign_in(
    client, product, released
):
    response = client.get(
        reverse("roadmap:feature_release", args=[product.slug, released.pk])
    )

    assert response.status_code == 302


# The plan document -------------------------------------------------------------------


def test_estimates_release_dates_and_the_mix_survive_export_and_import(
    product, key_result
):
    Roadmap.objects.filter(pk=product.roadmap.pk).update(
        score_method="ice",
        target_growth=40,
        target_optimisation=30,
        target_innovation=20,
        target_capability=10,
    )
    estimated(product, key_result, "Style quiz", 100, released_on=dt.date(2026, 6, 1))
    OutcomeFactory(
        roadmap=product.roadmap,
        title="Visitors see value",
        reach=10,
        effort_weeks=Decimal("2.5"),
    )
    doc = plan_document(Product.objects.get(pk=product.pk))

    copy = plan_import(doc=read_plan(plan_json(doc)), slug="copy").product

    assert comparable(plan_document(copy)) == comparable(doc)
    feature = Feature.objects.get(roadmap__product=copy)
    assert (feature.reach, feature.released_on) == (100, dt.date(2026, 6, 1))
    assert feature.impact_key_result.metric.product == copy
    assert copy.roadmap.score_method == "ice"
    assert copy.roadmap.target_mix == {
        "growth": 40,
        "optimisation": 30,
        "innovation": 20,
        "capability": 10,
    }


def test_a_document_without_estimates_still_imports():
    data = {
        "schema_version": 1,
        "product": {"name": "Old plan", "slug": "old-plan"},
        "board": {
            "outcomes": [{"key": "o-1", "title": "Outcome"}],
            "features": [{"key": "f-1", "title": "Feature", "outcome": "o-1"}],
        },
    }

    product = plan_import(doc=read_plan(json.dumps(data)), slug="old-plan").product

    feature = Feature.objects.get(roadmap__product=product)
    assert (feature.reach, feature.effort_weeks, feature.released_on) == (
        None,
        None,
        None,
    )
    assert product.roadmap.score_method == "rice"
    assert product.roadmap.target_mix is None


def test_a_document_with_a_mix_not_adding_up_is_refused():
    data = {
        "schema_version": 1,
        "product": {"name": "Bad mix", "slug": "bad-mix"},
        "board": {"prioritisation": {"target_growth": 50, "target_optimisation": 10}},
    }

    with pytest.raises(PlanInvalid) as caught:
        read_plan(json.dumps(data))

    assert any("target mix" in problem for problem in caught.value.problems)
