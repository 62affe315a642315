"""PNC: nominals, convictions, cautions, reprimands and final warnings, ViSOR markers."""

from __future__ import annotations

from schemas.checks import System
from services.checks.stubs.service import stand_in

definition = stand_in(System.PNC, name="pnc")
