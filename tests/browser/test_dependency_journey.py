from __future__ import annotations

import pytest
from playwright.sync_api import expect

from roadmap.models import TeamDependency
from tests.roadmap.factories import (
    FeatureFactory,
    OutcomeFactory,
    RoadmapFactory,
    TeamDependencyFactory,
    TeamFactory,
)
from tests.strategy.factories import ProductFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_editor_marks_a_dependency_blocked_and_sees_it_on_the_board_card(
    page, live_server, login
):
    """The status is saved inline; the feature's card then says what it waits on."""
    editor = UserFactory(username="pm")
    product = ProductFactory(name="Fabrikam Style", slug="fabrikam-style")
    product.editors.add(editor)
    roadmap = RoadmapFactory(product=product)
    outcome = OutcomeFactory(roadmap=roadmap, title="Fewer returns")
    feature = FeatureFactory(
        roadmap=roadmap, outcome=outcome, title="Fit predictor", horizon="soon"
    )
    dependency = TeamDependencyFactory(
        outcome=None,
        feature=feature,
        team=TeamFactory(name="Partnerships"),
        description="Partner order feeds",
    )
    login(page, "pm")

    page.goto(f"{live_server.url}/products/fabrikam-style/dependencies/")
    row = page.locator(f"#dependency-{dependency.pk}")
    expect(row).to_contain_text("Fit predictor")
    row.get_by_label("Status").select_option("blocked")
    row.get_by_label("Note").fill("Waiting on the data-sharing agreement.")
    row.get_by_role("button", name="Save").click()
    row = page.locator(f"#dependency-{dependency.pk}")
    expect(row).to_contain_text("Saved")
    expect(row.locator(".badge")).to_have_text("Blocked")
    assert TeamDependency.objects.get(pk=dependency.pk).status == "blocked"

    page.get_by_role("link", name="Roadmap", exact=True).click()
    card = page.locator(f"#feature-{feature.pk}")
    expect(card).to_contain_text("Blocked")
    expect(card).to_contain_text("waiting on Partnerships")
