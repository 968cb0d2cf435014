"""Whatever an editor posts to any form, the app never answers 500.

Walks the URL configuration (the walker of tests/test_standalone_pages.py),
opens every page as an editor to learn the forms it offers, then posts to
every route that takes a POST: the real form's fields with some values
replaced by arbitrary ones (random and unicode text, huge and negative
numbers, wrong versions, impossible dates, NUL characters), some fields left
out and unknown ones added, as a plain post and as htmx. Each example runs in
a savepoint that is rolled back, so every one starts from the same objects.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_standalone_pages import ROUTES, fill, world  # noqa: F401 (fixture)
from tests.webclient import forms_in

pytestmark = pytest.mark.django_db

EXAMPLES_PER_ENDPOINT = 10

ODD_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "9" * 40,
    "1e309",
    "1e-79",
    "NaN",
    "-Infinity",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "31/12/2026",
    "null",
    "[]",
    "{}",
    "\x00",
    "\u202e\u00e9\U0001f600",
    "<script>x</script>",
    "'; DROP TABLE x; --",
    "%00",
    "a" * 5000,
]

odd_value = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(lambda day: day.isoformat()),
)


def discover_forms(client, paths: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The fields of every form the pages offer, by the path the form posts to."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        for form in forms_in(response.content.decode()):
            target = urllib.parse.urlsplit(form.action or path).path or path
            found.setdefault(target, form.fields)
    return found


def post_routes(client, paths: list[str]) -> list[str]:
    """The paths that take a POST (an empty one is not refused with 405)."""
    taking = []
    for path in paths:
        with transaction.atomic():
            status = client.post(path, {}).status_code
            transaction.set_rollback(True)
        assert status < 500, (path, status)
        if status != 405:
            taking.append(path)
    return taking


@st.composite
def posted_data(draw, fields: list[tuple[str, str]], names: list[str]):
    """The form as a browser would send it, with some of it changed by hand."""
    data: list[tuple[str, str]] = []
    for name, value in fields:
        if name == "csrfmiddlewaretoken":
            continue
        choice = draw(st.sampled_from(["keep", "keep", "odd", "drop"]))
        if choice == "keep":
            data.append((name, value))
        elif choice == "odd":
            data.append((name, draw(odd_value)))
    extra = draw(st.lists(st.sampled_from(names), max_size=3 if fields else 8))
    data += [(name, draw(odd_value)) for name in extra]
    if draw(st.booleans()):
        data.append((draw(st.text(max_size=12)), draw(odd_value)))
    return data


def as_dict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    posted: dict[str, list[str]] = {}
    for name, value in pairs:
        posted.setdefault(name, []).append(value)
    return posted


def fuzz(client, path: str, fields, names: list[str], examples: Counter[str]) -> None:
    """Post EXAMPLES_PER_ENDPOINT arbitrary variations of the form to path."""

    @settings(
        max_examples=EXAMPLES_PER_ENDPOINT,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=posted_data(fields, names), htmx=st.booleans())
    def post_anything(data: list[tuple[str, str]], htmx: bool) -> None:
        examples[path] += 1
        headers = {"HX-Request": "true"} if htmx else {}
        with transaction.atomic():
            response = client.post(path, as_dict(data), headers=headers)
            transaction.set_rollback(True)
        assert response.status_code < 500, (path, data, response.status_code)

    post_anything()


def test_no_post_to_any_form_answers_500(world, editor_client):  # noqa: F811
    paths = sorted({path for route in ROUTES for path in fill(route, world)})
    forms = discover_forms(editor_client, paths)
    names = sorted({name for fields in forms.values() for name, _ in fields})
    endpoints = post_routes(editor_client, paths)
    examples: Counter[str] = Counter()

    for path in endpoints:
        fuzz(editor_client, path, forms.get(path, []), names, examples)

    assert len(endpoints) >= 40
    assert len(forms) >= 30
    assert min(examples.values()) == EXAMPLES_PER_ENDPOINT
