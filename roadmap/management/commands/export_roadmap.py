from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roadmap.exchange import FORMATS, export_plan
from strategy.models import Product


class Command(BaseCommand):
    help = (
        "Export a product's whole plan: JSON (the plan document, which "
        "import_roadmap reads), CSV (one file per kind of item, in a zip) or "
        "Markdown. Writes to stdout unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="Slug of the product to export.")
        parser.add_argument("--format", choices=sorted(FORMATS), default="json")
        parser.add_argument(
            "--output", metavar="FILE", help="Write to FILE instead of stdout."
        )

    def handle(
        self, *args: Any, slug: str, format: str, output: str | None, **options: Any
    ) -> None:
        product = Product.objects.filter(slug=slug).first()
        if product is None:
            raise CommandError(f"There is no product “{slug}”.")
        content, _, _ = export_plan(product, format)
        if output:
            Path(output).write_bytes(content)
            self.stderr.write(f"Wrote {len(content):,} bytes to {output}.")
        elif format == "csv":
            raise CommandError("A CSV export is a zip file: pass --output FILE.")
        else:
            self.stdout.write(content.decode(), ending="")
