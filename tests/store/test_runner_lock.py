"""One runner per database: a second holder of the same job's lock is refused until the first lets go."""

import pytest

from evinfra.store.engine import make_engine
from evinfra.store.runner_lock import AlreadyRunning, single_runner


def test_a_second_runner_is_refused_until_the_first_stops(engine):
    with single_runner(engine, "pull-run"):
        with pytest.raises(AlreadyRunning) as refused, single_runner(engine, "pull-run"):
            pass
        with single_runner(engine, "other-job"):  # another job is not held up
            pass
    assert refused.value.job == "pull-run"
    if engine.dialect.name == "sqlite":
        assert refused.value.holder.startswith("pid ")  # who holds it, for the operator's error message
    with single_runner(engine, "pull-run"):  # released
        pass


def test_an_in_memory_database_needs_no_lock():
    memory = make_engine("sqlite://")
    with single_runner(memory, "pull-run"), single_runner(memory, "pull-run"):
        pass
