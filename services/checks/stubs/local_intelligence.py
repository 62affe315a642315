"""Local intelligence: one force's own, visible only to that force (tenant <force>-intel)."""

from __future__ import annotations

from schemas.checks import System
from services.checks.stubs.service import stand_in

definition = stand_in(System.LOCAL_INTELLIGENCE, name="local_intelligence")
