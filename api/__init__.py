"""The allocation service: a FastAPI jobs API over the allocator engine.

Layout (``../shared/STYLE.md``): ``core/config.py`` the settings, ``store.py`` the SQLAlchemy
job store, ``runner.py`` the dispatcher and the solve process, ``schemas.py`` the request and
response shapes, ``routes/`` one module per resource, ``main.py`` the application factory.
Run it with ``python -m api`` or ``uvicorn api.main:app``.
"""
