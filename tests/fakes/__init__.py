"""In-process fakes of external services used by the tests."""

from tests.fakes.sheets_api import (
    DEFAULT_USER_EMAIL,
    Fault,
    Formula,
    GoogleRedirectAdapter,
    LoggedRequest,
    RequestRecord,
    SheetsFake,
    Shown,
)

__all__ = [
    "DEFAULT_USER_EMAIL",
    "Fault",
    "Formula",
    "GoogleRedirectAdapter",
    "LoggedRequest",
    "RequestRecord",
    "SheetsFake",
    "Shown",
]
