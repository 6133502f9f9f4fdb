"""A command's correlation id: only the secret's holder can make one, for one (saga, step, attempt)."""

from uuid import uuid4

import pytest

from saga_orchestrator.runtime.correlation import Correlation

pytestmark = pytest.mark.unit

SECRET = "a-secret-of-some-length"


def test_a_signed_correlation_id_verifies_for_its_saga_and_step_only() -> None:
    correlation, saga, other = Correlation(SECRET), uuid4(), uuid4()
    signed = correlation.sign(saga, "reserveStock", 2)

    assert signed.startswith("2.")
    assert correlation.verifies(saga, "reserveStock", signed)
    assert not correlation.verifies(other, "reserveStock", signed)
    assert not correlation.verifies(saga, "releaseStock", signed)


@pytest.mark.parametrize("forged", ["", "1", "1.", "x.abc", "٣.abc", "1." + "0" * 32, None])
def test_a_made_up_correlation_id_does_not_verify(forged: str | None) -> None:
    assert not Correlation(SECRET).verifies(uuid4(), "reserveStock", forged)


def test_changing_the_attempt_or_the_secret_breaks_the_signature() -> None:
    saga = uuid4()
    signed = Correlation(SECRET).sign(saga, "reserveStock", 1)
    _, _, mac = signed.partition(".")

    assert not Correlation(SECRET).verifies(saga, "reserveStock", f"2.{mac}")
    assert not Correlation("another-secret-of-length").verifies(saga, "reserveStock", signed)


@pytest.mark.parametrize("secret", ["", "short"])
def test_an_orchestrator_without_a_long_enough_secret_does_not_start(secret: str) -> None:
    with pytest.raises(ValueError, match="CORRELATION_SECRET must be set"):
        Correlation(secret)
