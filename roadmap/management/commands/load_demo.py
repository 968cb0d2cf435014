from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils import timezone

from roadmap.demo import DEMO_SLUG, DEMO_USERS, DemoResult, load_demo
from strategy.models import Product


class Command(BaseCommand):
    help = (
        "Load the Fabrikam demo roadmap (idempotent) and print the demo sign-ins, "
        "its share links (when it creates them) and where to look."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo product first, then load it again.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database has no products at all.",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="Print links as full URLs on this address, e.g. http://127.0.0.1:8000.",
        )

    def handle(
        self, *args: Any, reset: bool, if_empty: bool, base_url: str, **options: Any
    ) -> None:
        self.base_url = base_url.rstrip("/")
        if if_empty and Product.objects.exists():
            self.stdout.write("Products exist already; the demo was not loaded.")
        else:
            result = load_demo(today=timezone.localdate(), reset=reset)
            if result.created:
                self.stdout.write(
                    self.style.SUCCESS(f"Loaded the demo product “{result.product}”.")
                )
                self.print_share_links(result)
            else:
                self.stdout.write(
                    f"The demo product “{result.product}” is already loaded; nothing changed."
                )
        self.print_sign_ins()
        self.print_places()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def print_share_links(self, result: DemoResult) -> None:
        """Print each new link in full: only its hash is stored, so this is the once."""
        self.stdout.write("Demo share links (shown only now; no sign-in needed):")
        for share in result.shares:
            self.stdout.write(
                f"  {share.link.get_scope_display():<14} "
                f"{self.url(reverse('share_page', args=[share.secret]))}"
                f"  ({share.link.label})"
            )

    def print_sign_ins(self) -> None:
        existing = set(
            get_user_model()
            .objects.filter(username__in=[user.username for user in DEMO_USERS])
            .values_list("username", flat=True)
        )
        if not existing:
            return
        self.stdout.write("Demo sign-ins (username / password):")
        for user in DEMO_USERS:
            if user.username in existing:
                self.stdout.write(
                    f"  {user.username:<12} {user.password:<20} {user.role}"
                )

    def print_places(self) -> None:
        if not Product.objects.filter(slug=DEMO_SLUG).exists():
            return
        places = [
            ("Board", reverse("roadmap:board", args=[DEMO_SLUG])),
            ("Soon kit", "/soon/"),
            ("Notifications", "/notifications/"),
            ("Share links", reverse("roadmap:share_links", args=[DEMO_SLUG])),
        ]
        self.stdout.write("Where to look:")
        for name, path in places:
            self.stdout.write(f"  {name:<14} {self.url(path)}")
