from __future__ import annotations

from django.contrib import admin

from metrics.models import CheckIn, KeyResult, Measurement, Metric


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["date", "value", "note", "source"]
    ordering = ["-date"]


@admin.register(Metric)
class MetricAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "unit", "direction", "review_cadence"]
    list_filter = ["product", "direction"]
    search_fields = ["name"]
    inlines = [MeasurementInline]


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    list_display = ["metric", "date", "value", "source"]
    list_filter = ["metric__product", "source"]
    date_hierarchy = "date"


@admin.register(KeyResult)
class KeyResultAdmin(admin.ModelAdmin):
    list_display = ["__str__", "goal", "start_date", "due_date"]
    list_filter = ["metric__product"]
    list_select_related = ["metric"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["key_result", "date", "confidence", "author"]
    list_select_related = ["key_result__metric"]
