"""The bench's rate of a consumer group: its budget may count from the first commit."""

from __future__ import annotations

import pytest

from streams.bench import run


class FakeClock:
    """``time.monotonic`` and ``time.sleep`` for ``_consumed_rate``: sleeping moves time."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def slow_starter(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A group that commits nothing for 30 s, then 100 messages per second of a 10,000 backlog."""
    clock = FakeClock()
    monkeypatch.setattr(run.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(run.time, "sleep", clock.sleep)

    def lag(settings: run.Settings, group: str, topics: list[str]) -> int | None:
        if clock.now < 30.0:
            return None  # nothing committed yet
        return max(10_000 - int(100 * (clock.now - 30.0)), 0)

    monkeypatch.setattr(run, "group_lag", lag)
    return clock


def rate_of_slow_starter(start_within_s: float | None = None) -> tuple[float, bool]:
    """``_consumed_rate`` over the fixture's group: a 10,000 backlog, a budget of 20 s."""
    settings = run.Settings()
    return run._consumed_rate(
        settings, ["g"], ["t"], 10_000, 20.0, lambda: True, start_within_s=start_within_s
    )


def test_a_budget_from_now_is_eaten_by_a_slow_start(slow_starter: FakeClock) -> None:
    assert rate_of_slow_starter() == (0.0, False)
    assert slow_starter.now == pytest.approx(20.0)


def test_a_budget_from_the_first_commit_measures_the_steady_rate(slow_starter: FakeClock) -> None:
    rate, done = rate_of_slow_starter(start_within_s=120.0)
    assert rate == pytest.approx(100.0, rel=0.01)
    assert not done
    assert slow_starter.now == pytest.approx(50.0, abs=0.6)  # 30 s to start, then 20 s


def test_a_group_that_never_commits_gives_up_after_start_within(slow_starter: FakeClock) -> None:
    rate, _ = rate_of_slow_starter(start_within_s=10.0)
    assert rate == 0.0
    assert slow_starter.now == pytest.approx(10.0)


def test_each_look_reports_the_messages_done_so_far(slow_starter: FakeClock) -> None:
    looks: list[tuple[float, int]] = []
    run._consumed_rate(
        run.Settings(),
        ["g"],
        ["t"],
        10_000,
        20.0,
        lambda: True,
        start_within_s=120.0,
        on_look=lambda done: looks.append((slow_starter.now, done)),
    )
    before = [done for now, done in looks if now < 30.0]
    assert before and set(before) == {0}  # nothing committed yet
    after = [(now, done) for now, done in looks if now >= 30.0]
    assert all(done == int(100 * (now - 30.0)) for now, done in after)
    assert after[-1][1] == pytest.approx(2_000, abs=60)  # 20 s of the budget at 100/s
