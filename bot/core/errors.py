"""Errors whose message is meant for the member. Anything else is a bug: it is
logged with its stack trace and the member gets a polite apology instead."""

# The one apology for anything unexpected, on every platform and in the console.
APOLOGY = (
    "Sorry — something went wrong on my side and nothing was changed. "
    "Please try again in a minute; if it keeps happening, tell a moderator."
)


class UserFacingError(Exception):
    """Raised by services; the router turns `str(err)` into a private reply."""


class NotAllowed(UserFacingError):
    pass


class NotFound(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass
