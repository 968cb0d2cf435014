"""How forms render: Django's widgets with the app's one field template."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import django.forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates

from config.oversize import CheckedBoundField


class FormRenderer(DjangoTemplates):
    """Render `field.as_field_group` with templates/includes/_field.html."""

    field_template_name = "includes/_field.html"
    # A field dropped from an oversized post fails with "Too large: ...".
    bound_field_class = CheckedBoundField

    @cached_property
    def engine(self) -> Any:
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(django.forms.__file__).parent / "templates",
                    Path(settings.BASE_DIR) / "templates",
                ],
                "NAME": "northstar-forms",
                "OPTIONS": {},
            }
        )
