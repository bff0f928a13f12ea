"""What one evaluation of a period found (cti/audit/auditor.py rule 2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Audit:
    duties: int  # scheduled duties that started in the period
    found: int  # findings the period's records give
    raised: int  # ... of which new, raised now (the others were raised before)
