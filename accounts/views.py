"""Accounts: your account, password reset, invitations and the lockout page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import ratelimit, services
from accounts.forms import AcceptInvitationForm, InvitationForm, SecurityLogFilterForm
from accounts.models import Invitation, SecurityEvent
from config.types import HtmxHttpRequest
from strategy.audit import SecurityKind, security_event

# The backend that loads a signed-in user on each request (settings).
SIGN_IN_BACKEND = "roadmap.backends.NotificationCountBackend"


SECURITY_LOG_PER_PAGE = 50


def require_superuser(request: HttpRequest) -> None:
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied("Only an installation admin manages invitations.")


@never_cache
@require_http_methods(["GET", "HEAD"])
@login_required
def security_log(request: HtmxHttpRequest) -> HttpResponse:
    """The installation's security events, newest first, filtered and paged.

    Read-only: nothing here (or anywhere) changes or deletes an event.
    """
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied("Only an installation admin reads the security log.")
    form = SecurityLogFilterForm(request.GET or None, user=request.user)
    events = form.filter(SecurityEvent.objects.for_list())
    page = Paginator(events, SECURITY_LOG_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/security_log.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def account(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html")


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE).

    Every try during a lockout restarts the cool-off, so the person may try
    again one cool-off after this attempt.
    """
    cool_off: dt.timedelta = settings.AXES_COOLOFF_TIME
    retry_at = timezone.now() + cool_off
    response = render(
        request,
        "accounts/locked_out.html",
        {
            "retry_at": retry_at,
            "cool_off_minutes": int(cool_off.total_seconds() // 60),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset view, with links on the configured site address and a
    per-address limit on how many emails may be asked for."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"

    def get_extra_email_context(self) -> dict[str, Any]:
        return {"base_url": settings.NORTHSTAR_BASE_URL.rstrip("/")}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        window = ratelimit.hit(
            "password-reset",
            ratelimit.client_ip(request),
            limit=settings.PASSWORD_RESET_PER_IP_PER_HOUR,
            window=60 * 60,
        )
        if not window.allowed:
            response = render(
                request,
                "registration/password_reset_limited.html",
                {"retry_minutes": max(1, window.retry_after // 60)},
                status=429,
            )
            response["Retry-After"] = str(window.retry_after)
            return response
        self.extra_email_context = self.get_extra_email_context()
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        # Recorded whether or not an account has the address; the page says
        # the same either way, the log tells the admin which it was.
        owners = list(form.get_users(email))
        security_event(
            SecurityKind.PASSWORD_RESET_ASKED,
            user=owners[0] if owners else None,
            user_label=email[:150],
            detail=f"For {email}" + ("" if owners else " (no active account)"),
        )
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (this session stays signed in, every other one ends),
    which also emails the owner that the password changed."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event(
            SecurityKind.PASSWORD_CHANGED,
            actor=form.user,
            user=form.user,
            detail="Every other session of the account was signed out.",
        )
        services.password_changed_notice(user=form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view (every session of the account ends), which also emails
    the owner that the password changed."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_event(
            SecurityKind.PASSWORD_RESET,
            actor=form.user,
            user=form.user,
            detail="By an emailed link; every session of the account was signed out.",
        )
        services.password_changed_notice(user=form.user)
        return response


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def invitation_list(request: HtmxHttpRequest) -> HttpResponse:
    """List invitations and invite someone (the link shows once, here)."""
    require_superuser(request)
    context: dict[str, Any] = {"valid_days": settings.INVITATION_VALID_DAYS}
    if request.method == "POST":
        form = InvitationForm(request.POST, user=request.user)
        if form.is_valid():
            assert request.user.is_authenticated
            invitation, secret = services.invitation_create(
                email=form.cleaned_data["email"],
                products=form.cleaned_data["products"],
                read_products=form.cleaned_data["read_products"],
                created_by=request.user,
            )
            context["new_invitation"] = invitation
            context["link"] = services.invitation_url(secret)
            context["sent"] = services.invitation_send(
                invitation=invitation, secret=secret
            )
            form = InvitationForm(user=request.user)
    else:
        form = InvitationForm(user=request.user)
    context["form"] = form
    context["invitations"] = list(Invitation.objects.for_list())
    return render(request, "accounts/invitation_list.html", context)


@require_POST
@login_required
def invitation_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    require_superuser(request)
    invitation = get_object_or_404(Invitation.objects.pending(timezone.now()), pk=pk)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, f"Revoked the invitation to {invitation.email}.")
    return redirect("accounts:invitation_list")


def invitation_unavailable(
    request: HttpRequest, invitation: Invitation | None
) -> HttpResponse:
    """Unknown links answer 404; accepted, revoked or expired ones 410 Gone."""
    status = invitation.current_status if invitation else None
    return render(
        request,
        "accounts/invitation_unavailable.html",
        {"invitation": invitation, "status": status},
        status=404 if invitation is None else 410,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HtmxHttpRequest, token: str) -> HttpResponse:
    """The invitee chooses a username and password and is signed in."""
    invitation = Invitation.objects.filter(
        token_hash=Invitation.hash_secret(token)
    ).first()
    if invitation is None or invitation.current_status != Invitation.Status.PENDING:
        return invitation_unavailable(request, invitation)
    if request.method == "POST":
        form = AcceptInvitationForm(request.POST, email=invitation.email)
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invitation,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                )
            except services.InvitationUnavailable:
                invitation.refresh_from_db()
                return invitation_unavailable(request, invitation)
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, "Welcome to Northstar. Your account is ready.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    else:
        form = AcceptInvitationForm(email=invitation.email)
    # The link's secret stays on this site: Django's Referrer-Policy is
    # same-origin. ("no-referrer" would make browsers post Origin: null, which
    # the CSRF check refuses.)
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "products": invitation.products.all()},
    )
