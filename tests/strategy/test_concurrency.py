from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.db import transaction
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import RequestFactory

from metrics.models import Measurement
from strategy.concurrency import (
    Conflict,
    ConflictRow,
    StaleVersion,
    VersionedFormMixin,
    conflict_rows,
    delete_if_version,
    display_value,
    posted_values,
    posted_version,
    update_if_version,
)
from strategy.forms import GoalForm
from strategy.models import Goal, Theme
from tests.metrics.factories import MeasurementFactory
from tests.strategy.factories import GoalFactory, ThemeFactory

pytestmark = pytest.mark.django_db


class ThemeTitleForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["title"]


# update_if_version ----------------------------------------------------------


def test_update_if_version_saves_and_moves_the_version_on():
    theme = ThemeFactory(title="Old")

    with transaction.atomic():
        returned = update_if_version(theme, version=1, values={"title": "New"})

    assert returned is theme
    assert (theme.title, theme.version) == ("New", 2)
    theme.refresh_from_db()
    assert (theme.title, theme.version) == ("New", 2)


def test_update_if_version_stamps_updated_at_when_the_model_has_one():
    measurement = MeasurementFactory(value=Decimal(5))
    # A stamp well in the past: the check must not hang on the clock ticking
    # between two calls (a coarse clock gives both calls the same time).
    before = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Measurement.objects.filter(pk=measurement.pk).update(updated_at=before)

    with transaction.atomic():
        update_if_version(measurement, version=1, values={"value": Decimal(6)})

    stored = Measurement.objects.get(pk=measurement.pk)
    assert stored.updated_at > before
    assert measurement.updated_at == stored.updated_at


def test_update_if_version_with_a_stale_version_carries_the_row_saved_now():
    theme = ThemeFactory(title="Mine")
    Theme.objects.filter(pk=theme.pk).update(title="Theirs", version=2)

    with pytest.raises(StaleVersion) as stale, transaction.atomic():
        update_if_version(theme, version=1, values={"title": "Mine again"})

    assert stale.value.current.title == "Theirs"
    assert stale.value.current.version == 2
    assert Theme.objects.get(pk=theme.pk).title == "Theirs"


def test_update_if_version_of_a_deleted_row_carries_none():
    theme = ThemeFactory()
    Theme.objects.filter(pk=theme.pk).delete()

    with pytest.raises(StaleVersion) as stale, transaction.atomic():
        update_if_version(theme, version=1, values={"title": "Gone"})

    assert stale.value.current is None


def test_update_if_version_is_limited_to_the_queryset_given():
    """A row outside the queryset (e.g. soft-deleted) counts as gone."""
    goal = GoalFactory(status=Goal.Status.ARCHIVED)

    with pytest.raises(StaleVersion) as stale, transaction.atomic():
        update_if_version(
            goal, version=1, values={"title": "X"}, queryset=Goal.objects.active()
        )

    assert stale.value.current is None
    assert Goal.objects.get(pk=goal.pk).version == 1


def test_update_if_version_refuses_to_run_outside_a_transaction(monkeypatch):
    theme = ThemeFactory()
    connection = transaction.get_connection()
    monkeypatch.setattr(connection, "in_atomic_block", False)

    with pytest.raises(RuntimeError, match="transaction"):
        update_if_version(theme, version=1, values={"title": "X"})


def test_delete_if_version_refuses_a_row_changed_since():
    measurement = MeasurementFactory()
    Measurement.objects.filter(pk=measurement.pk).update(version=2)

    with pytest.raises(StaleVersion) as stale, transaction.atomic():
        delete_if_version(measurement, version=1)

    assert stale.value.current.version == 2
    assert Measurement.objects.filter(pk=measurement.pk).exists()


# The form mixin -------------------------------------------------------------


def test_versioned_form_starts_at_the_instance_version():
    theme = ThemeFactory(version=4)

    form = ThemeTitleForm(instance=theme)

    assert 'name="version" value="4"' in str(form["version"])


def test_versioned_form_to_create_has_no_version():
    assert "version" not in ThemeTitleForm().fields


@pytest.mark.parametrize("posted", ["", "garbled", "-3", "0", "99999999999", "1.5"])
def test_versioned_form_turns_an_unusable_version_into_a_conflict(posted):
    """A bad version cleans to 0, which matches no row: never an overwrite."""
    form = ThemeTitleForm({"title": "X", "version": posted}, instance=ThemeFactory())

    assert form.is_valid()
    assert form.cleaned_data["version"] == 0


def test_versioned_form_model_values_leave_the_version_out():
    form = ThemeTitleForm({"title": "New", "version": "1"}, instance=ThemeFactory())
    form.is_valid()

    assert form.model_values() == {"title": "New"}


def test_posted_version_reads_a_version_without_a_form():
    assert posted_version(QueryDict("version=7")) == 7
    assert posted_version(QueryDict("version=x")) == 0
    assert posted_version(QueryDict("")) == 0


# Describing a conflict ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ("", "—"),
        ([], "—"),
        (Decimal("1200.5000"), "1200.5"),
        (Decimal("1E+3"), "1000"),
        (dt.date(2026, 11, 2), "2 Nov 2026"),
        (True, "Yes"),
        (["a", "b"], "a, b"),
    ],
)
def test_display_value_reads_as_a_person_would(value, shown):
    assert display_value(value) == shown


def test_conflict_rows_show_choices_by_label_and_rows_by_name(product):
    theme = ThemeFactory(product=product, title="Acquire")
    other = ThemeFactory(product=product, title="Retain")
    goal = GoalFactory(product=product, theme=theme, title="Grow")
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ACHIEVED, version=2)
    form = GoalForm(
        {
            "title": "Grow",
            "theme": other.pk,
            "status": "active",
            "start_date": "2026-07-01",
            "end_date": "2027-12-31",
            "version": "1",
        },
        instance=goal,
        product=product,
    )
    form.is_valid()

    rows = {row.label: row for row in conflict_rows(form, Goal.objects.get(pk=goal.pk))}

    assert rows["Title"] == ConflictRow("Title", "Grow", "Grow", differs=False)
    assert rows["Theme"] == ConflictRow("Theme", "Acquire", "Retain", differs=True)
    assert rows["Status"] == ConflictRow("Status", "Achieved", "Active", differs=True)
    assert rows["Description"].theirs == "—"
    assert "version" not in {row.label.lower() for row in rows.values()}


def test_posted_values_leave_out_the_token_and_the_versions():
    data = QueryDict(
        "csrfmiddlewaretoken=t&version=1&kr_version=2&title=A&teams=1&teams=2"
    )

    assert posted_values(data, exclude=["version", "kr_version"]) == [
        ("title", "A"),
        ("teams", "1"),
        ("teams", "2"),
    ]


def render_partial(conflict):
    request = RequestFactory().get("/")
    return render_to_string(
        "includes/_conflict.html#conflict", {"conflict": conflict}, request=request
    )


def test_conflict_partial_offers_keep_mine_with_every_saved_version():
    """A card with its key result re-posts both versions, as saved now."""
    conflict = Conflict(
        subject="card",
        keep_mine_url="/cards/1/edit/",
        keep_theirs_url="/cards/1/",
        target="metric-1",
        rows=[ConflictRow("Title", "Theirs", "Mine", differs=True)],
        posted=[("title", "Mine <b>")],
        versions={"version": 7, "kr_version": 3},
    )

    html = render_partial(conflict)

    assert "Someone else saved this card while you were editing it." in html
    assert "Nothing was overwritten." in html
    assert 'id="metric-1"' in html
    assert '<input type="hidden" name="title" value="Mine &lt;b&gt;">' in html
    assert '<input type="hidden" name="version" value="7">' in html
    assert '<input type="hidden" name="kr_version" value="3">' in html
    assert 'method="post" action="/cards/1/edit/"' in html
    assert 'hx-post="/cards/1/edit/" hx-target="#metric-1"' in html
    assert 'hx-get="/cards/1/" hx-target="#metric-1"' in html
    assert 'class="differs"' in html


def test_conflict_partial_on_a_plain_page_uses_plain_forms_and_links():
    conflict = Conflict(
        subject="metric",
        keep_mine_url="/metrics/1/edit/",
        keep_theirs_url="/metrics/1/",
    )

    html = render_partial(conflict)

    assert "hx-" not in html
    assert '<a class="button small" href="/metrics/1/">Keep theirs</a>' in html


def test_conflict_partial_says_when_the_row_was_deleted():
    conflict = Conflict(
        subject="card",
        keep_mine_url="/cards/1/edit/",
        keep_theirs_url="",
        page_url="/board/",
        is_deleted=True,
        message="It can be restored from “Recently deleted”.",
    )

    html = render_partial(conflict)

    assert "Someone deleted this card while you were editing it." in html
    assert "Your changes were not saved." in html
    assert "Recently deleted" in html
    assert "Keep mine" not in html
    assert 'href="/board/" data-conflict-close' in html
