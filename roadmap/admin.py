from __future__ import annotations

from django.contrib import admin

from roadmap.models import (
    Challenge,
    ChangeEntry,
    Feature,
    Insight,
    Outcome,
    Roadmap,
    SuccessMetric,
    Team,
    TeamDependency,
)


@admin.register(Roadmap)
class RoadmapAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "current_label",
        "soon_label",
        "future_label",
        "revision",
    ]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class CardAdmin(admin.ModelAdmin):
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
class TeamDependencyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status"]


@admin.register(Insight)
class InsightAdmin(admin.ModelAdmin):
    list_display = ["__str__", "product", "source", "account", "created_at"]
    list_filter = ["product", "source"]


@admin.register(ChangeEntry)
class ChangeEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "roadmap",
        "actor",
        "action",
        "card_type",
        "card_title",
    ]
    list_filter = ["roadmap", "action", "card_type"]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        # The change log is a record of what happened; it is not edited.
        return False
