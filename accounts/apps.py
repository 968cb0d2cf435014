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
        self._connect_security_events()

    def _connect_security_events(self) -> None:
        from axes.signals import user_locked_out  # type: ignore[import-untyped]
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import m2m_changed, post_save, pre_save

        from accounts import receivers
        from strategy import audit
        from strategy.models import Product

        audit.recorded.connect(receivers.store, dispatch_uid="security_store")
        user_logged_in.connect(receivers.signed_in, dispatch_uid="security_login")
        user_login_failed.connect(
            receivers.sign_in_failed, dispatch_uid="security_login_failed"
        )
        user_locked_out.connect(receivers.locked_out, dispatch_uid="security_lockout")
        user_model = get_user_model()
        pre_save.connect(
            receivers.remember_account_flags,
            sender=user_model,
            dispatch_uid="security_flags_before",
        )
        post_save.connect(
            receivers.account_flags_changed,
            sender=user_model,
            dispatch_uid="security_flags_after",
        )
        m2m_changed.connect(
            receivers.editors_changed,
            sender=Product.editors.through,
            dispatch_uid="security_editors",
        )
        m2m_changed.connect(
            receivers.viewers_changed,
            sender=Product.viewers.through,
            dispatch_uid="security_viewers",
        )
