"""A few programs of other modules again, with the app's syscalls caught by the seccomp filter
(KERNITE_SYSCALL_FILTER=seccomp) instead of Syscall User Dispatch, so that the fallback keeps
working: rewriting and its register promises, faults, threads, signals and fork."""

import pytest

from conftest import FILTER_SWITCH
from test_processes_programs import (forks, test_execve_ends_the_other_threads_first,
                                     test_forked_child_continues_with_the_parents_fpu_state,
                                     test_fork_while_other_threads_allocate,
                                     test_orphan_is_reparented_to_pid_1_which_reaps_it)
from test_rewrite import (test_rewriting_hazards_keep_results_right,
                          test_signals_during_syscalls_leave_registers_and_vector_state_intact,
                          test_syscalls_keep_registers_flags_vector_state_and_red_zone)
from test_signals import sync_signals, test_segv_fpe_ill_and_bus_faults_reach_app_handlers
from test_threads_signals import (
    test_nonblocking_calls_after_a_signal_from_another_thread_answer_at_once,
    test_signals_behave_like_native, test_threads_and_futexes_behave_like_native)


@pytest.fixture(autouse=True)
def seccomp_filter(monkeypatch):
    monkeypatch.setenv(FILTER_SWITCH, "seccomp")
