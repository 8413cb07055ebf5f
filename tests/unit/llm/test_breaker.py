from rasa_hybrid.llm.breaker import CircuitBreaker


def test_opens_after_the_threshold_and_says_so(clock, caplog):
    breaker = CircuitBreaker("fake", failures=3, cooldown_s=30, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure("timeout")
    assert breaker.allow()
    breaker.record_failure("timeout")
    assert breaker.is_open
    assert not breaker.allow()
    assert "not calling it for 30 s" in caplog.text


def test_a_success_resets_the_count(clock):
    breaker = CircuitBreaker("fake", failures=2, cooldown_s=30, clock=clock)
    breaker.record_failure("x")
    breaker.record_success()
    breaker.record_failure("x")
    assert breaker.allow()


def test_one_trial_after_the_cool_down(clock):
    breaker = CircuitBreaker("fake", failures=1, cooldown_s=30, clock=clock)
    breaker.record_failure("x")
    clock.advance(29)
    assert not breaker.allow()
    clock.advance(2)
    assert breaker.allow()
    assert not breaker.allow()  # only one trial at a time
    breaker.record_success()
    assert breaker.allow()
    assert not breaker.is_open


def test_a_failed_trial_opens_it_again(clock):
    breaker = CircuitBreaker("fake", failures=1, cooldown_s=30, clock=clock)
    breaker.record_failure("x")
    clock.advance(31)
    assert breaker.allow()
    breaker.record_failure("x")
    assert not breaker.allow()
    clock.advance(31)
    assert breaker.allow()


def test_release_frees_the_trial_without_a_verdict(clock):
    breaker = CircuitBreaker("fake", failures=1, cooldown_s=30, clock=clock)
    breaker.record_failure("x")
    clock.advance(31)
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()
