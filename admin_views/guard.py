"""The one answer to a refused page: anonymous people go to login, others get a 403 page."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request, url_for
from flask_login import current_user


class LoginGuard:
    """Mixed into every admin page (grids, home, reports)."""

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)
