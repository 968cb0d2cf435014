"""A browser-less client for the served app: real HTTP, cookies, CSRF, forms.

The concurrency tests and the crash check (`.ci/crash_check.py`) drive a real
server (pytest-django's live server, or gunicorn) with it, each client thread
holding its own `WebClient`: its own session cookie, its own connections.
Only the standard library, so the crash check needs nothing more.

    client = WebClient("http://127.0.0.1:8000")
    client.login("pm", "northstar-pm")
    form = client.form("/products/fabrikam-style/roadmap/outcome/3/edit/")
    answer = client.post(form.action, form.data(title="Sharper"), htmx=True)
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from typing import Any


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Form:
    """A form as a browser would post it: its target and its (name, value) pairs."""

    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str:
        return next(value for key, value in self.fields if key == name)

    def data(self, **changes: str) -> list[tuple[str, str]]:
        """The fields with some values replaced, as typed by the person."""
        return [(name, changes.get(name, value)) for name, value in self.fields]


class _FormParser(HTMLParser):
    """Collect every <form>: inputs, checked boxes, textareas, selected options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._first_option: str | None = None
        self._selected = False
        self._option: dict[str, str | None] | None = None
        self._option_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            action = attr.get("hx-post") or attr.get("action") or ""
            self._form = Form(action=action)
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = (attr.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self._form.fields.append((name, attr.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._first_option, self._selected = name, None, False
        elif tag == "option" and self._select is not None:
            self._option, self._option_text = attr, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._form is not None and self._textarea:
            # The parser keeps the newline HTML drops right after <textarea>.
            self._form.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select:
            value = self._option.get("value")
            value = self._option_text.strip() if value is None else value
            if self._first_option is None:
                self._first_option = value
            if "selected" in self._option and self._form is not None:
                self._form.fields.append((self._select, value))
                self._selected = True
            self._option = None
        elif tag == "select" and self._select is not None:
            if not self._selected and self._first_option is not None and self._form:
                self._form.fields.append((self._select, self._first_option))
            self._select = None


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


class WebClient:
    """One person at a browser: a cookie jar and a fresh connection per request.

    Redirects are not followed (a 302 is an answer like any other). Errors of
    the connection (refused, reset, timed out) raise `OSError` or
    `http.client.HTTPException`: the caller does not know whether the server
    acted on the request.
    """

    def __init__(self, base_url: str, *, timeout: float = 30) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout
        )
        sent = {"Host": f"{self.host}:{self.port}", "Connection": "close"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Answer(
                status=response.status,
                body=content.decode("utf-8", "replace"),
                headers={k.lower(): v for k, v in response.getheaders()},
            )
        finally:
            connection.close()

    def get(self, path: str, *, htmx: bool = False) -> Answer:
        return self.request("GET", path, headers={"HX-Request": "true"} if htmx else {})

    def post(
        self,
        path: str,
        data: list[tuple[str, str]] | dict[str, str],
        *,
        htmx: bool = False,
    ) -> Answer:
        """Post a form, with the CSRF token htmx would send as a header."""
        pairs = list(data.items()) if isinstance(data, dict) else data
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
        }
        if htmx:
            headers["HX-Request"] = "true"
        body = urllib.parse.urlencode(pairs).encode()
        return self.request("POST", path, body=body, headers=headers)

    def post_json(self, path: str, payload: Any, *, token: str) -> Answer:
        return self.request(
            "POST",
            path,
            body=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
            },
        )

    def form(self, path: str, *, having: str = "", htmx: bool = True) -> Form:
        """The first form of the page (or fragment) at path with a field named `having`."""
        answer = self.get(path, htmx=htmx)
        if answer.status != 200:
            raise FormMissing(f"GET {path} answered {answer.status}")
        for found in forms_in(answer.body):
            if not having or any(name == having for name, _ in found.fields):
                return found
        raise FormMissing(f"GET {path} has no form with {having or 'any field'}")

    def login(self, username: str, password: str) -> None:
        """Sign in through the sign-in page, as a person would."""
        form = self.form("/login/", having="password", htmx=False)
        answer = self.post("/login/", form.data(username=username, password=password))
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise FormMissing(f"signing in as {username} answered {answer.status}")


class FormMissing(Exception):
    """The page did not offer the form asked for."""
