from __future__ import annotations

from typing import Any

from django.contrib import admin

from roadmap.models import (
    Challenge,
    Feature,
    Insight,
    Outcome,
    Roadmap,
    ShareLink,
    SuccessMetric,
    Team,
    TeamDependency,
)
from strategy.admin import PlanRevisionAdmin


class RoadmapRowAdmin(PlanRevisionAdmin):
    """Saves and deletes here change what the product's board shows."""

    def product_id_of(self, obj: Any) -> int | None:
        return obj.roadmap.product_id


@admin.register(Roadmap)
class RoadmapAdmin(PlanRevisionAdmin):
    list_display = [
        "product",
        "current_label",
        "soon_label",
        "future_label",
    ]
    # Set on the assumption pages, with the plan's history and revision.
    exclude = ["assumption_stale_days"]

    def product_id_of(self, obj: Roadmap) -> int | None:
        return obj.product_id


@admin.register(Team)
class TeamAdmin(PlanRevisionAdmin):
    # Teams are shared by every product's board.
    changes_every_plan = True
    list_display = ["name"]
    search_fields = ["name"]


class CardAdmin(RoadmapRowAdmin):
    list_display = [
        "__str__",
        "roadmap",
        "horizon",
        "position",
        "version",
        "deleted_at",
    ]
    list_filter = ["roadmap", "horizon"]


@admin.register(Outcome)
class OutcomeAdmin(CardAdmin):
    list_display = [*CardAdmin.list_display, "status", "confidence", "category"]
    list_filter = [*CardAdmin.list_filter, "status", "category"]
    search_fields = ["title"]
    filter_horizontal = ["teams"]


@admin.register(Challenge)
class ChallengeAdmin(CardAdmin):
    search_fields = ["title"]


@admin.register(SuccessMetric)
class SuccessMetricAdmin(CardAdmin):
    list_select_related = ["key_result__metric", "roadmap__product"]


@admin.register(Feature)
class FeatureAdmin(CardAdmin):
    list_display = [*CardAdmin.list_display, "stage", "team"]
    list_filter = [*CardAdmin.list_filter, "stage"]
    search_fields = ["title"]


@admin.register(TeamDependency)
class TeamDependencyAdmin(PlanRevisionAdmin):
    list_display = ["__str__", "status"]

    def product_id_of(self, obj: TeamDependency) -> int | None:
        # A dependency is on an outcome or, instead, on a feature.
        card = obj.outcome or obj.feature
        return card.roadmap.product_id if card else None


@admin.register(Insight)
class InsightAdmin(PlanRevisionAdmin):
    list_display = ["__str__", "product", "source", "account", "created_at"]
    list_filter = ["product", "source"]

    def product_id_of(self, obj: Insight) -> int | None:
        return obj.product_id


@admin.register(ShareLink)
class ShareLinkAdmin(PlanRevisionAdmin):
    list_display = [
        "label",
        "product",
        "scope",
        "expires_on",
        "revoked_at",
        "view_count",
        "last_used_at",
    ]
    list_filter = ["scope"]
    readonly_fields = ["token_hash", "view_count", "last_used_at", "created_at"]

    def product_id_of(self, obj: ShareLink) -> int | None:
        return obj.product_id
