"""Staff password checks run one at a time in a process: each scrypt check takes 32 MiB."""
import threading
import time

import pytest

from app.errors import ServiceUnavailable
from app.identity import service


def test_concurrent_logins_check_their_passwords_one_at_a_time(monkeypatch):
    running, most, lock = [0], [0], threading.Lock()

    def slow_check(password_hash, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return password_hash == password

    monkeypatch.setattr(service, "check_password_hash", slow_check)
    answers = []
    threads = [threading.Thread(target=lambda i=i: answers.append(service._password_matches(f"p{i}", f"p{i}")))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 8 and most[0] == 1


def test_a_login_that_cannot_get_its_turn_is_told_to_try_again(monkeypatch):
    monkeypatch.setattr(service, "PASSWORD_CHECK_WAIT_SECONDS", 0.05)
    service._PASSWORD_CHECK.acquire()  # another login's check is running
    try:
        with pytest.raises(ServiceUnavailable) as refused:
            service._password_matches("x", "x")
        assert refused.value.status == 503 and "稍后再试" in refused.value.message
    finally:
        service._PASSWORD_CHECK.release()
    assert service._password_matches(service.generate_password_hash("right"), "right") is True
