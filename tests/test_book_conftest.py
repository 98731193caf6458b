"""book/conftest.py retries a notebook kernel that dies at start-up, and only so often."""

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.fp_insensitive

_spec = importlib.util.spec_from_file_location(
    "book_conftest", Path(__file__).resolve().parents[1] / "book" / "conftest.py")
book_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(book_conftest)


def test_a_kernel_that_dies_at_start_is_started_again_then_given_up():
    calls = []

    def dies_twice(*args, **kwargs):
        calls.append(args)
        if len(calls) < 3:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return "manager", "client"

    assert book_conftest._retry_kernel_start(dies_twice)("x") == ("manager", "client")
    assert calls == [("x",)] * 3
    calls.clear()

    def always_dies(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("Kernel died before replying to kernel_info")

    with pytest.raises(RuntimeError, match="Kernel died"):
        book_conftest._retry_kernel_start(always_dies)()
    assert len(calls) == 3
