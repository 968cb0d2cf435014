"""A board's data at a revision, patched from the revision before by what changed.

Reading a board from scratch counts every card of every cell and reads the
first cards of all twelve cells, so its cost grows with the roadmap. Most
writes touch one card, or the two cells a move connects. The services that
make those writes record what they touched (`record`), under the revision
they made, once their transaction commits. The next read at that revision
takes the data of the revision before it from the cache and re-reads only
what the record names: the cells whose cards or counts changed, and the
cards whose markup changed where they are shown.

A revision without a record (a write that records nothing, a rolled-back
write's number taken by the next one, an entry the cache dropped) is read
from scratch: a missing record costs time, never a stale board.

With a shared cache (Redis) every worker finds the records there. With each
worker's own memory, a record kept by the worker that wrote is unknown to
the others, which would read the whole board after every write. So the write
also announces its record on the share pages' channel, in its transaction
(PostgreSQL delivers it on commit), and each worker's listener keeps it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import astuple, dataclass, replace

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.utils import timezone
from pydantic import TypeAdapter, ValidationError

from roadmap import share_cache
from roadmap.board import (
    FIRST_PAGE,
    KINDS,
    MARKUP_VERSION,
    AnyCard,
    BoardFilters,
    Cell,
    FilterOptions,
    Grid,
    _cards_queryset,
    _to_cards,
    build_grid,
    cache_set,
    cell_counts,
    filter_options,
    first_cards,
)
from roadmap.models import Roadmap

# How many writes back a read looks for data to patch.
CHAIN = 32

CellKey = tuple[str, str]  # (kind, horizon)
CardKey = tuple[str, int]  # (kind, pk)


@dataclass(frozen=True)
class BoardChange:
    """What writes changed on a board, as far as its data is concerned."""

    # Cells whose cards, order or counts changed: read again.
    cells: frozenset[CellKey] = frozenset()
    # Cards whose markup changed: read again where the board shows them.
    cards: frozenset[CardKey] = frozenset()
    # Outcomes whose title changed: every card shown under it is read again.
    outcome_titles: frozenset[int] = frozenset()
    # The goals, themes or teams the board refers to may have changed.
    options: bool = False

    def __or__(self, other: BoardChange) -> BoardChange:
        return BoardChange(
            cells=self.cells | other.cells,
            cards=self.cards | other.cards,
            outcome_titles=self.outcome_titles | other.outcome_titles,
            options=self.options or other.options,
        )


@dataclass(frozen=True)
class BoardData:
    grid: Grid
    options: FilterOptions


def _key(kind: str, *parts: object) -> str:
    digest = hashlib.blake2b(
        repr((MARKUP_VERSION, kind, parts)).encode(), digest_size=16
    ).hexdigest()
    return f"{kind}:{digest}"


def change_key(product_id: int, revision: int) -> str:
    return _key("board-change", product_id, revision)


def data_key(
    product_id: int,
    revision: int,
    filters: BoardFilters,
    loaded: dict[str, int],
    today: dt.date,
) -> str:
    return _key(
        "board-data",
        product_id,
        revision,
        astuple(filters),
        sorted(loaded.items()),
        today.isoformat(),  # progress and freshness depend on today
    )


def record(product_id: int, revision: int, change: BoardChange | None) -> None:
    """Keep what the write that made `revision` changed, once it commits.

    None records nothing: the next read starts from scratch.
    """
    if change is None or not revision:
        return
    transaction.on_commit(lambda: cache_set(change_key(product_id, revision), change))
    if _workers_keep_their_own():
        _announce(product_id, revision, change)


# Announcing records to the other workers -------------------------------------------

# PostgreSQL refuses a notification of 8,000 bytes or more; a record that large
# is not announced (the other workers read that board from scratch).
ANNOUNCEMENT_BYTES = 7_900
_announcement = TypeAdapter(BoardChange)


def _workers_keep_their_own() -> bool:
    """Whether records live in each worker's memory and its listener runs."""
    return isinstance(caches["board"], LocMemCache) and share_cache.enabled()


def _announce(product_id: int, revision: int, change: BoardChange) -> None:
    payload = (
        f"{share_cache.BOARD_CHANGE_PREFIX}{product_id}:{revision}:"
        + _announcement.dump_json(change).decode()
    )
    if len(payload.encode()) >= ANNOUNCEMENT_BYTES:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_notify(%s, %s)", [share_cache.CHANNEL, payload])


def keep_announced(payload: str | None) -> None:
    """Keep a record another worker announced (the listener calls this)."""
    if payload is None or not payload.startswith(share_cache.BOARD_CHANGE_PREFIX):
        return
    try:
        _, product_id, revision, body = payload.split(":", 3)
        key = change_key(int(product_id), int(revision))
        change = _announcement.validate_json(body)
    except (ValueError, ValidationError):  # not one of ours: ignore it
        return
    cache_set(key, change)


def read(
    roadmap: Roadmap, filters: BoardFilters, loaded: dict[str, int], today: dt.date
) -> BoardData:
    """The board's data read from scratch."""
    return BoardData(
        grid=build_grid(roadmap, filters, loaded=loaded, today=today),
        options=filter_options(roadmap),
    )


def board_data(
    roadmap: Roadmap,
    filters: BoardFilters,
    *,
    loaded: dict[str, int],
    revision: int,
    today: dt.date | None = None,
) -> BoardData:
    """The board's data at `revision`: cached, patched, or read from scratch.

    A text search or the score order is always read: a search is rarely
    asked twice, and one estimate can change every feature's rank.
    """
    today = today or timezone.localdate()
    if filters.q or filters.by_score or not roadmap.pk:
        return read(roadmap, filters, loaded, today)
    if _workers_keep_their_own():
        share_cache.memory.start()  # its listener keeps the others' records
    product_id = roadmap.product_id
    oldest = max(revision - CHAIN, 0)
    board = caches["board"]
    wanted = data_key(product_id, revision, filters, loaded, today)
    change_keys = {
        rev: change_key(product_id, rev) for rev in range(revision, oldest, -1)
    }
    # Changes are small: read them all at once. A board's data is not: read
    # the newest one there is, one at a time.
    found = board.get_many([wanted, *change_keys.values()])
    data = found.get(wanted)
    if data is not None:
        return data
    change = BoardChange()
    for rev in range(revision, oldest, -1):
        step = found.get(change_keys[rev])
        if step is None:
            break
        change = change | step
        base = board.get(data_key(product_id, rev - 1, filters, loaded, today))
        if base is not None:
            data = patch(roadmap, filters, loaded, today, base, change)
            break
    if data is None:
        data = read(roadmap, filters, loaded, today)
    cache_set(wanted, data)
    return data


def patch(
    roadmap: Roadmap,
    filters: BoardFilters,
    loaded: dict[str, int],
    today: dt.date,
    base: BoardData,
    change: BoardChange,
) -> BoardData | None:
    """`base` with what `change` names read again; None if that cannot hold.

    A card read again that has left its cell, or no longer passes the
    filters, means the change was not what its record said: read the board
    from scratch rather than guess.
    """
    cells = {(cell.row.kind, cell.horizon): cell for cell in base.grid.cells()}
    fresh: dict[CellKey, Cell] = {}
    if change.cells:
        counts = cell_counts(roadmap, filters, change.cells)
        horizons_of: dict[str, list[str]] = defaultdict(list)
        for kind, horizon in sorted(change.cells):
            horizons_of[kind].append(horizon)
        for kind, horizons in horizons_of.items():
            limits = {
                h: max(FIRST_PAGE, loaded.get(f"{kind}-{h}", 0)) for h in horizons
            }
            first = first_cards(roadmap, kind, filters, limits, today, horizons)
            for horizon in horizons:
                shown, total = counts[(kind, horizon)]
                fresh[(kind, horizon)] = replace(
                    cells[(kind, horizon)],
                    cards=first.get(horizon, []),
                    shown=shown,
                    total=total,
                )
    kept = [key for key in cells if key not in fresh]
    stale = _stale_cards(change, (card for key in kept for card in cells[key].cards))
    reread = _read_cards(roadmap, filters, stale, today)
    for key in kept:
        cell = cells[key]
        if not any((card.kind, card.pk) in reread for card in cell.cards):
            fresh[key] = cell
            continue
        cards: list[AnyCard] = []
        for card in cell.cards:
            new = (
                reread[(card.kind, card.pk)] if (card.kind, card.pk) in stale else card
            )
            if new is None or new.horizon != cell.horizon:
                return None
            cards.append(new)
        fresh[key] = replace(cell, cards=cards)
    rows = [
        (spec, [fresh[(spec.kind, cell.horizon)] for cell in row_cells])
        for spec, row_cells in base.grid.rows
    ]
    grid = Grid(
        columns=base.grid.columns,
        rows=rows,
        shown=sum(cell.shown for _, row_cells in rows for cell in row_cells),
        total=sum(cell.total for _, row_cells in rows for cell in row_cells),
    )
    options = filter_options(roadmap) if change.options else base.options
    return BoardData(grid=grid, options=options)


def _stale_cards(change: BoardChange, shown: Iterable[AnyCard]) -> set[CardKey]:
    """The shown cards whose markup the change may have altered."""
    stale = set()
    for card in shown:
        outcome = getattr(card, "outcome", None)
        if (card.kind, card.pk) in change.cards or (
            outcome is not None and outcome.pk in change.outcome_titles
        ):
            stale.add((card.kind, card.pk))
    return stale


def _read_cards(
    roadmap: Roadmap, filters: BoardFilters, keys: set[CardKey], today: dt.date
) -> dict[CardKey, AnyCard | None]:
    """These cards as the board shows them now (None: no longer shown)."""
    result: dict[CardKey, AnyCard | None] = dict.fromkeys(keys)
    for kind in KINDS:
        pks = [pk for card_kind, pk in keys if card_kind == kind]
        if not pks:
            continue
        rows = list(
            _cards_queryset(roadmap, kind, filters).filter(pk__in=pks).order_by()
        )
        for card in _to_cards(kind, rows, today, roadmap):
            result[(kind, card.pk)] = card
    return result


# What the services' writes change -------------------------------------------------

# Fields that decide which cell a card is in, or whether the filters show it.
PLACING_FIELDS = frozenset({"status", "goal", "outcome", "team", "teams", "horizon"})


def card_edited(
    kind: str,
    pk: int,
    horizon: str,
    fields: Iterable[str],
    outcome_ids: Iterable[int | None] = (),
    key_result_changed: bool = False,
) -> BoardChange | None:
    """What editing these fields of a card changes on the board.

    `outcome_ids`: the outcomes the card served before and after the edit.
    """
    fields = set(fields)
    if "horizon" in fields or (kind == "outcome" and fields & PLACING_FIELDS):
        # An outcome's status, goal and teams take its cards with it off the
        # board or through the filters: read the board again.
        return None
    cards = {(kind, pk)}
    placing = bool(fields & PLACING_FIELDS)
    # An outcome card counts its features and draws its key results' bars.
    if (kind == "feature" and "outcome" in fields) or (
        kind == "success_metric" and ("outcome" in fields or key_result_changed)
    ):
        cards |= {("outcome", outcome) for outcome in outcome_ids if outcome}
    return BoardChange(
        cells=frozenset({(kind, horizon)}) if placing else frozenset(),
        cards=frozenset(cards),
        outcome_titles=frozenset({pk})
        if kind == "outcome" and "title" in fields
        else frozenset(),
        options=placing,
    )


def card_moved(kind: str, source: str, target: str) -> BoardChange:
    return BoardChange(cells=frozenset({(kind, source), (kind, target)}))


share_cache.memory.follow(keep_announced)
