"""pytest fixtures for fake Clio. Import their functions into a test module to use them::

    from tests.fakes.clio.fixtures import clio_env_fixture, fake_clio_fixture  # noqa: F401

* `fake_clio`: a running `FakeClio` with one user (`CLIO_USER_ID`) and their calendar; after the
  test it fails if the connector sent any request Clio would have refused.
* `clio_env`: `fake_clio` with the `CLIO_*` variables pointing at it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.clio import FakeClio

__all__ = ["CLIO_USER_ID", "clio_env_fixture", "fake_clio_fixture"]

CLIO_USER_ID = 345678


@pytest.fixture(name="fake_clio")
def fake_clio_fixture() -> Iterator[FakeClio]:
    with FakeClio() as clio:
        clio.state.add_user("Jordan Lee", user_id=CLIO_USER_ID)
        yield clio
        assert clio.state.rejections == [], "the connector sent requests Clio refuses"


@pytest.fixture(name="clio_env")
def clio_env_fixture(fake_clio: FakeClio, monkeypatch: pytest.MonkeyPatch) -> FakeClio:
    for name, value in fake_clio.environment().items():
        monkeypatch.setenv(name, value)
    return fake_clio
