"""Storage: SQLAlchemy 2 models and repository functions, Alembic migrations, the content-addressed blob store.

Kept import-light on purpose (the CLI imports ``smartinspect.storage.cli``); import the submodules you need:
``db`` (engine, sessions, migrations), ``models``, ``apikeys``, ``scans``, ``blobs``.
"""
