"""Export, import and the round trip of a product's whole plan."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.models import CheckIn, KeyResult, Measurement, Metric
from roadmap.demo import load_demo
from roadmap.exchange import (
    comparable,
    plan_csv_zip,
    plan_document,
    plan_json,
    plan_markdown,
)
from roadmap.importing import (
    Importer,
    PlanInvalid,
    PlanStale,
    plan_changes,
    plan_import,
    read_plan,
)
from roadmap.models import (
    HORIZON_VALUES,
    Challenge,
    Feature,
    Outcome,
    Roadmap,
    SuccessMetric,
    Team,
    TeamDependency,
)
from roadmap.schemas import PLAN_SCHEMA_VERSION
from strategy.models import Goal, HistoryEntry, Product
from tests.metrics.factories import (
    CheckInFactory,
    KeyResultFactory,
    MeasurementFactory,
    MetricFactory,
)
from tests.roadmap.factories import (
    ChallengeFactory,
    EvidenceFactory,
    FeatureFactory,
    InsightFactory,
    OutcomeFactory,
    RoadmapFactory,
    SuccessMetricFactory,
    TeamCapacityFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import (
    GoalFactory,
    ProductFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


def same_plan(doc: Any) -> dict[str, Any]:
    """The comparable document without the product's name (an import over keeps it).

    Items keep their order, but not always their position: themes, goals and
    cards that share a position may be renumbered on an import over a product.
    """
    data = comparable(doc)
    data["product"].pop("name")
    for item in data["themes"] + data["goals"]:
        item.pop("position")
    for kind in ("outcomes", "challenges", "success_metrics", "features"):
        for card in data["board"][kind]:
            card.pop("position")
    return data


def due_dates_tie(doc: Any) -> bool:
    """Whether two key results share a due date (then their ids order them)."""
    due = [k.due_date for k in doc.key_results]
    return len(set(due)) < len(due)


def export_json(product: Product) -> str:
    return plan_json(plan_document(product))


def reimported(product: Product, slug: str) -> Product:
    result = plan_import(doc=read_plan(export_json(product)), slug=slug)
    return result.product


# --- Generated roadmaps --------------------------------------------------------

words = st.text(alphabet="abcdeXYZ éü&|*_#-0123", min_size=1, max_size=14).filter(
    lambda s: s.strip()
)
texts = st.text(alphabet="abc XYZ\n*|é", max_size=20)
dates = st.dates(dt.date(2025, 1, 1), dt.date(2028, 12, 31))
values = st.decimals(
    min_value=Decimal("-100000"),
    max_value=Decimal("100000"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
horizons = st.sampled_from(HORIZON_VALUES)


def maybe_index(draw: Any, count: int) -> int | None:
    if not count:
        return None
    return draw(st.none() | st.integers(0, count - 1))


@st.composite
def plan_specs(draw: Any) -> dict[str, Any]:
    """A random plan as plain data; `build` writes it with the factories."""
    spec: dict[str, Any] = {}
    spec["teams"] = draw(st.lists(words, max_size=3, unique=True))
    spec["themes"] = [
        {"title": draw(words), "start": start, "years": draw(st.integers(0, 3))}
        for start in draw(st.lists(st.integers(2024, 2030), max_size=2))
    ]
    spec["goals"] = [
        {
            "title": draw(words),
            "theme": maybe_index(draw, len(spec["themes"])),
            "start": start,
            "days": draw(st.integers(0, 400)),
            "status": draw(st.sampled_from(Goal.Status.values)),
            "position": draw(st.integers(0, 3)),
        }
        for start in draw(st.lists(dates, max_size=3))
    ]
    spec["metrics"] = [
        {
            "name": name,
            "unit": draw(st.sampled_from(["", "%", "€", "users"])),
            "direction": draw(st.sampled_from(Metric.Direction.values)),
            "measurements": draw(
                st.dictionaries(dates, st.tuples(values, texts), max_size=3)
            ),
        }
        for name in draw(st.lists(words, max_size=3, unique=True))
    ]
    spec["key_results"] = []
    if spec["metrics"]:
        for _ in range(draw(st.integers(0, 3))):
            start = draw(dates)
            spec["key_results"].append(
                {
                    "metric": draw(st.integers(0, len(spec["metrics"]) - 1)),
                    "goal": maybe_index(draw, len(spec["goals"])),
                    "baseline": draw(values),
                    "target": draw(values),
                    "start": start,
                    "days": draw(st.integers(0, 300)),
                    "check_ins": draw(
                        st.lists(
                            st.tuples(
                                dates,
                                st.sampled_from(CheckIn.Confidence.values),
                                st.none() | st.integers(1, 10),
                                words,
                            ),
                            max_size=2,
                        )
                    ),
                }
            )

    def card(**extra: Any) -> dict[str, Any]:
        return {
            "horizon": draw(horizons),
            "position": draw(st.integers(0, 4)),
            "deleted": draw(st.integers(0, 9)) == 0,
            **extra,
        }

    spec["outcomes"] = [
        card(
            title=draw(words),
            description=draw(texts),
            status=draw(st.sampled_from(Outcome.Status.values)),
            category=draw(st.sampled_from(Outcome.Category.values)),
            goal=maybe_index(draw, len(spec["goals"])),
            teams=draw(st.sets(st.integers(0, len(spec["teams"]) - 1)))
            if spec["teams"]
            else set(),
            visible=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    count = len(spec["outcomes"])
    spec["challenges"] = [
        card(title=draw(words), outcome=maybe_index(draw, count))
        for _ in range(draw(st.integers(0, 3)))
    ]
    placed = draw(st.sets(st.integers(0, max(len(spec["key_results"]) - 1, 0))))
    spec["success_metrics"] = [
        card(key_result=index, outcome=maybe_index(draw, count))
        for index in sorted(placed)
        if index < len(spec["key_results"])
    ]
    spec["features"] = [
        card(
            title=draw(words),
            stage=draw(st.sampled_from(Feature.Stage.values)),
            effort=draw(st.sampled_from(["", *Feature.Effort.values])),
            outcome=maybe_index(draw, count),
            team=maybe_index(draw, len(spec["teams"])),
        )
        for _ in range(draw(st.integers(0, 4)))
    ]
    spec["dependencies"] = []
    if spec["teams"] and (spec["outcomes"] or spec["features"]):
        for _ in range(draw(st.integers(0, 3))):
            on_outcome = bool(spec["outcomes"]) and (
                not spec["features"] or draw(st.booleans())
            )
            cards = spec["outcomes"] if on_outcome else spec["features"]
            spec["dependencies"].append(
                {
                    "team": draw(st.integers(0, len(spec["teams"]) - 1)),
                    "on_outcome": on_outcome,
                    "card": draw(st.integers(0, len(cards) - 1)),
                    "description": draw(texts),
                }
            )
    return spec


def build(spec: dict[str, Any], *, slug: str) -> Product:
    """Write a generated plan with the factories."""
    product = ProductFactory(slug=slug, name=f"Plan {slug}", target_group="Everyone")
    roadmap = RoadmapFactory(product=product, soon_hint="Q2")
    teams = [TeamFactory(name=f"HT {name}") for name in spec["teams"]]
    themes = [
        ThemeFactory(
            product=product,
            title=t["title"],
            start_year=t["start"],
            end_year=t["start"] + t["years"],
        )
        for t in spec["themes"]
    ]
    goals = [
        GoalFactory(
            product=product,
            theme=themes[g["theme"]] if g["theme"] is not None else None,
            title=g["title"],
            start_date=g["start"],
            end_date=g["start"] + dt.timedelta(days=g["days"]),
            status=g["status"],
            position=g["position"],
        )
        for g in spec["goals"]
    ]
    metrics = []
    for m in spec["metrics"]:
        metric = MetricFactory(
            product=product, name=m["name"], unit=m["unit"], direction=m["direction"]
        )
        for day, (value, note) in m["measurements"].items():
            MeasurementFactory(metric=metric, date=day, value=value, note=note)
        metrics.append(metric)
    key_results = []
    for k in spec["key_results"]:
        key_result = KeyResultFactory(
            metric=metrics[k["metric"]],
            goal=goals[k["goal"]] if k["goal"] is not None else None,
            baseline=k["baseline"],
            target=k["target"],
            start_date=k["start"],
            due_date=k["start"] + dt.timedelta(days=k["days"]),
        )
        for day, confidence, score, text in k["check_ins"]:
            CheckInFactory(
                key_result=key_result,
                date=day,
                confidence=confidence,
                score=score,
                what_happened=text,
            )
        key_results.append(key_result)

    def place(c: dict[str, Any]) -> dict[str, Any]:
        return {
            "roadmap": roadmap,
            "horizon": c["horizon"],
            "position": c["position"],
            "deleted_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            if c["deleted"]
            else None,
        }

    outcomes = [
        OutcomeFactory(
            **place(o),
            title=o["title"],
            description=o["description"],
            status=o["status"],
            category=o["category"],
            goal=goals[o["goal"]] if o["goal"] is not None else None,
            teams=[teams[i] for i in sorted(o["teams"])],
            is_customer_visible=o["visible"],
        )
        for o in spec["outcomes"]
    ]

    def outcome(index: int | None) -> Outcome | None:
        return outcomes[index] if index is not None else None

    for c in spec["challenges"]:
        ChallengeFactory(**place(c), title=c["title"], outcome=outcome(c["outcome"]))
    for s in spec["success_metrics"]:
        SuccessMetricFactory(
            **place(s),
            key_result=key_results[s["key_result"]],
            outcome=outcome(s["outcome"]),
        )
    features = [
        FeatureFactory(
            **place(f),
            title=f["title"],
            stage=f["stage"],
            effort=f["effort"],
            outcome=outcome(f["outcome"]),
            team=teams[f["team"]] if f["team"] is not None else None,
        )
        for f in spec["features"]
    ]
    for d in spec["dependencies"]:
        card = (outcomes if d["on_outcome"] else features)[d["card"]]
        TeamDependencyFactory(
            team=teams[d["team"]],
            outcome=card if d["on_outcome"] else None,
            feature=None if d["on_outcome"] else card,
            description=d["description"],
        )
    return product


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=plan_specs(), second=plan_specs())
def test_any_plan_survives_export_and_import(first, second):
    """Export, import as a new product, export again: the same document.

    And importing one plan over another product turns that product's plan
    into it; importing the original back restores it.
    """
    with transaction.atomic():
        a = build(first, slug="plan-a")
        b = build(second, slug="plan-b")
        doc_a, doc_b = plan_document(a), plan_document(b)

        copy = reimported(a, "plan-a-copy")
        assert comparable(plan_document(copy)) == comparable(doc_a)
        assert plan_changes(read_plan(plan_json(doc_a)), copy).summary() == (
            "0 created, 0 changed, 0 removed"
        )

        # Key results that share a due date are listed by id, and an import
        # over a product keeps the ids of the key results it matches, so their
        # order (and keys) may then differ from the document's: such plans are
        # compared only as new products, above.
        plan_import(doc=read_plan(plan_json(doc_a)), product=b)
        if not due_dates_tie(doc_a):
            assert same_plan(plan_document(b)) == same_plan(doc_a)
        plan_import(doc=read_plan(plan_json(doc_b)), product=b)
        if not due_dates_tie(doc_b):
            assert same_plan(plan_document(b)) == same_plan(doc_b)
        transaction.set_rollback(True)


def test_the_demo_survives_export_and_import():
    demo = load_demo(today=TODAY).product
    doc = plan_document(demo)
    assert len(doc.board.outcomes) > 3
    assert doc.key_results
    assert doc.dependencies
    assert any(k.check_ins for k in doc.key_results)
    copy = reimported(demo, "demo-copy")
    assert comparable(plan_document(copy)) == comparable(doc)
    assert copy.name == demo.name
    assert copy.vision_statement == demo.vision_statement
    # Over itself, the demo's own export changes nothing.
    changes = plan_changes(read_plan(plan_json(doc)), demo)
    assert (changes.created, changes.changed, changes.removed) == (0, 0, 0)


# --- The document ---------------------------------------------------------------


@pytest.fixture
def plan(product):
    """A small plan with one of everything."""
    team = TeamFactory(name="Platform", description="APIs")
    theme = ThemeFactory(product=product, title="Grow")
    goal = GoalFactory(product=product, theme=theme, title="More signups")
    metric = MetricFactory(product=product, name="Signups", unit="users")
    MeasurementFactory(metric=metric, date=dt.date(2026, 9, 1), value=Decimal("120"))
    MeasurementFactory(metric=metric, date=dt.date(2026, 10, 1), value=Decimal("180"))
    key_result = KeyResultFactory(metric=metric, goal=goal)
    CheckInFactory(key_result=key_result, what_happened="Up after the launch.")
    roadmap = product.roadmap
    outcome = OutcomeFactory(
        roadmap=roadmap, goal=goal, title="People sign up", teams=[team]
    )
    ChallengeFactory(roadmap=roadmap, outcome=outcome, title="Slow onboarding")
    SuccessMetricFactory(roadmap=roadmap, key_result=key_result, outcome=outcome)
    feature = FeatureFactory(
        roadmap=roadmap, outcome=outcome, team=team, title="Quick signup"
    )
    TeamDependencyFactory(team=team, outcome=None, feature=feature)
    FeatureFactory(
        roadmap=roadmap,
        title="In the bin",
        deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    return product


def test_the_document_names_items_by_keys_and_holds_current_values(plan):
    doc = plan_document(plan)
    assert doc.schema_version == PLAN_SCHEMA_VERSION
    assert [g.key for g in doc.goals] == ["g-1"]
    assert doc.goals[0].theme == "th-1"
    kr = doc.key_results[0]
    assert (kr.key, kr.metric, kr.goal, kr.current) == ("kr-1", "m-1", "g-1", 180)
    assert kr.check_ins[0].what_happened == "Up after the launch."
    assert [x.value for x in doc.metrics[0].measurements] == [120, 180]
    board = doc.board
    assert board.outcomes[0].teams == ["t-1"]
    assert board.outcomes[0].goal == "g-1"
    assert board.challenges[0].outcome == "o-1"
    assert board.success_metrics[0].key_result == "kr-1"
    assert [f.title for f in board.features] == ["Quick signup"]
    assert doc.dependencies[0].feature == "f-1"
    assert doc.dependencies[0].team == "t-1"
    assert doc.product.target_group == plan.target_group


def test_csv_export_is_a_zip_with_one_file_per_kind(plan):
    archive = zipfile.ZipFile(io.BytesIO(plan_csv_zip(plan_document(plan))))
    names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert {"goals.csv", "outcomes.csv", "measurements.csv", "check_ins.csv"} <= names
    outcomes = archive.read("fabrikam-style/outcomes.csv").decode().splitlines()
    assert outcomes[0].startswith("key,id,horizon,position,title")
    assert "People sign up" in outcomes[1]
    assert ",o-1," not in outcomes[1]


def test_markdown_export_reads_as_a_document(plan):
    text = plan_markdown(plan_document(plan))
    assert text.startswith("# Fabrikam Style\n")
    for part in ["## Vision board", "### Grow", "More signups", "## Roadmap"]:
        assert part in text
    assert "People sign up" in text
    assert "Quick signup" in text
    assert "In the bin" not in text


# --- Reading and checking -------------------------------------------------------


def document(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": 1,
        "product": {"name": "Imported", "slug": "imported"},
        "goals": [
            {
                "key": "g-1",
                "title": "Goal",
                "start_date": "2026-01-01",
                "end_date": "2026-12-31",
            }
        ],
        "board": {"outcomes": [{"key": "o-1", "title": "Outcome", "goal": "g-1"}]},
    }
    base.update(changes)
    return base


def problems_of(data: Any) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        read_plan(json.dumps(data) if not isinstance(data, bytes) else data)
    return caught.value.problems


def test_unknown_references_are_reported_by_their_path():
    data = document()
    data["board"]["outcomes"] += [
        {"key": "o-2", "title": "A", "goal": "g-1"},
        {"key": "o-3", "title": "B"},
        {"key": "o-4", "title": "C", "goal": "g-9", "teams": ["t-1"]},
    ]
    data["board"]["features"] = [{"key": "f-1", "title": "F", "outcome": "o-7"}]
    assert problems_of(data) == [
        'board.outcomes[3].goal: unknown goal "g-9"',
        'board.outcomes[3].teams[0]: unknown team "t-1"',
        'board.features[0].outcome: unknown outcome "o-7"',
    ]


def test_every_problem_is_reported_at_once():
    data = document(
        themes=[{"key": "th-1", "title": " ", "start_year": 2027, "end_year": 2026}],
        dependencies=[{"team": "t-1"}],
    )
    data["goals"].append(dict(data["goals"][0], status="someday"))
    problems = problems_of(data)
    assert "themes[0].title: must not be blank" in problems
    assert "themes[0].end_year: is before start_year" in problems
    assert 'goals[1].key: duplicate key "g-1"' in problems
    assert any(
        p.startswith('goals[1].status: "someday" is not one of') for p in problems
    )
    assert "dependencies[0]: needs exactly one of outcome and feature" in problems
    assert 'dependencies[0].team: unknown team "t-1"' in problems


def test_schema_errors_name_their_field():
    data = document()
    data["goals"][0]["end_date"] = "soon"
    data["board"]["outcomes"][0]["colour"] = "red"
    data["metrics"] = [
        {
            "key": "m-1",
            "name": "N",
            "measurements": [{"date": "2026-01-01", "value": "1e20"}],
        }
    ]
    problems = problems_of(data)
    assert any(p.startswith("goals[0].end_date: ") for p in problems)
    assert any(p.startswith("board.outcomes[0].colour: Extra inputs") for p in problems)
    assert any(p.startswith("metrics[0].measurements[0].value: ") for p in problems)


def test_a_newer_schema_version_is_refused_clearly():
    (problem,) = problems_of(document(schema_version=PLAN_SCHEMA_VERSION + 1))
    assert problem.startswith(
        f"schema_version: the document has schema version {PLAN_SCHEMA_VERSION + 1}"
    )
    assert "Update Northstar" in problem


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"{not json", "document: not valid JSON"),
        ([1, 2], "document: expected a JSON object"),
        ({"product": {}}, "schema_version: missing"),
        ({"schema_version": "1"}, "schema_version: expected a whole number"),
    ],
)
def test_what_is_not_a_plan_document_is_refused(data, start):
    (problem,) = problems_of(data)
    assert problem.startswith(start)


def test_text_with_nul_characters_is_refused_by_path():
    data = document()
    data["board"]["outcomes"][0]["description"] = "a\x00b"
    assert any(
        p.startswith("board.outcomes[0].description: ") for p in problems_of(data)
    )


# --- Importing ------------------------------------------------------------------


def test_import_as_a_new_product_bumps_its_revision_and_records_it(plan):
    doc = read_plan(export_json(plan))
    result = plan_import(doc=doc, slug="copy", name="Copy", actor=None)
    product = result.product
    assert (product.slug, product.name) == ("copy", "Copy")
    assert product.revision > 1
    assert result.created == 12
    assert result.removed == 0
    entry = HistoryEntry.objects.get(product=product)
    assert entry.item_kind == "roadmap"
    assert entry.item_title == "Plan imported: 12 created, 0 changed, 0 removed"
    assert entry.after["created"] == 12
    # Teams are shared: the existing team is used, not copied.
    assert Team.objects.filter(name="Platform").count() == 1


def test_import_over_a_product_creates_changes_and_removes(plan):
    data = json.loads(export_json(plan))
    data["board"]["outcomes"][0]["title"] = "People sign up in a minute"
    data["board"]["challenges"] = []
    data["board"]["features"].append(
        {"key": "f-9", "title": "Magic link", "team": "t-1"}
    )
    data["metrics"][0]["measurements"][0]["value"] = "125"
    data["metrics"][0]["measurements"].pop()
    data["themes"].append(
        {"key": "th-2", "title": "Keep", "start_year": 2026, "end_year": 2027}
    )
    data["product"]["vision_statement"] = "A new north star."
    doc = read_plan(json.dumps(data))
    revision = Product.objects.get(pk=plan.pk).revision
    changes = plan_changes(doc, plan)
    by_kind = {k.kind: k for k in changes.kinds}
    assert by_kind["outcomes"].changed == ["People sign up in a minute"]
    assert by_kind["challenges"].removed == ["Slow onboarding"]
    assert by_kind["features"].created == ["Magic link"]
    assert by_kind["themes"].created == ["Keep"]
    assert by_kind["measurements"].changed == ["Signups: 01 Sep 2026"]
    assert by_kind["measurements"].removed == ["Signups: 01 Oct 2026"]
    assert changes.vision_changed == ["vision_statement"]
    outcome = Outcome.objects.get(roadmap__product=plan)
    version = outcome.version

    result = plan_import(doc=doc, product=plan, expected_revision=revision)
    assert (result.created, result.removed) == (2, 2)
    plan.refresh_from_db()
    assert plan.revision > revision
    assert plan.vision_statement == "A new north star."
    outcome.refresh_from_db()
    assert outcome.title == "People sign up in a minute"
    assert outcome.version == version + 1
    # A removed card goes to the bin; a removed measurement is gone.
    challenge = Challenge.objects.get(roadmap__product=plan)
    assert challenge.is_deleted
    assert Measurement.objects.filter(metric__product=plan).count() == 1
    assert comparable(plan_document(plan)) == comparable(
        read_plan(plan_json(plan_document(reimported(plan, "check"))))
    )


def test_an_import_over_an_empty_document_empties_the_plan(plan):
    doc = read_plan(json.dumps(document(goals=[], board={})))
    plan_import(doc=doc, product=plan)
    assert not Outcome.objects.alive().filter(roadmap__product=plan).exists()
    assert not Goal.objects.filter(product=plan).exists()
    assert not Metric.objects.filter(product=plan).exists()
    assert not KeyResult.objects.filter(metric__product=plan).exists()
    assert not TeamDependency.objects.exists()
    assert plan_document(plan).board.outcomes == []


def test_an_import_is_all_or_nothing(plan, monkeypatch):
    before = export_json(plan)
    data = json.loads(before)
    data["board"]["outcomes"][0]["title"] = "Changed"

    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Importer, "import_dependencies", fail)
    with pytest.raises(RuntimeError):
        plan_import(doc=read_plan(json.dumps(data)), product=plan)
    with pytest.raises(RuntimeError):
        plan_import(doc=read_plan(json.dumps(data)), slug="half")
    assert comparable(read_plan(export_json(plan))) == comparable(read_plan(before))
    assert not Product.objects.filter(slug="half").exists()


def test_a_refusal_by_the_database_is_a_plan_problem(plan, monkeypatch):
    data = json.loads(export_json(plan))
    data["board"]["outcomes"][0]["title"] = " "
    # Past the checks, the database's constraints still have the last word.
    monkeypatch.setattr("roadmap.importing.check_plan", lambda doc: [])
    with pytest.raises(PlanInvalid) as caught:
        plan_import(doc=read_plan(json.dumps(data)), slug="refused")
    assert caught.value.problems[0].startswith("document: the database refused it")
    assert not Product.objects.filter(slug="refused").exists()


def test_an_import_refuses_a_plan_changed_since_the_preview(plan):
    doc = read_plan(export_json(plan))
    revision = Product.objects.get(pk=plan.pk).revision
    with pytest.raises(PlanStale):
        plan_import(doc=doc, product=plan, expected_revision=revision - 1)


def test_a_card_in_the_bin_comes_back_when_the_document_places_it(plan):
    doc_text = export_json(plan)
    card = SuccessMetric.objects.get(roadmap__product=plan)
    SuccessMetric.objects.filter(pk=card.pk).update(
        deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    plan_import(doc=read_plan(doc_text), product=plan)
    card.refresh_from_db()
    assert not card.is_deleted
    assert SuccessMetric.objects.filter(roadmap__product=plan).count() == 1


# --- Pages ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("json", "application/json"), ("csv", "application/zip"), ("md", "text/markdown")],
)
def test_a_viewer_downloads_the_plan(plan, viewer_client, fmt, content_type):
    url = reverse("roadmap:plan_export", args=[plan.slug])
    response = viewer_client.get(url, {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "attachment" in response["Content-Disposition"]
    if fmt == "json":
        assert read_plan(response.content).board.outcomes[0].title == "People sign up"


def test_an_unknown_export_format_is_not_found(plan, viewer_client):
    url = reverse("roadmap:plan_export", args=[plan.slug])
    assert viewer_client.get(url, {"format": "xls"}).status_code == 404


def test_the_overview_offers_export_to_all_and_import_to_editors(
    plan, viewer_client, editor
):
    url = reverse("strategy:product_detail", args=[plan.slug])
    page = viewer_client.get(url).content.decode()
    export_url = reverse("roadmap:plan_export", args=[plan.slug])
    assert f'method="get" action="{export_url}"' in page
    for fmt in ("json", "csv", "md"):
        assert f'name="format" value="{fmt}"' in page
    assert reverse("roadmap:plan_import", args=[plan.slug]) not in page
    viewer_client.force_login(editor)
    page = viewer_client.get(url).content.decode()
    assert reverse("roadmap:plan_import", args=[plan.slug]) in page


def upload(text: str | bytes, name: str = "plan.json") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_a_viewer_can_never_import(plan, viewer_client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    assert viewer_client.get(url).status_code == 403
    response = viewer_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(export_json(plan))}
    )
    assert response.status_code == 403
    assert viewer_client.post(url, {"action": "apply", "token": "x"}).status_code == 403


def test_the_preview_writes_nothing_then_the_import_applies_it(plan, editor_client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    data = json.loads(export_json(plan))
    data["board"]["features"][0]["title"] = "Quicker signup"
    data["board"]["challenges"] = []
    revision = Product.objects.get(pk=plan.pk).revision
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(json.dumps(data))}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "0 created" in page
    assert "1 changed" in page
    assert "1 removed" in page
    assert "Quicker signup" in page
    assert "Slow onboarding" in page
    assert Product.objects.get(pk=plan.pk).revision == revision
    assert Feature.objects.filter(title="Quicker signup").count() == 0
    token = response.context["token"]

    response = editor_client.post(url, {"action": "apply", "token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("strategy:product_detail", args=[plan.slug])
    assert Feature.objects.filter(
        title="Quicker signup", roadmap__product=plan
    ).exists()
    assert Product.objects.get(pk=plan.pk).revision > revision
    # The preview is used up.
    response = editor_client.post(url, {"action": "apply", "token": token})
    assert response.status_code == 302
    assert response["Location"] == url


def test_a_plan_changed_since_the_preview_is_previewed_again(plan, editor_client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(export_json(plan))}
    )
    token = response.context["token"]
    Outcome.objects.filter(roadmap__product=plan).update(title="Edited meanwhile")
    Product.objects.filter(pk=plan.pk).update(revision=999)
    response = editor_client.post(url, {"action": "apply", "token": token})
    assert response.status_code == 200
    assert response.context["stale"]
    assert Outcome.objects.get(roadmap__product=plan).title == "Edited meanwhile"
    assert "1 changed" in response.content.decode()
    response = editor_client.post(url, {"action": "apply", "token": token})
    assert response.status_code == 302
    assert Outcome.objects.get(roadmap__product=plan).title == "People sign up"


def test_the_page_lists_every_problem_and_writes_nothing(plan, editor_client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    data = document()
    data["board"]["outcomes"][0]["goal"] = "g-9"
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(json.dumps(data))}
    )
    assert response.status_code == 200
    assert (
        "board.outcomes[0].goal: unknown goal &quot;g-9&quot;"
        in response.content.decode()
    )
    assert "token" not in response.context


def test_a_newer_schema_version_is_refused_on_the_page(plan, editor_client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    data = json.dumps(document(schema_version=PLAN_SCHEMA_VERSION + 1))
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(data)}
    )
    assert "from a newer Northstar" in response.content.decode()


def test_an_upload_over_the_size_limit_is_refused_with_its_size(
    plan, editor_client, monkeypatch
):
    monkeypatch.setattr("roadmap.views.exchange.MAX_IMPORT_BYTES", 1000)
    url = reverse("roadmap:plan_import", args=[plan.slug])
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(b" " * 5000)}
    )
    errors = response.context["form"].errors["file"]
    assert errors == [
        "The file is 4.9\xa0KB; the limit is 1000\xa0bytes. "
        "Import larger plans with manage.py import_roadmap."
    ]


def test_an_oversized_upload_is_refused_before_it_is_read(
    plan, editor_client, monkeypatch
):
    monkeypatch.setattr("roadmap.views.exchange.MAX_IMPORT_BYTES", 1000)
    url = reverse("roadmap:plan_import", args=[plan.slug])
    body = b" " * 200_000
    response = editor_client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(body)}
    )
    assert response.status_code == 413
    assert "the limit is 1000\xa0bytes" in response.content.decode()
    assert "changes" not in response.context


def test_the_import_page_checks_csrf(plan, editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    url = reverse("roadmap:plan_import", args=[plan.slug])
    response = client.post(
        url, {"action": "preview", "mode": "replace", "file": upload(export_json(plan))}
    )
    assert response.status_code == 403


def test_only_an_admin_imports_a_new_product(plan, editor_client, client):
    url = reverse("roadmap:plan_import", args=[plan.slug])
    post = {"action": "preview", "mode": "new", "slug": "second"}
    response = editor_client.post(url, {**post, "file": upload(export_json(plan))})
    assert "mode" in response.context["form"].errors
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(url, {**post, "file": upload(export_json(plan))})
    assert response.context["changes"].is_new
    response = client.post(url, {"action": "apply", "token": response.context["token"]})
    second = Product.objects.get(slug="second")
    assert response["Location"] == second.get_absolute_url()
    assert comparable(plan_document(second)) == comparable(plan_document(plan))
    # A taken slug is refused in the form.
    response = client.post(url, {**post, "file": upload(export_json(plan))})
    assert response.context["form"].errors["slug"] == [
        "A product “second” exists already."
    ]


# --- Commands -------------------------------------------------------------------


def test_export_roadmap_writes_json_to_stdout_and_other_formats_to_files(
    plan, tmp_path
):
    out = io.StringIO()
    call_command("export_roadmap", plan.slug, stdout=out)
    assert read_plan(out.getvalue()).product.slug == plan.slug
    call_command(
        "export_roadmap",
        plan.slug,
        "--format",
        "csv",
        "--output",
        str(tmp_path / "p.zip"),
        stderr=io.StringIO(),
    )
    assert zipfile.is_zipfile(tmp_path / "p.zip")
    out = io.StringIO()
    call_command("export_roadmap", plan.slug, "--format", "md", stdout=out)
    assert out.getvalue().startswith("# Fabrikam Style")
    with pytest.raises(CommandError, match="zip file"):
        call_command("export_roadmap", plan.slug, "--format", "csv")
    with pytest.raises(CommandError, match="no product"):
        call_command("export_roadmap", "nope")


def test_import_roadmap_as_new_and_over_a_product(plan, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(export_json(plan))
    with pytest.raises(CommandError, match="exists already"):
        call_command("import_roadmap", str(path))
    out = io.StringIO()
    call_command("import_roadmap", str(path), "--slug", "copy", stdout=out)
    assert "12 created, 0 changed, 0 removed" in out.getvalue()
    copy = Product.objects.get(slug="copy")
    assert comparable(plan_document(copy)) == comparable(plan_document(plan))

    other = ProductFactory(slug="other")
    Roadmap.objects.create(product=other)
    OutcomeFactory(roadmap=other.roadmap, title="Old outcome", goal=None)
    out = io.StringIO()
    call_command(
        "import_roadmap", str(path), "--into", "other", "--dry-run", stdout=out
    )
    assert "nothing written" in out.getvalue()
    assert Outcome.objects.alive().get(roadmap__product=other).title == "Old outcome"
    call_command("import_roadmap", str(path), "--into", "other", stdout=io.StringIO())
    assert same_plan(plan_document(other)) == same_plan(plan_document(plan))


def test_import_roadmap_refuses_an_invalid_slug(plan, tmp_path):
    path = tmp_path / "plan.json"
    path.write_text(export_json(plan))
    with pytest.raises(CommandError, match='slug: "not a slug" is not a valid slug'):
        call_command("import_roadmap", str(path), "--slug", "not a slug")
    assert (
        not Product.objects.filter(name="Fabrikam Style").exclude(pk=plan.pk).exists()
    )


def test_import_roadmap_lists_the_problems(tmp_path):
    path = tmp_path / "bad.json"
    data = document()
    data["board"]["outcomes"][0]["goal"] = "g-9"
    path.write_text(json.dumps(data))
    with pytest.raises(
        CommandError, match='board.outcomes\\[0\\].goal: unknown goal "g-9"'
    ):
        call_command("import_roadmap", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_roadmap", str(tmp_path / "missing.json"))


def test_export_and_the_import_page_read_in_a_fixed_number_of_queries(
    plan, editor_client
):
    export_url = reverse("roadmap:plan_export", args=[plan.slug])
    import_url = reverse("roadmap:plan_import", args=[plan.slug])

    def count(url: str, **params: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(url, params).status_code == 200
        return len(queries)

    small = [count(export_url, format=f) for f in ("json", "csv", "md")]
    small.append(count(import_url))
    roadmap = plan.roadmap
    team = TeamFactory(name="Data")
    for index in range(5):
        outcome = OutcomeFactory(roadmap=roadmap, teams=[team], title=f"More {index}")
        FeatureFactory(roadmap=roadmap, outcome=outcome, team=team)
        ChallengeFactory(roadmap=roadmap, outcome=outcome)
        key_result = KeyResultFactory(metric__product=plan, goal=outcome.goal)
        MeasurementFactory(metric=key_result.metric)
        CheckInFactory(key_result=key_result)
        SuccessMetricFactory(roadmap=roadmap, key_result=key_result, outcome=outcome)
        TeamDependencyFactory(team=team, outcome=outcome)
    large = [count(export_url, format=f) for f in ("json", "csv", "md")]
    large.append(count(import_url))
    assert large == small


def test_cards_sharing_a_position_keep_the_documents_order(plan):
    roadmap = plan.roadmap
    ChallengeFactory(roadmap=roadmap, title="First", position=0, horizon="soon")
    ChallengeFactory(roadmap=roadmap, title="Second", position=0, horizon="soon")
    data = json.loads(export_json(plan))
    challenges = data["board"]["challenges"]
    at = [i for i, c in enumerate(challenges) if c["horizon"] == "soon"]
    challenges[at[0]], challenges[at[1]] = challenges[at[1]], challenges[at[0]]
    plan_import(doc=read_plan(json.dumps(data)), product=plan)
    soon = [c for c in plan_document(plan).board.challenges if c.horizon == "soon"]
    assert [(c.title, c.position) for c in soon] == [("Second", 0), ("First", 1)]


def test_the_history_names_the_import(plan, editor_client, editor):
    plan_import(doc=read_plan(export_json(plan)), product=plan, actor=editor)
    page = editor_client.get(reverse("roadmap:history", args=[plan.slug]))
    assert page.status_code == 200
    assert "Plan imported: 0 created, 0 changed, 0 removed" in page.content.decode()


def test_a_closed_outcome_and_the_review_cadence_survive_export_and_import():
    product = ProductFactory(slug="closing")
    RoadmapFactory(product=product, review_cadence="quarterly")
    OutcomeFactory(
        roadmap=product.roadmap,
        title="Size without a chart",
        status=Outcome.Status.ACHIEVED,
        learning="Two fit questions beat a chart.",
        closed_at=dt.datetime(2026, 10, 1, 16, tzinfo=dt.UTC),
    )

    copy = reimported(product, "closing-copy")

    outcome = Outcome.objects.get(roadmap__product=copy)
    assert outcome.status == "achieved"
    assert outcome.learning == "Two fit questions beat a chart."
    assert outcome.closed_at == dt.datetime(2026, 10, 1, 16, tzinfo=dt.UTC)
    assert copy.roadmap.review_cadence == "quarterly"
    assert comparable(plan_document(copy)) == comparable(plan_document(product))


def test_a_document_without_closing_fields_or_cadence_still_imports():
    product = ProductFactory(slug="older")
    RoadmapFactory(product=product)
    OutcomeFactory(roadmap=product.roadmap, title="Open one")
    data = json.loads(export_json(product))
    del data["board"]["review_cadence"]
    for outcome in data["board"]["outcomes"]:
        del outcome["closed_at"]
        del outcome["learning"]

    copy = plan_import(doc=read_plan(json.dumps(data)), slug="older-copy").product

    outcome = Outcome.objects.get(roadmap__product=copy)
    assert (outcome.closed_at, outcome.learning) == (None, "")
    assert copy.roadmap.review_cadence == "monthly"


def test_an_unknown_review_cadence_is_reported_by_its_path():
    product = ProductFactory(slug="cadence")
    RoadmapFactory(product=product)
    data = json.loads(export_json(product))
    data["board"]["review_cadence"] = "daily"

    with pytest.raises(PlanInvalid) as refused:
        plan_import(doc=read_plan(json.dumps(data)), slug="cadence-copy")

    assert "board.review_cadence" in str(refused.value.problems)


# --- Teams, dependencies and assumptions ---------------------------------------


def test_a_document_without_capacities_or_assumptions_still_imports():
    data = document(
        teams=[{"key": "t-1", "name": "Platform"}],
        dependencies=[{"team": "t-1", "outcome": "o-1", "status": "agreed"}],
    )
    data["board"]["challenges"] = [{"key": "c-1", "title": "Cold start"}]

    product = plan_import(doc=read_plan(json.dumps(data)), slug="imported").product

    challenge = product.roadmap.challenges.get()
    dependency = TeamDependency.objects.get(outcome__roadmap__product=product)
    assert (challenge.is_assumption, challenge.confidence) == (False, None)
    assert (dependency.status, dependency.note, dependency.due_date) == (
        "agreed",
        "",
        None,
    )
    assert product.roadmap.assumption_stale_days == 30
    assert not product.team_capacities.exists()


def test_capacities_dependencies_and_assumptions_survive_the_round_trip(product):
    team = TeamFactory(name="Platform")
    TeamCapacityFactory(product=product, team=team, soon_capacity=3)
    outcome = OutcomeFactory(roadmap=product.roadmap, title="Fewer returns")
    TeamDependencyFactory(
        team=team,
        outcome=outcome,
        status="blocked",
        note="No one free",
        due_date=dt.date(2026, 12, 1),
    )
    metric = MetricFactory(product=product, name="Returns")
    measured = MeasurementFactory(metric=metric, date=dt.date(2026, 10, 1))
    request = InsightFactory(product=product, text="Asked for a size guide.")
    challenge = ChallengeFactory(
        roadmap=product.roadmap,
        outcome=outcome,
        title="Shoppers read size advice",
        is_assumption=True,
        confidence=55,
        assumed_on=dt.date(2026, 9, 1),
    )
    EvidenceFactory(challenge=challenge, kind="link", url="https://example.com/a")
    EvidenceFactory(challenge=challenge, kind="measurement", measurement=measured)
    EvidenceFactory(challenge=challenge, kind="request", insight=request, note="")
    product.roadmap.assumption_stale_days = 45
    product.roadmap.save()

    doc = plan_document(product)
    copy = reimported(product, "copy")

    assert doc.teams[0].soon_capacity == 3
    assert doc.dependencies[0].status == "blocked"
    assert [e.kind for e in doc.board.challenges[0].evidence] == [
        "link",
        "measurement",
        "request",
    ]
    assert comparable(plan_document(copy)) == comparable(doc)
    copied = Challenge.objects.get(roadmap__product=copy)
    assert copied.evidence.get(kind="request").insight.text == "Asked for a size guide."
    assert copied.evidence.get(kind="measurement").measurement.metric.product == copy
    changes = plan_changes(read_plan(plan_json(doc)), product)
    assert (changes.created, changes.changed, changes.removed) == (0, 0, 0)


def test_a_link_evidence_that_is_not_http_is_refused_on_import():
    data = document()
    data["board"]["challenges"] = [
        {
            "key": "c-1",
            "title": "Cold start",
            "is_assumption": True,
            "evidence": [
                {
                    "kind": "link",
                    "url": "javascript:alert(1)",
                    "learned_on": "2026-11-01",
                }
            ],
        }
    ]

    assert problems_of(data) == [
        "board.challenges[0].evidence[0].url: must be an http:// or https:// link"
    ]
