"""Password strength (security): checked on the server wherever a password is set (staff
create and edit, changing one's own password), whatever the browser says."""

from __future__ import annotations

from rules.i18n import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 128
#: Passwords that pass the length and mix tests but are the first ones guessed.
COMMON = frozenset(
    {"password1", "password123", "passw0rd", "qwerty123", "abc12345", "12345678a", "a1234567"}
)


def password_problems(password: str, username: str = "") -> list[str]:
    """What is wrong with `password` (empty when it is strong enough)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("use at least %(n)d characters", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("use at most %(n)d characters", n=MAX_LENGTH))
    kinds = (
        any(c.isalpha() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(kinds) < 2:
        problems.append(_("mix at least two of letters, digits and symbols"))
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append(_("do not put the username in it"))
    if password.lower() in COMMON:
        problems.append(_("it is too common, choose another"))
    return problems
