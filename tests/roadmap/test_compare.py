"""Comparing two moments of a plan: what was added, removed, moved, changed."""

from __future__ import annotations

import datetime as dt

import pytest

from roadmap.compare import (
    compare,
    customer_digest,
    internal_digest,
    now_moment,
    snapshot_moment,
)
from roadmap.snapshots import take_snapshot
from tests.roadmap.factories import (
    FeatureFactory,
    OutcomeFactory,
)

pytestmark = pytest.mark.django_db

INTERNAL_WORDS = [
    "Cut returns from wrong sizes",
    "Sizing model v2",
    "secret margin analysis",
    "Fit data is sparse",
    "Team Wardrobe",
    "Retire the legacy wishlist",
    "Wishlist sunset",
]


def test_each_kind_of_difference_shows_once(product, editor, changed_plan):
    result = compare(product, snapshot_moment(changed_plan), now_moment(product))

    assert [(i.kind, i.title) for i in result.added] == [
        ("outcome", "Stylists answer in chat")
    ]
    assert [(r.item.kind, r.item.title) for r in result.removed] == [
        ("outcome", "Retire the legacy wishlist")
    ]
    assert [r.text for r in result.removed[0].reasons] == [
        "Wishlist sunset was cancelled"
    ]
    [move] = result.moved
    assert (move.item.title, move.before_label, move.after_label) == (
        "Cut returns from wrong sizes",
        "Future",
        "Soon",
    )
    assert [(r.text, r.who) for r in move.reasons] == [
        ("The sponsor wants fewer returns before spring", editor.get_full_name())
    ]
    [change] = result.changed
    assert change.item.title == "Sizing model v2"
    assert [(f.label, f.before, f.after) for f in change.fields] == [
        ("Stage", "Idea", "Building")
    ]
    [kr] = result.key_results
    assert (kr.then, kr.now, kr.state) == ("120 users", "240 users", "both")
    assert kr.changed


def test_two_moments_of_an_unchanged_plan_compare_empty(product, editor):
    OutcomeFactory(roadmap=product.roadmap, title="Steady")
    first = take_snapshot(product, name="One", kind="manual", user=editor)
    second = take_snapshot(product, name="Two", kind="manual", user=editor)

    result = compare(product, snapshot_moment(first), snapshot_moment(second))

    assert result.is_empty
    assert "Nothing changed." in internal_digest("Fabrikam Style", result).as_text()


def test_renumbered_document_keys_are_not_a_change(product, editor):
    """An outcome added before another shifts the keys, not the meaning."""
    later = OutcomeFactory(roadmap=product.roadmap, title="Later", position=5)
    FeatureFactory(roadmap=product.roadmap, outcome=later, title="Its feature")
    first = take_snapshot(product, name="One", kind="manual", user=editor)
    OutcomeFactory(
        roadmap=product.roadmap, title="Earlier", position=0, goal=later.goal
    )
    second = take_snapshot(product, name="Two", kind="manual", user=editor)

    result = compare(product, snapshot_moment(first), snapshot_moment(second))

    assert [i.title for i in result.added] == ["Earlier"]
    assert result.changed == ()


def test_the_internal_digest_tells_everything_with_reasons(product, changed_plan):
    result = compare(product, snapshot_moment(changed_plan), now_moment(product))

    text = internal_digest("Fabrikam Style", result).as_text()

    assert "Outcome “Cut returns from wrong sizes”: Future → Soon" in text
    assert "Why: The sponsor wants fewer returns before spring" in text
    assert "Outcome “Stylists answer in chat”, in Soon" in text
    assert "Outcome “Retire the legacy wishlist”, was in Current" in text
    assert "Stage: Idea → Building" in text
    assert "120 users → 240 users (target 500 users)" in text
    assert "“Before Q1 planning”" in text


def test_the_customer_digest_tells_customer_summaries_only(product, changed_plan):
    result = compare(product, snapshot_moment(changed_plan), now_moment(product))

    text = customer_digest("Fabrikam Style", result).as_text()

    assert "Chat with a stylist – Soon" in text
    assert "Better size advice on every product page – now Soon, was Future" in text
    assert "A simpler wishlist" in text
    for word in [*INTERNAL_WORDS, "sponsor", "users", "Stage"]:
        assert word not in text


def test_the_demo_has_two_snapshots_with_real_differences():
    from roadmap.demo import load_demo

    demo = load_demo(today=dt.date(2026, 11, 23)).product
    latest, first = demo.snapshots.order_by("-taken_at")[:2]

    result = compare(demo, snapshot_moment(first), snapshot_moment(latest))
    assert [(m.item.title, m.after) for m in result.moved] == [
        ("Wardrobe data stays private and portable", "soon")
    ]
    assert move_reasons(result) == [
        "Two partner brands want a privacy review before they sign."
    ]
    assert [i.title for i in result.added] == ["Share a look with a friend"]
    assert customer_digest("Fabrikam Style", result).sections
    since = compare(demo, snapshot_moment(latest), now_moment(demo))
    assert [c.item.title for c in since.changed] == [
        "Fit predictor from past purchases"
    ]


def move_reasons(result) -> list[str]:
    return [r.text for m in result.moved for r in m.reasons]
