"""Twenty people saving at the same moment, through the served app.

Real HTTP requests from twenty threads, released together by a barrier,
against pytest-django's live server (a threaded server with one database
connection per request): the optimistic version check must hold when the
saves really overlap in the database, not only one after another.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.urls import reverse

from roadmap.models import Feature, Outcome
from strategy.models import HistoryEntry
from tests.roadmap.factories import FeatureFactory, OutcomeFactory
from tests.strategy.factories import UserFactory
from tests.webclient import Answer, WebClient

# The server's connections must see what the test wrote: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 20
PASSWORD = "correct horse battery staple"
FACTORIES = {"outcome": OutcomeFactory, "feature": FeatureFactory}
MODELS = {"outcome": Outcome, "feature": Feature}


@pytest.fixture
def clients(live_server, product) -> list[WebClient]:
    """Twenty editors of the product, each signed in at their own browser."""
    signed_in = []
    for number in range(CLIENTS):
        user = UserFactory(username=f"editor-{number}")
        product.editors.add(user)
        client = WebClient(live_server.url)
        client.login(user.username, PASSWORD)
        signed_in.append(client)
    return signed_in


def all_at_once(actions: list[Callable[[], Answer]]) -> list[Answer]:
    """Run each action in its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], Answer]) -> Answer:
        barrier.wait(timeout=30)
        return action()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def edit_url(product: Any, kind: str, pk: int) -> str:
    return reverse("roadmap:card_edit", args=[product.slug, kind, pk])


@pytest.mark.parametrize("kind", ["outcome", "feature"])
def test_twenty_saves_of_one_card_from_one_version_keep_exactly_one(
    kind, clients, product
):
    card = FACTORIES[kind](roadmap=product.roadmap, title="Visitors see value")
    url = edit_url(product, kind, card.pk)
    forms = [client.form(url) for client in clients]
    assert {form.value("version") for form in forms} == {str(card.version)}

    answers = all_at_once(
        [
            lambda client=client, form=form, n=n: client.post(
                url, form.data(title=f"Title by editor {n}"), htmx=True
            )
            for n, (client, form) in enumerate(zip(clients, forms, strict=True))
        ]
    )

    statuses = sorted(answer.status for answer in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1)
    for answer in answers:
        if answer.status == 409:
            assert "Someone else saved this" in answer.body
    winner = next(n for n, answer in enumerate(answers) if answer.status == 200)
    card = MODELS[kind].objects.get(pk=card.pk)
    assert card.title == f"Title by editor {winner}"
    assert card.version == 2
    entries = HistoryEntry.objects.filter(item_kind=kind, item_id=card.pk)
    assert [(e.field, e.before, e.after, e.actor.username) for e in entries] == [
        ("title", "Visitors see value", card.title, f"editor-{winner}")
    ]


def test_twenty_saves_of_twenty_cards_all_succeed(clients, product):
    cards = [
        OutcomeFactory(roadmap=product.roadmap, title=f"Outcome {n}")
        for n in range(CLIENTS)
    ]
    urls = [edit_url(product, "outcome", card.pk) for card in cards]
    forms = [client.form(url) for client, url in zip(clients, urls, strict=True)]

    answers = all_at_once(
        [
            lambda client=client, url=url, form=form, n=n: client.post(
                url, form.data(title=f"Sharper outcome {n}"), htmx=True
            )
            for n, (client, url, form) in enumerate(
                zip(clients, urls, forms, strict=True)
            )
        ]
    )

    assert [answer.status for answer in answers] == [200] * CLIENTS
    saved = Outcome.objects.filter(pk__in=[card.pk for card in cards])
    assert sorted(saved.values_list("title", "version")) == sorted(
        (f"Sharper outcome {n}", 2) for n in range(CLIENTS)
    )
    entries = HistoryEntry.objects.filter(
        item_kind="outcome", item_id__in=[card.pk for card in cards]
    )
    assert sorted(entries.values_list("item_id", "field", "after")) == sorted(
        (card.pk, "title", f"Sharper outcome {n}") for n, card in enumerate(cards)
    )
