"""``python -m api``: serve the API with uvicorn on the configured host and port."""

from __future__ import annotations

import logging

import uvicorn

from api.core.config import Settings


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    uvicorn.run("api.main:app", host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
