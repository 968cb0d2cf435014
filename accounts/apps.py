from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import stamp_sign_in

        # Django's own hook for "a session was just signed in", whichever view
        # (the app's, the admin's, an invitation's) did it.
        user_logged_in.connect(stamp_sign_in, dispatch_uid="accounts_stamp_sign_in")
