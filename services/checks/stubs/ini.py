"""INI / PND: intelligence held by any force about a person, graded."""

from __future__ import annotations

from schemas.checks import System
from services.checks.stubs.service import stand_in

definition = stand_in(System.INI, name="ini")
