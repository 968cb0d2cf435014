from __future__ import annotations

from django.urls import path

from metrics import views

app_name = "metrics"

urlpatterns = [
    path("", views.metric_list, name="metric_list"),
    path("new/", views.metric_create, name="metric_create"),
    path("import/", views.measurement_import, name="measurement_import"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("<int:pk>/", views.metric_detail, name="metric_detail"),
    path("<int:pk>/edit/", views.metric_edit, name="metric_edit"),
    path("<int:pk>/measurements/", views.measurement_create, name="measurement_create"),
    path(
        "<int:pk>/measurements/<int:measurement_pk>/",
        views.measurement_row,
        name="measurement_row",
    ),
    path(
        "<int:pk>/measurements/<int:measurement_pk>/edit/",
        views.measurement_edit,
        name="measurement_edit",
    ),
    path(
        "<int:pk>/measurements/<int:measurement_pk>/delete/",
        views.measurement_delete,
        name="measurement_delete",
    ),
    path("key-results/new/", views.keyresult_create, name="keyresult_create"),
    path("key-results/<int:pk>/", views.keyresult_detail, name="keyresult_detail"),
    path("key-results/<int:pk>/edit/", views.keyresult_edit, name="keyresult_edit"),
    path(
        "key-results/<int:pk>/check-ins/", views.checkin_create, name="checkin_create"
    ),
]
