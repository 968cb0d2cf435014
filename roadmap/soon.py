"""The "Soon" kit: what sales, marketing and support may say is coming next.

The kit lists the Soon column of one product or of every product: the
customer-visible outcomes and features by their customer summary, with how
sure the team is in plain words, and apart from them the rest of Soon, which
must not be repeated to customers. It also says what changed since the
reader's last visit, by comparing what Soon holds now with what the kit
showed them then (`SoonVisit.items`).

Everything is read with a fixed number of queries whatever the size of the
roadmap (`load_soon_kit`); the Soon column is small enough that the filters
are applied in Python, after the comparison, which must see all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from roadmap.board import Option, on_board
from roadmap.models import (
    CLOSED_OUTCOME_STATUSES,
    Feature,
    Horizon,
    Insight,
    Outcome,
    OutcomeConfidence,
    OutcomeStatus,
    Roadmap,
    SoonVisit,
)
from strategy.models import Product, Theme

ITEM_KINDS = ("outcome", "feature")

# How sure the team is, in words a customer-facing colleague may repeat.
CERTAINTY = {
    "safe": ("sure", "Safe to promise"),
    OutcomeConfidence.HIGH: ("likely", "Likely"),
    OutcomeConfidence.MEDIUM: ("planned", "Planned, may change"),
    OutcomeConfidence.LOW: ("exploring", "Exploring"),
}

# The signed "what you saw" a page posts back when it is marked as seen.
SEEN_SALT = "roadmap.soon.seen"


@dataclass(frozen=True)
class SoonFilters:
    product: str = ""
    theme: int | None = None
    team: int | None = None
    q: str = ""

    @property
    def narrowed(self) -> bool:
        return bool(self.theme or self.team or self.q)


@dataclass(frozen=True)
class SoonItem:
    """An outcome or a feature in Soon, as the kit shows it."""

    kind: str
    pk: int
    product_id: int
    product_slug: str
    title: str
    customer_summary: str
    is_customer_visible: bool
    safe_to_promise: bool
    confidence: str
    theme_id: int | None
    team_ids: tuple[int, ...]
    team_names: tuple[str, ...]
    outcome_title: str
    accounts_asking: int
    soon_hint: str

    @property
    def blurb(self) -> str:
        """What a customer may be told, ready to paste."""
        return f"Coming {self.soon_hint or 'soon'}: {self.customer_summary.strip()}"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def certainty_level(self) -> str:
        return CERTAINTY["safe" if self.safe_to_promise else self.confidence][0]

    @property
    def certainty(self) -> str:
        return CERTAINTY["safe" if self.safe_to_promise else self.confidence][1]

    @property
    def has_customer_words(self) -> bool:
        return bool(self.customer_summary.strip())

    @property
    def kind_label(self) -> str:
        return "Outcome" if self.kind == "outcome" else "Feature"

    def state(self) -> list[Any]:
        """What the next visit compares: visibility, promise, confidence, title."""
        return [
            self.is_customer_visible,
            self.safe_to_promise,
            self.confidence,
            self.shown_title,
        ]

    @property
    def shown_title(self) -> str:
        """The words a change line uses: the customer's if they may hear it."""
        if self.is_customer_visible and self.has_customer_words:
            return self.customer_summary
        return self.title

    def matches(self, filters: SoonFilters) -> bool:
        if filters.theme and self.theme_id != filters.theme:
            return False
        if filters.team and filters.team not in self.team_ids:
            return False
        if filters.q:
            needle = filters.q.casefold()
            haystack = " ".join(
                (self.title, self.customer_summary, self.outcome_title)
            ).casefold()
            return needle in haystack
        return True


@dataclass(frozen=True)
class Change:
    """One line of "what changed since your last visit"."""

    kind: str  # entered, left, safe, confidence
    title: str
    detail: str
    customer_visible: bool


@dataclass(frozen=True)
class ProductSoon:
    product: Product
    label: str
    hint: str
    shareable: tuple[SoonItem, ...]
    internal: tuple[SoonItem, ...]
    changes: tuple[Change, ...]
    first_visit: bool
    last_seen: Any
    hidden_by_filters: int


@dataclass(frozen=True)
class SoonKit:
    products: tuple[ProductSoon, ...]
    filters: SoonFilters
    product_options: tuple[Option, ...]
    theme_options: tuple[Option, ...]
    team_options: tuple[Option, ...]
    # The Soon each product showed, signed, for "mark as seen".
    seen_token: str = ""
    state: dict[int, dict[str, list[Any]]] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return any(p.changes for p in self.products)


def _accounts_asking(link: str) -> Subquery:
    """How many distinct accounts asked for the item (case-insensitive)."""
    return Subquery(
        Insight.objects.filter(**{link: OuterRef("pk")})
        .exclude(account="")
        .order_by()
        .values(link)
        .annotate(accounts=Count(Lower("account"), distinct=True))
        .values("accounts"),
        output_field=IntegerField(),
    )


ITEM_MODELS = {"outcome": Outcome, "feature": Feature}


def _live_items(kind: str, product_ids: Sequence[int]) -> QuerySet:
    """The live outcomes or features of these products, with their askers.

    Closed outcomes and the features that served them are in the Done
    archive, not coming: the kit never offers them.
    """
    return (
        ITEM_MODELS[kind]
        .objects.alive()
        .filter(on_board(kind), roadmap__product_id__in=product_ids)
        .annotate(accounts_asking=Coalesce(_accounts_asking(kind), Value(0)))
        .order_by("roadmap__product_id", "position", "id")
    )


# What the kit reads of an outcome and of a feature, under the same names.
ITEM_VALUES = (
    "pk",
    "title",
    "customer_summary",
    "is_customer_visible",
    "safe_to_promise",
    "accounts_asking",
)
ITEM_EXPRESSIONS = {
    "product_id": F("roadmap__product_id"),
    "product_slug": F("roadmap__product__slug"),
    "soon_hint": F("roadmap__soon_hint"),
}
KIND_EXPRESSIONS = {
    "outcome": {
        "sureness": F("confidence"),
        "theme_pk": F("goal__theme_id"),
        "toward": Value(""),
    },
    # A feature is as sure as the outcome it should move.
    "feature": {
        "sureness": Coalesce(F("outcome__confidence"), Value(OutcomeConfidence.MEDIUM)),
        "theme_pk": F("outcome__goal__theme_id"),
        "toward": Coalesce(F("outcome__title"), Value("")),
    },
}


def _teams(kind: str, rows: list[dict[str, Any]]) -> dict[int, list[tuple[int, str]]]:
    """Each item's teams: an outcome's several, a feature's one."""
    teams: dict[int, list[tuple[int, str]]] = {}
    if kind == "feature":
        for row in rows:
            if row["team_id"]:
                teams[row["pk"]] = [(row["team_id"], row["team__name"])]
        return teams
    for outcome_id, team_id, name in Outcome.teams.through.objects.filter(
        outcome_id__in=[row["pk"] for row in rows]
    ).values_list("outcome_id", "team_id", "team__name"):
        teams.setdefault(outcome_id, []).append((team_id, name))
    return teams


def _items(kind: str, queryset: QuerySet) -> list[SoonItem]:
    extra = ("team_id", "team__name") if kind == "feature" else ()
    rows = list(
        queryset.values(
            *ITEM_VALUES, *extra, **ITEM_EXPRESSIONS, **KIND_EXPRESSIONS[kind]
        )
    )
    teams = _teams(kind, rows)
    return [
        SoonItem(
            kind=kind,
            pk=row["pk"],
            product_id=row["product_id"],
            product_slug=row["product_slug"],
            title=row["title"],
            customer_summary=row["customer_summary"],
            is_customer_visible=row["is_customer_visible"],
            safe_to_promise=row["safe_to_promise"],
            confidence=row["sureness"],
            theme_id=row["theme_pk"],
            team_ids=tuple(team_id for team_id, _ in teams.get(row["pk"], ())),
            team_names=tuple(name for _, name in teams.get(row["pk"], ())),
            outcome_title=row["toward"],
            accounts_asking=row["accounts_asking"],
            soon_hint=row["soon_hint"],
        )
        for row in rows
    ]


def soon_item(product: Product, kind: str, pk: int) -> SoonItem | None:
    """One outcome or feature of the product as the kit shows it, in Soon or not."""
    items = _items(kind, _live_items(kind, [product.pk]).filter(pk=pk))
    return items[0] if items else None


def _where_it_went(left: Iterable[str]) -> dict[str, tuple[str, bool, str]]:
    """For items no longer in Soon: their horizon now, "deleted", and the
    status of the closed outcome that took them off the roadmap (or "")."""
    ids: dict[str, list[int]] = {kind: [] for kind in ITEM_KINDS}
    for key in left:
        kind, _, pk = key.partition(":")
        if kind in ids and pk.isdigit():
            ids[kind].append(int(pk))
    where: dict[str, tuple[str, bool, str]] = {}
    for kind, model in ITEM_MODELS.items():
        if not ids[kind]:
            continue
        status = "status" if kind == "outcome" else "outcome__status"
        for pk, horizon, deleted_at, outcome_status in model.objects.filter(
            pk__in=ids[kind]
        ).values_list("pk", "horizon", "deleted_at", status):
            closed = outcome_status if outcome_status in CLOSED_OUTCOME_STATUSES else ""
            where[f"{kind}:{pk}"] = (horizon, deleted_at is not None, closed)
    return where


def _changes(
    before: dict[str, list[Any]],
    now: dict[str, SoonItem],
    where: dict[str, tuple[str, bool, str]],
    roadmap: Roadmap,
) -> list[Change]:
    changes = []
    for key, item in now.items():
        old = before.get(key)
        visible = item.is_customer_visible
        if old is None:
            changes.append(Change("entered", item.shown_title, "New in Soon", visible))
            continue
        if item.safe_to_promise and not old[1]:
            changes.append(
                Change("safe", item.shown_title, "Now safe to promise", visible)
            )
        elif old[1] and not item.safe_to_promise:
            changes.append(
                Change(
                    "unsafe",
                    item.shown_title,
                    f"No longer safe to promise: {item.certainty.lower()}",
                    visible,
                )
            )
        elif old[2] != item.confidence and not item.safe_to_promise:
            was = CERTAINTY[old[2]][1] if old[2] in CERTAINTY else old[2]
            changes.append(
                Change(
                    "confidence",
                    item.shown_title,
                    f"Confidence: {was.lower()} → {item.certainty.lower()}",
                    visible,
                )
            )
    for key, old in before.items():
        if key in now:
            continue
        horizon, deleted, closed = where.get(key, ("", True, ""))
        if deleted:
            detail = "Removed from the roadmap"
        elif closed:
            detail = f"Closed: {OutcomeStatus(closed).label.lower()}"
        else:
            detail = f"Moved to {roadmap.horizon_label(horizon)}"
        changes.append(Change("left", old[3], detail, bool(old[0])))
    return changes


def _option_lists(
    products: Sequence[Product], items: Iterable[SoonItem], many: bool
) -> tuple[tuple[Option, ...], tuple[Option, ...]]:
    theme_ids = {item.theme_id for item in items if item.theme_id}
    product_names = {p.pk: p.name for p in products}
    themes = [
        Option(
            theme.pk,
            f"{product_names[theme.product_id]} · {theme.title}"
            if many
            else theme.title,
        )
        for theme in Theme.objects.filter(pk__in=theme_ids).order_by(
            "product_id", "position", "id"
        )
    ]
    teams: dict[int, str] = {}
    for item in items:
        teams.update(zip(item.team_ids, item.team_names, strict=True))
    team_options = [
        Option(pk, name)
        for pk, name in sorted(teams.items(), key=lambda t: t[1].casefold())
    ]
    return tuple(themes), tuple(team_options)


def load_soon_kit(
    products: Sequence[Product], filters: SoonFilters, *, user: Any
) -> SoonKit:
    """Gather the Soon kit of `products` for `user`, in a fixed number of queries."""
    shown = [p for p in products if not filters.product or p.slug == filters.product]
    ids = [p.pk for p in shown]
    roadmaps = {r.product_id: r for r in Roadmap.objects.filter(product_id__in=ids)}
    items = [
        item
        for kind in ITEM_KINDS
        for item in _items(kind, _live_items(kind, ids).filter(horizon=Horizon.SOON))
    ]
    visits = {
        visit.product_id: visit
        for visit in SoonVisit.objects.filter(user=user, product_id__in=ids)
    }
    by_product: dict[int, dict[str, SoonItem]] = {pk: {} for pk in ids}
    for item in items:
        by_product[item.product_id][item.key] = item
    left = [
        key
        for pk, visit in visits.items()
        for key in visit.items
        if key not in by_product[pk]
    ]
    where = _where_it_went(left) if left else {}
    sections = []
    for product in shown:
        roadmap = roadmaps.get(product.pk) or Roadmap(product=product)
        now = by_product[product.pk]
        visit = visits.get(product.pk)
        matching = [item for item in now.values() if item.matches(filters)]
        sections.append(
            ProductSoon(
                product=product,
                label=roadmap.soon_label,
                hint=roadmap.soon_hint,
                shareable=tuple(i for i in matching if i.is_customer_visible),
                internal=tuple(i for i in matching if not i.is_customer_visible),
                changes=tuple(_changes(visit.items, now, where, roadmap))
                if visit
                else (),
                first_visit=visit is None,
                last_seen=visit.seen_at if visit else None,
                hidden_by_filters=len(now) - len(matching),
            )
        )
    state = {
        pk: {key: item.state() for key, item in now.items()}
        for pk, now in by_product.items()
    }
    themes, teams = _option_lists(products, items, many=len(products) > 1)
    return SoonKit(
        products=tuple(sections),
        filters=filters,
        product_options=tuple(Option(p.slug, p.name) for p in products),
        theme_options=themes,
        team_options=teams,
        seen_token=signing.dumps(
            {str(pk): items for pk, items in state.items()},
            salt=SEEN_SALT,
            compress=True,
        ),
        state=state,
    )


def mark_seen(user: Any, token: str, products: Sequence[Product]) -> int:
    """Store what the kit showed `user` (the signed token it posted back).

    Only the products the user may read and the token names are stored; a
    token that was tampered with raises `signing.BadSignature`. Return how
    many products were marked.
    """
    seen = signing.loads(token, salt=SEEN_SALT)
    now = timezone.now()
    marked = 0
    for product in products:
        items = seen.get(str(product.pk))
        if items is None:
            continue
        SoonVisit.objects.update_or_create(
            user=user,
            product=product,
            defaults={"seen_at": now, "items": items},
        )
        marked += 1
    return marked
