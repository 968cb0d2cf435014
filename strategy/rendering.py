"""Render a page template or one named partial of it ("page.html#partial").

django-template-partials resolves "#partial" names only when its template
loader is installed; the settings install its builtins alone. Looking the
partial up on the parsed template works either way, so the strategy views
(and the line-of-sight page) render through here.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.template.backends.django import Template


def render(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    name, _, partial = template_name.partition("#")
    template = loader.get_template(name)
    if partial:
        proxy = template.template.extra_data["partials"][partial]
        proxy.engine = template.template.engine
        template = Template(proxy, template.backend)
    return HttpResponse(template.render(context, request), status=status)
