"""Errors whose message is meant for the member. Anything else is a bug: it is
logged with its stack trace and the member gets a polite apology instead."""


class UserFacingError(Exception):
    """Raised by services; the router turns `str(err)` into a private reply."""


class NotAllowed(UserFacingError):
    pass


class NotFound(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass
