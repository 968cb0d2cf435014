from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware.

    `user` needs no annotation here: django-stubs types it from
    AUTH_USER_MODEL on HttpRequest itself.
    """

    htmx: HtmxDetails
