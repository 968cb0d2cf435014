"""The site's own small answers that belong to no app: robots.txt, the favicon."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24)
def robots_txt(request: HttpRequest) -> HttpResponse:
    """Keep crawlers out of everything except the paths settings allow."""
    lines = ["User-agent: *"]
    lines += [f"Allow: {path}" for path in settings.NORTHSTAR_ROBOTS_ALLOW]
    lines.append("Disallow: /")
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; charset=utf-8"
    )


@require_safe
@cache_control(public=True, max_age=60 * 60 * 24)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico where a page names no icon: send the icon."""
    return HttpResponseRedirect(static("favicon.svg"))
