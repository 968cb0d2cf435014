from __future__ import annotations

from django.apps import AppConfig


class RoadmapConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "roadmap"

    def ready(self) -> None:
        from roadmap.snapshots import on_plan_changing
        from strategy.revision import plan_changing

        plan_changing.connect(on_plan_changing, dispatch_uid="roadmap-monthly-snapshot")
