from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.models import Invitation, SecurityEvent


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "created_by", "created_at", "expires_at", "status_label"]
    list_select_related = ["created_by"]
    search_fields = ["email"]
    fields = (
        "email",
        "products",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="Status")
    def status_label(self, invitation: Invitation) -> str:
        return invitation.current_status.label

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        for invitation in queryset:
            services.invitation_revoke(invitation=invitation, actor=request.user)
        self.message_user(request, "Revoked. Their links no longer work.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # New invitations are made on the invitations page, which emails the
        # link and shows it once; the admin cannot show a stored secret.
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """The security log, read-only: no add, change, delete or bulk action."""

    list_display = [
        "created_at",
        "kind",
        "actor_label",
        "user_label",
        "product_label",
        "ip_address",
        "detail",
    ]
    list_filter = ["kind", "created_at"]
    search_fields = ["actor_label", "user_label", "product_label", "detail"]
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "kind",
        "actor_label",
        "user_label",
        "product_label",
        "ip_address",
        "detail",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: SecurityEvent | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SecurityEvent | None = None
    ) -> bool:
        return False

    def has_view_permission(
        self, request: HttpRequest, obj: SecurityEvent | None = None
    ) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
