from __future__ import annotations

from django.contrib import admin

from strategy.models import ApiToken, Company, Goal, Product, Theme


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name"]


class ThemeInline(admin.TabularInline):
    model = Theme
    extra = 0
    fields = ["title", "start_year", "end_year", "position"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["editors"]
    search_fields = ["name"]
    inlines = [ThemeInline]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "start_year", "end_year", "position"]
    list_filter = ["product"]


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "theme", "status", "start_date", "end_date"]
    list_filter = ["product", "status"]
    search_fields = ["title"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "product",
        "hint",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["product"]
    readonly_fields = ["token_hash", "hint", "created_at", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        # Tokens are issued from the product's settings page, where the secret
        # can be shown once; the admin could only store an unusable hash.
        return False
