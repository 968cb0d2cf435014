from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from strategy.models import ApiToken
from tests.metrics.factories import (
    CheckInFactory,
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)
from tests.roadmap.factories import OutcomeFactory, SuccessMetricFactory
from tests.strategy.factories import GoalFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def metric(product):
    return MetricFactory(product=product, name="Weekly active users", unit="users")


def measure(metric, values, start=dt.date(2026, 1, 5)):
    return Measurement.objects.bulk_create(
        Measurement(
            metric=metric, date=start + dt.timedelta(days=7 * i), value=Decimal(v)
        )
        for i, v in enumerate(values)
    )


# The metrics page


def test_metric_list_shows_latest_value_change_and_chart(viewer_client, metric):
    measure(metric, [1000, 1200, 1150])
    KeyResultFactory(metric=metric, baseline=1000, target=2000)

    response = viewer_client.get(
        reverse("metrics:metric_list", args=["fabrikam-style"])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "1,150 users" in content
    assert "−50 users" in content
    assert 'class="metric-change is-bad"' in content
    assert '<polyline class="chart-series"' in content
    assert "Increase weekly active users from 1,000 to 2,000" in content


def test_metric_list_hides_write_links_from_viewers(viewer_client, metric):
    response = viewer_client.get(
        reverse("metrics:metric_list", args=["fabrikam-style"])
    )

    assert b"New metric" not in response.content
    assert b"Import measurements" not in response.content


def test_metric_list_requires_login(client, product):
    response = client.get(reverse("metrics:metric_list", args=["fabrikam-style"]))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("count", [10, 5000])
def test_metric_list_query_count_is_constant(
    editor_client, product, django_assert_num_queries, count
):
    """Latest values, chart windows and key results are fetched once for all metrics."""
    for name in ("Signups", "Churn", "Revenue"):
        metric = MetricFactory(product=product, name=name)
        KeyResultFactory(metric=metric)
        measure(metric, range(count), start=dt.date(2000, 1, 1))

    # user (the session is cached), product with its members, metrics, measurements, key results
    with django_assert_num_queries(5):
        response = editor_client.get(
            reverse("metrics:metric_list", args=["fabrikam-style"])
        )

    assert response.content.count(b'<polyline class="chart-series"') == 3


def test_metric_list_chart_window_keeps_payload_bounded(editor_client, metric):
    """A metric with thousands of values draws only its recent window."""
    measure(metric, range(5000), start=dt.date(2000, 1, 1))

    response = editor_client.get(
        reverse("metrics:metric_list", args=["fabrikam-style"])
    )

    points = response.content.split(b'<polyline class="chart-series" points="')[1]
    assert points.split(b'"')[0].count(b",") == 60


# Creating and editing metrics


def test_metric_create_saves_for_the_product(editor_client, product):
    response = editor_client.post(
        reverse("metrics:metric_create", args=["fabrikam-style"]),
        {"name": "NPS", "unit": "", "direction": "up", "review_cadence": "monthly"},
    )

    metric = Metric.objects.get(name="NPS")
    assert metric.product == product
    assert response["Location"] == metric.get_absolute_url()


def test_metric_create_refuses_duplicate_name_and_keeps_input(editor_client, metric):
    response = editor_client.post(
        reverse("metrics:metric_create", args=["fabrikam-style"]),
        {
            "name": "weekly active users",
            "unit": "people",
            "direction": "up",
            "review_cadence": "weekly",
        },
    )

    assert response.status_code == 200
    assert b"already has a metric of that name" in response.content
    assert b'value="people"' in response.content
    assert Metric.objects.count() == 1


def test_metric_create_ties_each_field_error_to_its_input(editor_client, product):
    """The input's aria-describedby names the id of its error list."""
    response = editor_client.post(
        reverse("metrics:metric_create", args=["fabrikam-style"]),
        {"name": "", "unit": "", "direction": "up", "review_cadence": "monthly"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert '<div class="field field-name has-error">' in content
    assert 'aria-describedby="id_name_error"' in content
    assert '<ul class="field-error" id="id_name_error">' in content
    assert 'aria-describedby="id_unit_helptext"' in content
    assert '<span class="helptext" id="id_unit_helptext">' in content


def test_metric_create_refuses_viewers(viewer_client, product):
    response = viewer_client.post(
        reverse("metrics:metric_create", args=["fabrikam-style"]),
        {"name": "NPS", "direction": "up", "review_cadence": "monthly"},
    )

    assert response.status_code == 403
    assert not Metric.objects.exists()


def test_metric_edit_with_stale_version_answers_conflict(editor_client, metric):
    Metric.objects.filter(pk=metric.pk).update(name="WAU", version=2)

    response = editor_client.post(
        reverse("metrics:metric_edit", args=["fabrikam-style", metric.pk]),
        {
            "name": "Active users",
            "unit": "users",
            "direction": "up",
            "review_cadence": "weekly",
            "version": 1,
        },
    )

    assert response.status_code == 409
    assert b"Someone else saved this metric" in response.content
    assert b"WAU" in response.content
    assert b'value="Active users"' in response.content
    assert Metric.objects.get(pk=metric.pk).name == "WAU"


def test_metric_edit_with_a_garbled_version_is_refused_without_saving(
    editor_client, metric
):
    response = editor_client.post(
        reverse("metrics:metric_edit", args=["fabrikam-style", metric.pk]),
        {
            "name": "Active users",
            "unit": "users",
            "direction": "up",
            "review_cadence": "weekly",
            "version": "not-a-number",
        },
    )

    assert response.status_code == 409
    assert Metric.objects.get(pk=metric.pk).name == metric.name


def test_metric_edit_with_current_version_saves_and_bumps_it(editor_client, metric):
    editor_client.post(
        reverse("metrics:metric_edit", args=["fabrikam-style", metric.pk]),
        {
            "name": "Active users",
            "unit": "users",
            "direction": "up",
            "review_cadence": "weekly",
            "version": 1,
        },
    )

    metric.refresh_from_db()
    assert (metric.name, metric.version) == ("Active users", 2)


# The metric page and its measurements


def test_metric_detail_shows_key_results_and_the_outcomes_they_serve(
    viewer_client, product, metric
):
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Shoppers come back weekly")
    card = SuccessMetricFactory(
        roadmap=product.roadmap, key_result__metric=metric, outcome=outcome
    )

    response = viewer_client.get(metric.get_absolute_url())

    assert response.status_code == 200
    assert card.key_result.statement.encode() in response.content
    assert b"Shoppers come back weekly" in response.content


def test_metric_detail_of_another_products_metric_is_404(viewer_client, product):
    other = MetricFactory(product=ProductFactory())

    response = viewer_client.get(
        reverse("metrics:metric_detail", args=["fabrikam-style", other.pk])
    )

    assert response.status_code == 404


@pytest.mark.parametrize("count", [10, 500])
def test_metric_detail_query_count_is_constant(
    viewer_client, metric, django_assert_num_queries, count
):
    KeyResultFactory.create_batch(3, metric=metric)
    measure(metric, range(count))

    # user (the session is cached), product with its members, metric, measurements, key results,
    # releases of the features serving them, the metric's history
    with django_assert_num_queries(7):
        viewer_client.get(metric.get_absolute_url())


def test_measurement_create_htmx_redraws_chart_and_table(editor_client, metric):
    response = editor_client.post(
        reverse("metrics:measurement_create", args=["fabrikam-style", metric.pk]),
        {"date": "2026-03-02", "value": "1250", "note": "After launch"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b'id="metric-data"' in response.content
    assert b"<html" not in response.content
    measurement = metric.measurements.get()
    assert (measurement.value, measurement.source) == (Decimal(1250), "manual")


def test_measurement_create_on_a_taken_date_shows_the_error_inline(
    editor_client, metric
):
    MeasurementFactory(metric=metric, date=dt.date(2026, 3, 2), value=1)

    response = editor_client.post(
        reverse("metrics:measurement_create", args=["fabrikam-style", metric.pk]),
        {"date": "2026-03-02", "value": "1250", "note": "typed"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"There is already a value on this date" in response.content
    assert b'value="typed"' in response.content
    assert metric.measurements.get().value == 1


def test_measurement_create_refuses_viewers(viewer_client, metric):
    response = viewer_client.post(
        reverse("metrics:measurement_create", args=["fabrikam-style", metric.pk]),
        {"date": "2026-03-02", "value": "1"},
    )

    assert response.status_code == 403
    assert not metric.measurements.exists()


def test_measurement_edit_row_renders_inputs(editor_client, metric):
    measurement = MeasurementFactory(metric=metric, value=5)

    response = editor_client.get(
        reverse(
            "metrics:measurement_edit",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        headers={"HX-Request": "true"},
    )

    assert b'class="edit-row"' in response.content
    assert b'name="version" value="1"' in response.content


def test_measurement_edit_saves_when_nobody_else_changed_it(editor_client, metric):
    measurement = MeasurementFactory(metric=metric, date=dt.date(2026, 1, 1), value=5)

    editor_client.post(
        reverse(
            "metrics:measurement_edit",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        {
            "date": "2026-01-02",
            "value": "7",
            "note": "fixed",
            "version": measurement.version,
        },
        headers={"HX-Request": "true"},
    )

    measurement.refresh_from_db()
    assert (measurement.date, measurement.value, measurement.note) == (
        dt.date(2026, 1, 2),
        Decimal(7),
        "fixed",
    )


def test_measurement_edit_with_a_garbled_version_is_a_conflict(editor_client, metric):
    measurement = MeasurementFactory(metric=metric, value=5)

    response = editor_client.post(
        reverse(
            "metrics:measurement_edit",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        {
            "date": measurement.date.isoformat(),
            "value": "7",
            "note": "",
            "version": "2026-13-45T00:00:00",
        },
        headers={"HX-Request": "true"},
    )

    measurement.refresh_from_db()
    assert response.status_code == 409
    assert measurement.value == 5


def test_measurement_edit_after_someone_else_changed_it_answers_conflict(
    editor_client, metric
):
    measurement = MeasurementFactory(metric=metric, value=5)
    seen = measurement.version
    Measurement.objects.filter(pk=measurement.pk).update(value=6, version=seen + 1)

    response = editor_client.post(
        reverse(
            "metrics:measurement_edit",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        {
            "date": measurement.date.isoformat(),
            "value": "7",
            "note": "",
            "version": seen,
        },
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert b"Someone else saved this measurement" in response.content
    assert b'value="7"' in response.content
    measurement.refresh_from_db()
    assert measurement.value == 6


def test_measurement_delete_removes_it(editor_client, metric):
    measurement = MeasurementFactory(metric=metric)

    editor_client.post(
        reverse(
            "metrics:measurement_delete",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        {"version": measurement.version},
        headers={"HX-Request": "true"},
    )

    assert not metric.measurements.exists()


def test_measurement_delete_refuses_viewers(viewer_client, metric):
    measurement = MeasurementFactory(metric=metric)

    response = viewer_client.post(
        reverse(
            "metrics:measurement_delete",
            args=["fabrikam-style", metric.pk, measurement.pk],
        )
    )

    assert response.status_code == 403
    assert metric.measurements.exists()


def test_measurement_delete_of_a_value_changed_meanwhile_answers_conflict(
    editor_client, metric
):
    """A stale delete keeps the row and offers to delete it anyway."""
    measurement = MeasurementFactory(metric=metric, value=5)
    Measurement.objects.filter(pk=measurement.pk).update(value=6, version=2)

    response = editor_client.post(
        reverse(
            "metrics:measurement_delete",
            args=["fabrikam-style", metric.pk, measurement.pk],
        ),
        {"version": 1},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert b"Someone else saved this measurement while you were deleting it." in (
        response.content
    )
    assert b'name="version" value="2"' in response.content
    assert b"Delete anyway" in response.content
    assert metric.measurements.get().value == 6


def test_measurement_delete_without_a_version_is_refused(editor_client, metric):
    MeasurementFactory(metric=metric)

    response = editor_client.post(
        reverse(
            "metrics:measurement_delete",
            args=["fabrikam-style", metric.pk, metric.measurements.get().pk],
        ),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 409
    assert metric.measurements.exists()


def test_measurement_conflict_keep_mine_saves_what_was_typed(editor_client, metric):
    """ "Keep mine" re-posts the typed values with the version saved now."""
    measurement = MeasurementFactory(metric=metric, date=dt.date(2026, 1, 1), value=5)
    Measurement.objects.filter(pk=measurement.pk).update(value=6, version=2)
    url = reverse(
        "metrics:measurement_edit", args=["fabrikam-style", metric.pk, measurement.pk]
    )
    conflict = editor_client.post(
        url,
        {"date": "2026-01-01", "value": "7", "note": "", "version": 1},
        headers={"HX-Request": "true"},
    )
    html = conflict.content.decode()
    keep_mine_form = html[html.index("data-conflict") : html.index("</form>")]
    keep_mine = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">', keep_mine_form
        )
    )

    response = editor_client.post(url, keep_mine, headers={"HX-Request": "true"})

    assert conflict.status_code == 409
    assert keep_mine["version"] == "2"
    assert response.status_code == 200
    measurement.refresh_from_db()
    assert (measurement.value, measurement.version) == (Decimal(7), 3)


# Key results


def test_keyresult_create_preselects_the_goal(editor_client, product, metric):
    goal = GoalFactory(product=product, title="Grow retention")

    response = editor_client.get(
        reverse("metrics:keyresult_create", args=["fabrikam-style"])
        + f"?goal={goal.pk}"
    )

    assert f'<option value="{goal.pk}" selected>'.encode() in response.content


def test_keyresult_create_saves_and_redirects_to_its_page(
    editor_client, product, metric
):
    response = editor_client.post(
        reverse("metrics:keyresult_create", args=["fabrikam-style"]),
        {
            "metric": metric.pk,
            "baseline": "1200",
            "target": "2000",
            "start_date": "2026-10-01",
            "due_date": "2027-03-31",
        },
    )

    key_result = KeyResult.objects.get()
    assert response["Location"] == reverse(
        "metrics:keyresult_detail", args=["fabrikam-style", key_result.pk]
    )
    assert key_result.statement == (
        "Increase weekly active users from 1,200 to 2,000 by 31 Mar 2027"
    )


def test_keyresult_form_refuses_a_target_against_the_metric_direction(
    editor_client, metric
):
    response = editor_client.post(
        reverse("metrics:keyresult_create", args=["fabrikam-style"]),
        {
            "metric": metric.pk,
            "baseline": "2000",
            "target": "1200",
            "start_date": "2026-10-01",
            "due_date": "2027-03-31",
        },
    )

    assert response.status_code == 200
    assert b"the target must not be below the baseline" in response.content
    assert not KeyResult.objects.exists()


def test_keyresult_create_refuses_viewers(viewer_client, metric):
    response = viewer_client.post(
        reverse("metrics:keyresult_create", args=["fabrikam-style"]),
        {
            "metric": metric.pk,
            "baseline": "1",
            "target": "2",
            "start_date": "2026-10-01",
            "due_date": "2027-03-31",
        },
    )

    assert response.status_code == 403


def test_keyresult_edit_with_stale_version_answers_conflict(editor_client, metric):
    key_result = KeyResultFactory(metric=metric, goal=None)
    KeyResult.objects.filter(pk=key_result.pk).update(target=900, version=2)

    response = editor_client.post(
        reverse("metrics:keyresult_edit", args=["fabrikam-style", key_result.pk]),
        {
            "metric": metric.pk,
            "baseline": "100",
            "target": "700",
            "start_date": "2026-07-01",
            "due_date": "2027-06-30",
            "version": 1,
        },
    )

    assert response.status_code == 409
    key_result.refresh_from_db()
    assert key_result.target == 900


def test_keyresult_edit_form_keeps_offering_its_archived_goal(editor_client, metric):
    """Saving an unrelated change must not unlink a goal that was archived since."""
    goal = GoalFactory(product=metric.product, title="Old goal", status="archived")
    key_result = KeyResultFactory(metric=metric, goal=goal)

    response = editor_client.get(
        reverse("metrics:keyresult_edit", args=["fabrikam-style", key_result.pk])
    )

    assert f'<option value="{goal.pk}" selected>Old goal</option>' in response.text


def test_keyresult_detail_shows_progress_chart_and_check_ins(viewer_client, metric):
    key_result = KeyResultFactory(metric=metric, baseline=100, target=500)
    measure(metric, [100, 300])
    CheckInFactory(key_result=key_result, what_happened="Onboarding shipped.")

    response = viewer_client.get(
        reverse("metrics:keyresult_detail", args=["fabrikam-style", key_result.pk])
    )

    content = response.content.decode()
    assert "50%" in content
    assert 'class="chart-path"' in content
    assert "Onboarding shipped." in content
    assert "Record a check-in" not in content


def test_checkin_create_from_a_score_derives_confidence(editor_client, metric):
    key_result = KeyResultFactory(metric=metric)

    response = editor_client.post(
        reverse("metrics:checkin_create", args=["fabrikam-style", key_result.pk]),
        {
            "date": "2026-10-01",
            "score": "8",
            "what_happened": "Good week.",
            "next_steps": "More of it.",
        },
        headers={"HX-Request": "true"},
    )

    check_in = CheckIn.objects.get()
    assert (check_in.confidence, check_in.score) == ("high", 8)
    assert b'id="checkins"' in response.content
    assert b"Good week." in response.content


def test_checkin_create_without_confidence_or_score_shows_error(editor_client, metric):
    key_result = KeyResultFactory(metric=metric)

    response = editor_client.post(
        reverse("metrics:checkin_create", args=["fabrikam-style", key_result.pk]),
        {"date": "2026-10-01", "what_happened": "Kept typing."},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert b"Choose a confidence or give a score" in response.content
    assert b"Kept typing." in response.content
    assert not CheckIn.objects.exists()


def test_checkin_create_refuses_viewers(viewer_client, metric):
    key_result = KeyResultFactory(metric=metric)

    response = viewer_client.post(
        reverse("metrics:checkin_create", args=["fabrikam-style", key_result.pk]),
        {"date": "2026-10-01", "confidence": "low", "what_happened": "x"},
    )

    assert response.status_code == 403
    assert not CheckIn.objects.exists()


# Import


def test_import_preview_writes_nothing(editor_client, metric):
    response = editor_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {"action": "preview", "text": "Weekly active users,2026-03-02,1250,\n"},
    )

    assert response.status_code == 200
    assert b"1 new" in response.content
    assert not Measurement.objects.exists()


def test_import_confirm_writes_every_row_with_import_source(editor_client, metric):
    MeasurementFactory(metric=metric, date=dt.date(2026, 3, 2), value=1)

    response = editor_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {
            "action": "confirm",
            "text": "metric;date;value\nWeekly active users;2026-03-02;1250\nWeekly active users;2026-03-09;1300",
        },
    )

    assert response.status_code == 302
    assert sorted(metric.measurements.values_list("value", "source")) == [
        (Decimal(1250), "import"),
        (Decimal(1300), "import"),
    ]


def test_import_confirm_with_an_invalid_row_writes_nothing(editor_client, metric):
    response = editor_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {
            "action": "confirm",
            "text": "Weekly active users,2026-03-02,1250\nWeekly active users,2026-03-09,lots",
        },
    )

    assert response.status_code == 200
    assert b"is not a number" in response.content
    assert not Measurement.objects.exists()


def test_import_accepts_an_uploaded_file(editor_client, metric):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "m.csv", b"\xef\xbb\xbfmetric,date,value\nWeekly active users,2026-03-02,5\n"
    )

    response = editor_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {"action": "preview", "file": upload},
    )

    assert b"1 new" in response.content


def test_import_refuses_a_file_with_nul_characters_without_writing(
    editor_client, metric
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("m.csv", b"Weekly active users,2026-03-02,5,a\x00b\n")

    response = editor_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {"action": "confirm", "file": upload},
    )

    assert response.status_code == 200
    assert b"NUL character" in response.content
    assert not metric.measurements.exists()


def test_import_refuses_viewers(viewer_client, metric):
    response = viewer_client.post(
        reverse("metrics:measurement_import", args=["fabrikam-style"]),
        {"action": "confirm", "text": "Weekly active users,2026-03-02,1250"},
    )

    assert response.status_code == 403
    assert not Measurement.objects.exists()


# API tokens


def test_token_create_shows_the_secret_once_and_stores_its_hash(editor_client, product):
    response = editor_client.post(
        reverse("metrics:token_list", args=["fabrikam-style"]), {"name": "Warehouse"}
    )

    token = ApiToken.objects.get()
    secret = response.context["secret"]
    assert secret.encode() in response.content
    assert token.token_hash == ApiToken.hash_secret(secret)
    again = editor_client.get(reverse("metrics:token_list", args=["fabrikam-style"]))
    assert secret.encode() not in again.content


def test_token_revoke_deactivates_it(editor_client, product):
    token, _ = ApiToken.issue(product=product, name="Old")

    editor_client.post(
        reverse("metrics:token_revoke", args=["fabrikam-style", token.pk])
    )

    assert not ApiToken.objects.active().exists()


def test_token_revoke_of_another_products_token_is_404(editor_client, product):
    token, _ = ApiToken.issue(product=ProductFactory(), name="Theirs")

    response = editor_client.post(
        reverse("metrics:token_revoke", args=["fabrikam-style", token.pk])
    )

    assert response.status_code == 404
    assert ApiToken.objects.active().exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_token_pages_refuse_viewers(viewer_client, product, method):
    response = getattr(viewer_client, method)(
        reverse("metrics:token_list", args=["fabrikam-style"]), {"name": "Mine"}
    )

    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_token_revoke_refuses_viewers(viewer_client, product):
    token, _ = ApiToken.issue(product=product, name="Keep")

    response = viewer_client.post(
        reverse("metrics:token_revoke", args=["fabrikam-style", token.pk])
    )

    assert response.status_code == 403
    assert ApiToken.objects.active().exists()
