"""Pure rules of the day's records: what a handover sheet says, how problems end."""

from __future__ import annotations

import re
from dataclasses import dataclass

RESOLUTIONS = ("found", "delivered", "returned", "compensated", "written_off")
BATCH_KINDS = ("return", "delivery")
# An id printed on a COURIER: card and typed at the CLI.
COURIER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Reconciliation:
    """A handover counted against the manifest: what came, what was owed, what was not."""

    expected: list[str]
    scanned: list[str]
    missing: list[str]
    extra: list[str]

    def counts(self) -> dict[str, int]:
        return {
            "expected": len(self.expected),
            "scanned": len(self.scanned),
            "missing": len(self.missing),
            "extra": len(self.extra),
        }


def reconcile(expected: list[str], scanned: list[str]) -> Reconciliation:
    """Missing: announced but not scanned; extra: scanned but not announced. With no
    manifest for the carrier (nothing expected) nothing counts as extra."""
    owed, came = set(expected), set(scanned)
    return Reconciliation(
        expected=sorted(owed),
        scanned=list(dict.fromkeys(scanned)),
        missing=sorted(owed - came),
        extra=[w for w in dict.fromkeys(scanned) if w not in owed] if owed else [],
    )
