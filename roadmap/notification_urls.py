"""The signed-in person's notifications, outside any product's URLs."""

from __future__ import annotations

from django.urls import path

from roadmap.views import notifications

app_name = "notifications"

urlpatterns = [
    path("", notifications.notification_list, name="notification_list"),
    path("read/", notifications.notification_read_all, name="notification_read_all"),
    path("<int:pk>/read/", notifications.notification_read, name="notification_read"),
]
