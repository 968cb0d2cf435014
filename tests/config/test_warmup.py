"""gunicorn's master loads views and templates once, before it forks workers."""

from __future__ import annotations

import runpy
from pathlib import Path

from django.conf import settings
from django.template import engines

from config.warmup import warm_up


def test_warming_up_compiles_every_project_template_without_a_database():
    # No django_db mark: any query or connection here would fail the test,
    # and a connection opened in the master would be shared by its workers.
    warmed = warm_up()

    project_templates = list((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
    assert warmed.templates == len(project_templates) > 50
    assert warmed.urls > 100


def test_warming_up_fills_the_template_cache_the_workers_inherit():
    engine = engines["django"].engine
    for loader in engine.template_loaders:
        loader.reset()
    cached = engine.template_loaders[0].loaders[0]  # partials wrap the cached loader

    warm_up()

    assert {"roadmap/board.html", "base.html"} <= set(cached.get_template_cache)


def test_gunicorn_warms_up_before_forking_its_workers(monkeypatch):
    calls = []
    monkeypatch.setattr("config.warmup.warm_up", lambda: calls.append("warm"))
    config = runpy.run_path(str(Path(settings.BASE_DIR) / "gunicorn.conf.py"))

    config["when_ready"](server=None)

    assert config["preload_app"] is True
    assert calls == ["warm"]
