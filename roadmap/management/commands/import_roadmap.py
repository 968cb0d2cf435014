from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roadmap.importing import (
    PlanInvalid,
    plan_changes,
    plan_import,
    read_plan,
)
from strategy.models import Product


class Command(BaseCommand):
    help = (
        "Import a plan document (export_roadmap's JSON) as a new product, or "
        "over an existing product with --into, replacing its plan. Prints what "
        "is created, changed and removed; --dry-run writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The JSON document; - reads stdin.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--slug",
            help="Create a new product with this slug (default: the document's).",
        )
        target.add_argument(
            "--into", metavar="SLUG", help="Replace the plan of this existing product."
        )
        parser.add_argument("--name", default="", help="Name of a new product.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the changes; write nothing."
        )

    def handle(
        self,
        *args: Any,
        file: str,
        slug: str | None,
        into: str | None,
        name: str,
        dry_run: bool,
        **options: Any,
    ) -> None:
        try:
            data = self.stdin_bytes() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        try:
            doc = read_plan(data)
        except PlanInvalid as error:
            raise CommandError(
                "The document cannot be imported:\n  " + "\n  ".join(error.problems)
            ) from error

        product = None
        if into:
            product = Product.objects.filter(slug=into).first()
            if product is None:
                raise CommandError(f"There is no product “{into}”.")
        else:
            slug = slug or doc.product.slug
            if Product.objects.filter(slug=slug).exists():
                raise CommandError(
                    f"A product with the slug “{slug}” exists already; pass "
                    "--slug NEW_SLUG for a new product or --into SLUG to replace "
                    "its plan."
                )

        changes = plan_changes(doc, product)
        for kind in changes.kinds:
            if kind.has_changes:
                self.stdout.write(
                    f"  {kind.label:<16} {len(kind.created):>6} created "
                    f"{len(kind.changed):>6} changed {len(kind.removed):>6} removed"
                )
        if changes.vision_changed:
            self.stdout.write("  Vision board     " + ", ".join(changes.vision_changed))
        if dry_run:
            self.stdout.write(f"Dry run: {changes.summary()}; nothing written.")
            return
        try:
            result = plan_import(
                doc=doc,
                product=product,
                slug=slug or "",
                name=name,
                expected_revision=changes.revision if product else None,
            )
        except PlanInvalid as error:
            raise CommandError(
                "The document cannot be imported:\n  " + "\n  ".join(error.problems)
            ) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported into “{result.product}” ({result.product.slug}): "
                f"{result.created} created, {result.changed} changed, "
                f"{result.removed} removed."
            )
        )

    def stdin_bytes(self) -> bytes:
        return sys.stdin.buffer.read()
