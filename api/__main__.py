"""``python -m api``: serve the API with uvicorn on the configured host and port
(``ALLOCATOR_HOST`` and ``ALLOCATOR_PORT``, or ``--host`` and ``--port``)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
import uvicorn

from api.core.config import Settings

app = typer.Typer(add_completion=False)


@app.command()
def main(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: the ALLOCATOR_HOST setting, 127.0.0.1)"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            min=1, max=65535, help="Port to listen on (default: the ALLOCATOR_PORT setting, 8000)"
        ),
    ] = None,
) -> None:
    """Serve the allocator API and web page with uvicorn."""
    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    uvicorn.run(
        "api.main:app",
        host=host if host is not None else settings.host,
        port=port if port is not None else settings.port,
    )


if __name__ == "__main__":
    app()
