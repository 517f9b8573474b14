/* The syscall gate: the only host syscall instructions the seccomp filter lets through. */

    .section kernite_gate, "ax", @progbits

/* Moves a C call's (nr, a1, ..., a6) into the registers of the syscall instruction. */
.macro syscall_args_from_c
    mov %rdi, %rax
    mov %rsi, %rdi
    mov %rdx, %rsi
    mov %rcx, %rdx
    mov %r8, %r10
    mov %r9, %r8
    mov 8(%rsp), %r9
.endm

/* long host_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
    .globl host_syscall
    .type host_syscall, @function
host_syscall:
    syscall_args_from_c
    syscall
    ret
    .size host_syscall, . - host_syscall

/* long gate_syscall_interruptible(nr, a1, a2, a3, a4, a5, a6, volatile int* interrupted)
 * Returns -EINTR without making the call when *interrupted is set. A signal handler that finds
 * the thread between gate_interruptible_check and gate_interruptible_syscall (inclusive) moves
 * it to gate_interruptible_eintr, so a request that arrives just before the call is not lost. */
    .globl gate_syscall_interruptible
    .type gate_syscall_interruptible, @function
gate_syscall_interruptible:
    syscall_args_from_c
    mov 16(%rsp), %r11
    .globl gate_interruptible_check
gate_interruptible_check:
    cmpl $0, (%r11)
    jne gate_interruptible_eintr
    .globl gate_interruptible_syscall
gate_interruptible_syscall:
    syscall
    ret
    .globl gate_interruptible_eintr
gate_interruptible_eintr:
    mov $-4, %rax
    ret
    .size gate_syscall_interruptible, . - gate_syscall_interruptible

/* Return path of every host signal handler. */
    .globl pal_signal_restorer
    .type pal_signal_restorer, @function
pal_signal_restorer:
    mov $15, %eax
    syscall
    ud2
    .size pal_signal_restorer, . - pal_signal_restorer

/* long gate_clone_thread(unsigned long flags, void* stack, int* ptid, int* ctid, void* tls)
 * The child starts on stack, which holds the function to run and its argument. */
    .globl gate_clone_thread
    .type gate_clone_thread, @function
gate_clone_thread:
    mov %rcx, %r10
    mov $56, %eax
    syscall
    test %rax, %rax
    jnz 1f
    xor %ebp, %ebp
    pop %rax
    pop %rdi
    and $-16, %rsp
    call *%rax
    ud2
1:
    ret
    .size gate_clone_thread, . - gate_clone_thread

/* void gate_sigreturn_jump(void* ucontext): resumes the registers of a signal frame whose
 * ucontext starts at the argument. */
    .globl gate_sigreturn_jump
    .type gate_sigreturn_jump, @function
gate_sigreturn_jump:
    mov %rdi, %rsp
    mov $15, %eax
    syscall
    ud2
    .size gate_sigreturn_jump, . - gate_sigreturn_jump

    .section .note.GNU-stack, "", @progbits
