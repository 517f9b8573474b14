"""Signals within one process: synchronous faults reach the app's own handlers, as natively."""

import pytest

from conftest import DATA, build_c_program


@pytest.fixture(scope="module")
def sync_signals(tmp_path_factory):
    return build_c_program(DATA / "sync_signals.c", tmp_path_factory.mktemp("sync_signals"))


def test_segv_fpe_ill_and_bus_faults_reach_app_handlers(compare, sync_signals):
    native, _ = compare(sync_signals, mounts=[sync_signals.parent])
    assert native.stdout.count("caught") == 5, native.describe("native")
