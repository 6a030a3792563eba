"""Errors whose message tells an analyst what went wrong and how to put it right."""


class VocError(Exception):
    """A problem the user can fix; its message says how."""


class FileRefused(VocError):
    """An uploaded file was refused as a whole; the store is untouched."""


class NotAllowed(VocError):
    """The signed-in user's role does not allow this change."""


class NotFound(VocError):
    """Something the user named (an upload, a survey, a user...) does not exist; the message lists what does."""


class StoreUnavailable(VocError):
    """The store cannot be reached or created where VOC_DATABASE_URL points."""


class FeedRefused(VocError):
    """An open-data feed could not be pulled; the store is untouched."""
