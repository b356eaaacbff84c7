"""The one exception the datasets layer raises for problems a user can fix."""

from __future__ import annotations


class DatasetError(Exception):
    """A dataset cannot be used, told in one human message.

    The message says what is wrong, where the loader looked and how to fix it,
    so the app and the command line can show it as is (no traceback needed).
    """
