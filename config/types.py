from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from strategy.models import ApiToken


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware.

    `user` needs no annotation here: django-stubs types it from
    AUTH_USER_MODEL on HttpRequest itself.
    """

    htmx: HtmxDetails


class ApiHttpRequest(HttpRequest):
    """A request the JSON API's bearer-token auth let through.

    django-ninja sets `auth` to what the auth returned: the product's token.
    """

    auth: ApiToken
