"""Error and warning types of the Needs Map engine.

Every problem found in a data bundle or in a user's request is raised as one of
these, with the file, the row (or feature) and the field that is wrong, so a
person can open the file and fix it. Callers (CLI, dashboard) catch
``NeedsMapError`` and show ``str(err)``; nothing is silently dropped.
"""

from __future__ import annotations


class NeedsMapError(Exception):
    """Base class of every error the engine raises on purpose."""


class BundleError(NeedsMapError):
    """A data bundle file is missing, unreadable or has invalid content.

    ``file`` is the file name inside the bundle, ``row`` the 1-based data row (the
    header is row 0) or the 0-based GeoJSON feature index, ``field`` the column or
    property. Any of them may be ``None`` when the problem is not at that level.
    """

    def __init__(
        self, message: str, *, file: str | None = None, row: int | str | None = None, field: str | None = None
    ):
        self.file = file
        self.row = row
        self.field = field
        self.problem = message
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}" if not isinstance(row, str) else row)
        if field is not None:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ScenarioError(NeedsMapError):
    """A scenario, site id, postcode, coordinate or threshold given by a user is invalid."""


class BundleWarning(UserWarning):
    """Something in a bundle a user should know about that does not stop loading
    (an unlocated site, a low-confidence location)."""
