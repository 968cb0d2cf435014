from __future__ import annotations

from django.contrib import admin

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from strategy.admin import PlanRevisionAdmin


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["date", "value", "note", "source"]
    ordering = ["-date"]


@admin.register(Metric)
class MetricAdmin(PlanRevisionAdmin):
    list_display = ["name", "product", "unit", "direction", "review_cadence"]
    list_filter = ["product", "direction"]
    search_fields = ["name"]
    readonly_fields = ["version"]
    inlines = [MeasurementInline]

    def product_id_of(self, obj: Metric) -> int | None:
        return obj.product_id


@admin.register(Measurement)
class MeasurementAdmin(PlanRevisionAdmin):
    list_display = ["metric", "date", "value", "source"]
    list_filter = ["metric__product", "source"]
    list_select_related = ["metric"]
    date_hierarchy = "date"
    readonly_fields = ["version"]

    def product_id_of(self, obj: Measurement) -> int | None:
        return obj.metric.product_id


@admin.register(KeyResult)
class KeyResultAdmin(PlanRevisionAdmin):
    list_display = ["__str__", "goal", "start_date", "due_date"]
    list_filter = ["metric__product"]
    list_select_related = ["metric"]
    readonly_fields = ["version"]

    def product_id_of(self, obj: KeyResult) -> int | None:
        return obj.metric.product_id


@admin.register(CheckIn)
class CheckInAdmin(PlanRevisionAdmin):
    list_display = ["key_result", "date", "confidence", "author"]
    list_select_related = ["key_result__metric"]

    def product_id_of(self, obj: CheckIn) -> int | None:
        return obj.key_result.metric.product_id
