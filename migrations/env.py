"""Alembic environment: the schema is SQLModel's metadata; the engine comes from the app (DATABASE_URL)."""

from alembic import context
from sqlmodel import SQLModel

from appraisal_impact import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from appraisal_impact.db import make_engine
        import os

        engine = make_engine(os.environ.get("DATABASE_URL", "sqlite:///instance/appraisal_impact.sqlite"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
