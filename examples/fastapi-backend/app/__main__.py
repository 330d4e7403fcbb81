"""`python -m app [--host H] [--port P]`: serve the backend with uvicorn."""

from __future__ import annotations

import argparse
import os

import uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("CHATKIT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CHATKIT_PORT", "8000")))
    parser.add_argument("--log-level", default=os.environ.get("CHATKIT_LOG_LEVEL", "info"))
    args = parser.parse_args()
    # The client address comes from CHATKIT_TRUSTED_PROXY_HEADER only (ratelimit.py), so uvicorn
    # must not rewrite it from X-Forwarded-For on its own.
    uvicorn.run("app.main:app", host=args.host, port=args.port, log_level=args.log_level, proxy_headers=False)


if __name__ == "__main__":
    main()
