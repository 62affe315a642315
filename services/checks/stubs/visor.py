"""ViSOR: registered offenders, their managing force, MAPPA, risk and orders."""

from __future__ import annotations

from schemas.checks import System
from services.checks.stubs.service import stand_in

definition = stand_in(System.VISOR, name="visor")
