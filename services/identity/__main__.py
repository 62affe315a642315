"""`python -m services.identity`: run the local issuer (deploy/local/issuer.py starts it)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from services.identity.app import create_app
from services.identity.realms import Realms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True, help="keys and the directory")
    parser.add_argument("--certificate", type=Path, required=True)
    parser.add_argument("--key", type=Path, required=True)
    args = parser.parse_args()
    realms = Realms(args.folder, f"https://127.0.0.1:{args.port}")
    uvicorn.run(
        create_app(realms),
        host="127.0.0.1",
        port=args.port,
        ssl_certfile=str(args.certificate),
        ssl_keyfile=str(args.key),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
