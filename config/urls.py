from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.views import favicon, robots_txt
from roadmap.api import api

urlpatterns = [
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.password_urls")),
    path("accounts/", include("accounts.urls")),
    # Share links open without an account, so they live outside the product's
    # URLs and outside any app namespace that the login-only tests walk.
    path("s/", include("roadmap.share_urls")),
    path("soon/", include("roadmap.soon_urls")),
    path("notifications/", include("roadmap.notification_urls")),
    path("", include("strategy.urls")),
    path("products/<slug:slug>/metrics/", include("metrics.urls")),
    path("products/<slug:slug>/", include("roadmap.urls")),
]
