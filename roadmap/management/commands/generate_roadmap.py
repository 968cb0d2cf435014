from __future__ import annotations

import argparse
import math
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import connection
from django.utils import timezone

from roadmap.generator import ProductExists, generate_roadmap


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


class Command(BaseCommand):
    help = (
        "Create a product with a large, realistic roadmap: per scale unit 300 "
        "outcomes, 300 challenges, 300 key results with 20 measurements each and "
        "1,000 features (1,900 cards)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Slug of the product to create.")
        parser.add_argument(
            "--scale",
            type=positive_number,
            default=1.0,
            help="How many times the large roadmap; fractions such as 0.1 work.",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete a product with this slug first, with everything in it.",
        )
        parser.add_argument(
            "--editor", metavar="USERNAME", help="Give this user edit rights."
        )
        parser.add_argument("--name", default="", help="The product's name.")

    def handle(
        self,
        *args: Any,
        slug: str,
        scale: float,
        replace: bool,
        editor: str | None,
        name: str,
        **options: Any,
    ) -> None:
        try:
            validate_slug(slug)
        except ValidationError as error:
            raise CommandError(f"“{slug}” is not a valid slug.") from error
        user = None
        if editor:
            user = get_user_model().objects.filter(username=editor).first()
            if user is None:
                raise CommandError(f"There is no user “{editor}”.")

        started = time.perf_counter()
        try:
            result = generate_roadmap(
                slug=slug,
                scale=scale,
                today=timezone.localdate(),
                name=name,
                replace=replace,
                editor=user,
            )
        except ProductExists as error:
            raise CommandError(
                f"A product with the slug “{slug}” exists already; "
                "pass --replace to delete it and generate it again."
            ) from error
        # Thousands of rows arrived at once: refresh the planner's statistics,
        # as autovacuum would a little later, so the first pages are planned
        # for the tables' real sizes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds = time.perf_counter() - started

        size = result.size
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated “{result.product}” ({slug}) at scale {scale:g} "
                f"in {seconds:.1f} s:"
            )
        )
        for count, what in [
            (size.cards, "cards on the board"),
            (size.outcomes, "outcomes"),
            (size.challenges, "challenges"),
            (size.key_results, "success metrics (key results, one metric each)"),
            (size.features, "features"),
            (size.measurements, "measurements"),
            (size.themes, "themes"),
            (size.goals, "goals"),
            (
                size.outcome_dependencies + size.feature_dependencies,
                "team dependencies",
            ),
        ]:
            self.stdout.write(f"  {count:>8,} {what}")
        self.stdout.write(
            f"  {result.teams_created:>8,} new teams (teams are shared by name)"
        )
        if user is not None:
            self.stdout.write(f"  {user.get_username()} may edit it.")
