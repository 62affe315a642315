"""Stand-ins for PNC, ViSOR, INI and each force's local intelligence, reached only by messages.

Each is its own process with its own schema and data, answering `CheckQueryV1` on its inbox
with `CheckAnsweredV1` to the asking force's inbox:

    csods stubs seed --nominals 1000000 --seed 1     # synthetic people, deterministic, COPY
    csods run pnc --tenant pnc                       # likewise visor, ini
    csods run local-intelligence --tenant warwickshire-intel
    csods stubs evaluate --queries 1000              # the matcher's precision and recall

Misbehaviour, per process: CSODS_STUB_LATENCY_SECONDS, CSODS_STUB_LATENCY_JITTER,
CSODS_STUB_ERROR_RATE, CSODS_STUB_MALFORMED_RATE, CSODS_STUB_OUTAGE_SECONDS,
CSODS_STUB_RANDOM_SEED (see behaviour.py).
"""
