"""No viewer and no anonymous visitor can change anything, on any page's URL.

Every URL of the app is tried with a POST, filled in with real objects of the
demo product; the database must come out exactly as it went in.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.urls import get_resolver, reverse

from metrics.models import KeyResult, Metric
from roadmap.demo import load_demo
from roadmap.models import (
    Challenge,
    Feature,
    Notification,
    Outcome,
    Review,
    ShareLink,
    Snapshot,
    SuccessMetric,
    TeamDependency,
)
from strategy import history
from strategy.models import ApiToken, Goal, HistoryEntry, Theme

pytestmark = pytest.mark.django_db

APP_NAMESPACES = ["strategy", "metrics", "roadmap"]
CARD_MODELS = {
    "outcome": Outcome,
    "challenge": Challenge,
    "success_metric": SuccessMetric,
    "feature": Feature,
}


URL_NAMESPACES = [*APP_NAMESPACES, "soon", "notifications"]
# A reader's own actions and how they answer the posts below, which are not
# valid for them: a customer request without an account (the form again), the
# Soon kit marked as seen without the page's signed state (400), their own
# notifications marked read (none here; someone else's are left alone). The
# database must come out unchanged all the same.
READER_ACTIONS = {
    "roadmap:customer_request": {200},
    "roadmap:soon_seen": {400},
    "soon:seen": {400},
    "notifications:notification_read_all": {302},
    "notifications:notification_read": {302},
}


def unexpected(answers: dict[str, int]) -> dict[str, int]:
    """The answers other than a refusal (or a reader action's own answer)."""
    return {
        name: status
        for name, status in answers.items()
        if status not in READER_ACTIONS.get(name, {403, 405})
    }


def database_state() -> dict[str, tuple]:
    """Return counts, version sums and soft-delete counts of every project table."""
    state = {}
    for app_label in APP_NAMESPACES:
        for model in apps.get_app_config(app_label).get_models():
            fields = {field.name for field in model._meta.get_fields()}
            aggregates = {"rows": Count("pk")}
            if "version" in fields:
                aggregates["versions"] = Sum("version")
            if "deleted_at" in fields:
                aggregates["deleted"] = Count("pk", filter=Q(deleted_at__isnull=False))
            if "read_at" in fields:
                aggregates["read"] = Count("pk", filter=Q(read_at__isnull=False))
            if "reason" in fields:
                aggregates["reasons"] = Count("pk", filter=~Q(reason=""))
            if "revoked_at" in fields:
                aggregates["revoked"] = Count("pk", filter=Q(revoked_at__isnull=False))
            state[model.__name__] = tuple(
                sorted(model.objects.aggregate(**aggregates).items())
            )
    return state


def url_names() -> list[str]:
    resolver = get_resolver()
    return sorted(
        f"{namespace}:{pattern.name}"
        for namespace in URL_NAMESPACES
        for pattern in resolver.namespace_dict[namespace][1].url_patterns
    )


def demo_urls(product) -> dict[str, str]:
    """Return one URL for every URL name, with the demo's objects in it."""
    slug = product.slug
    theme = Theme.objects.filter(product=product).first()
    goal = Goal.objects.filter(product=product).first()
    metric = Metric.objects.filter(product=product).first()
    measurement = metric.measurements.first()
    key_result = KeyResult.objects.filter(metric__product=product).first()
    token, _ = ApiToken.issue(product=product, name="Warehouse")
    share_link, _ = ShareLink.issue(product=product, label="Board meeting")
    dependency = TeamDependency.objects.filter(
        outcome__roadmap__product=product
    ).first()
    outcome = dependency.outcome
    assumption = Challenge.objects.filter(
        roadmap__product=product, is_assumption=True
    ).first()
    notification = Notification.objects.create(
        recipient=get_user_model().objects.get(username="pm"),
        product=product,
        kind=Notification.Kind.ENTERED_CURRENT,
        outcome=outcome,
        item_title=outcome.title,
    )
    open_review = Review.objects.create(roadmap=product.roadmap)
    urls = {}
    for name in url_names():
        kwargs: dict = {}
        if name.startswith("strategy:") and name not in {
            "strategy:home",
            "strategy:company",
            "strategy:company_edit",
            "strategy:product_create",
        }:
            kwargs["slug"] = slug
        if name.startswith(("metrics:", "roadmap:")):
            kwargs["slug"] = slug
        if name.startswith("strategy:theme_") and name != "strategy:theme_create":
            kwargs["pk"] = theme.pk
        if name.startswith("strategy:goal_") and name != "strategy:goal_create":
            kwargs["pk"] = goal.pk
        if name == "metrics:token_revoke":
            kwargs["pk"] = token.pk
        if name == "roadmap:share_link_revoke":
            kwargs["pk"] = share_link.pk
        if name.startswith(
            ("metrics:metric_", "metrics:measurement_")
        ) and name not in {
            "metrics:metric_list",
            "metrics:metric_create",
            "metrics:measurement_import",
        }:
            kwargs["pk"] = metric.pk
        if name in {
            "metrics:measurement_row",
            "metrics:measurement_edit",
            "metrics:measurement_delete",
        }:
            kwargs["measurement_pk"] = measurement.pk
        if (
            name.startswith(("metrics:keyresult_", "metrics:checkin_"))
            and name != "metrics:keyresult_create"
        ):
            kwargs["pk"] = key_result.pk
        if name.startswith("roadmap:card_"):
            kwargs["kind"] = "outcome"
            if name != "roadmap:card_create":
                kwargs["pk"] = outcome.pk
        if name.startswith(("roadmap:outcome_", "roadmap:dependency_")):
            kwargs["pk"] = outcome.pk
        if name == "roadmap:dependency_delete":
            kwargs["dependency_pk"] = dependency.pk
        if name == "roadmap:dependency_add":
            del kwargs["pk"]
        if name == "roadmap:dependency_edit":
            kwargs["pk"] = dependency.pk
        if name in {"roadmap:team_rename", "roadmap:team_capacity"}:
            kwargs["pk"] = dependency.team_id
        if name in {
            "roadmap:assumption",
            "roadmap:assumption_update",
            "roadmap:evidence_add",
            "roadmap:assumption_settings",
        }:
            kwargs["pk"] = assumption.pk
        if name == "notifications:notification_read":
            kwargs["pk"] = notification.pk
        if name == "roadmap:customer_request":
            kwargs.update(kind="outcome", pk=outcome.pk)
        if name == "roadmap:history_reason":
            # The product manager's own change: no one else may give its reason.
            kwargs["pk"] = history.record(
                product_id=product.pk,
                actor=get_user_model().objects.get(username="pm"),
                action=HistoryEntry.Action.MOVED,
                kind=HistoryEntry.Kind.OUTCOME,
                item=outcome,
                field="horizon",
                before="soon",
                after=outcome.horizon,
            ).pk
        if name in {
            "roadmap:review_detail",
            "roadmap:review_edit",
            "roadmap:review_close",
        }:
            # The demo's held review, and an open one to try to change.
            kwargs["pk"] = (
                open_review.pk
                if name != "roadmap:review_detail"
                else (
                    Review.objects.filter(roadmap__product=product).closed().first().pk
                )
            )
        if name == "roadmap:snapshot":
            kwargs["pk"] = Snapshot.objects.filter(product=product).first().pk
        if name == "roadmap:cell_cards":
            kwargs.update(kind="feature", horizon="soon")
        if name == "roadmap:feature_release":
            kwargs["pk"] = Feature.objects.filter(roadmap__product=product).first().pk
        if name == "roadmap:estimate_save":
            kwargs.update(kind="outcome", pk=outcome.pk)
        urls[name] = reverse(name, kwargs=kwargs)
    for kind, model in CARD_MODELS.items():
        card = model.objects.filter(roadmap__product=product).first()
        for action in ["edit", "move", "delete", "restore", "link", "menu"]:
            urls[f"roadmap:card_{action}:{kind}"] = reverse(
                f"roadmap:card_{action}",
                kwargs={"slug": slug, "kind": kind, "pk": card.pk},
            )
        urls[f"roadmap:card_create:{kind}"] = reverse(
            "roadmap:card_create", kwargs={"slug": slug, "kind": kind}
        )
        if kind in ("outcome", "feature"):
            urls[f"roadmap:estimate_save:{kind}"] = reverse(
                "roadmap:estimate_save",
                kwargs={"slug": slug, "kind": kind, "pk": card.pk},
            )
    return urls


@pytest.fixture
def demo():
    return load_demo(today=dt.date(2026, 11, 23)).product


def test_every_url_of_the_app_is_tried(demo):
    urls = demo_urls(demo)

    assert set(url_names()) <= set(urls)
    assert len(urls) >= 40


def test_a_viewer_changes_nothing_through_any_url(client, demo):
    client.force_login(get_user_model().objects.get(username="stakeholder"))
    urls = demo_urls(demo)
    before = database_state()

    answers = {
        name: client.post(url, {"version": 1, "title": "Hacked"}).status_code
        for name, url in urls.items()
    }

    assert database_state() == before
    assert unexpected(answers) == {}
    assert list(answers.values()).count(403) >= 25


def test_an_editor_of_another_product_changes_nothing_here(client, demo):
    other_editor = get_user_model().objects.create_user("other-editor")
    client.force_login(other_editor)
    urls = demo_urls(demo)
    before = database_state()

    answers = {
        name: client.post(url, {"version": 1, "title": "Hacked"}).status_code
        for name, url in urls.items()
    }

    assert database_state() == before
    assert unexpected(answers) == {}


def test_an_anonymous_visitor_changes_nothing_and_is_sent_to_sign_in(client, demo):
    urls = demo_urls(demo)
    before = database_state()

    responses = {
        name: client.post(url, {"version": 1, "title": "Hacked"})
        for name, url in urls.items()
    }

    assert database_state() == before
    for name, response in responses.items():
        assert response.status_code in {302, 405}, name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), name
