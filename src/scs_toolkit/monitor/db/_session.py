"""Engine and sessions per Database object (no module state); schema changes only through Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from ..._database import database_engine, quick_read_engine


class Database:
    """One database: a connection pool and a session factory; safe to share between requests and replicas."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = database_engine(url)
        self.quick_reads = quick_read_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def new_session(self) -> Session:
        """A session whose owner commits explicitly; closing it rolls back anything uncommitted."""
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()
        if self.quick_reads is not None:
            self.quick_reads.dispose()


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` with the bundled Alembic migrations."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("scs_toolkit.monitor.db").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)
