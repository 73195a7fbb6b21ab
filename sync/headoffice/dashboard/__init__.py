"""Head office's own page (zh by default, en): the fleet, a parcel's timeline, problem
parcels, counts with CSV, and the records stations send. Mounted under /ho/ by
``create_app``; signed-in operators only."""

from __future__ import annotations

from sync.headoffice.dashboard.pages import blueprint

__all__ = ["blueprint"]
