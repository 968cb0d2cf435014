from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from roadmap.demo import DEMO_USERS, load_demo
from strategy.models import Product


class Command(BaseCommand):
    help = "Load the Fabrikam demo roadmap (idempotent) and print the demo sign-ins."

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

    def handle(self, *args: Any, reset: bool, if_empty: bool, **options: Any) -> None:
        if if_empty and Product.objects.exists():
            self.stdout.write("Products exist already; the demo was not loaded.")
        else:
            result = load_demo(today=timezone.localdate(), reset=reset)
            if result.created:
                self.stdout.write(
                    self.style.SUCCESS(f"Loaded the demo product “{result.product}”.")
                )
            else:
                self.stdout.write(
                    f"The demo product “{result.product}” is already loaded; nothing changed."
                )
        self.print_sign_ins()

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
