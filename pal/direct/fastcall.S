/* Entry and exit of the syscall fast path: a rewritten app syscall site jumps here. */

/* struct pal_tcb offsets, checked against the C definition in fastcall.c. */
#define TCB_STACK_TOP 56
#define TCB_APP_RSP   64
#define TCB_APP_RET   72
#define TCB_ACTIVE    80
#define TCB_SLOW      84

    .text

/* In: rax = syscall number, r11 = where the app resumes, rsp = the app's stack (whose red zone
 * must stay untouched). Everything else holds the app's values and comes back unchanged, but
 * rax (the result), rcx (the resume address) and r11 (the flags), as after a real syscall. */
    .globl pal_fast_entry
    .type pal_fast_entry, @function
pal_fast_entry:
    movl $1, %gs:TCB_ACTIVE
    mov %rsp, %gs:TCB_APP_RSP
    mov %r11, %gs:TCB_APP_RET
    mov %gs:TCB_STACK_TOP, %rsp

    /* struct pal_fast_frame, from the top down. */
    pushfq
    push %rdi
    push %rsi
    push %rdx
    push %r10
    push %r8
    push %r9
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    sub $264, %rsp /* 16 SSE registers, and 8 bytes to keep the stack 16-byte aligned */
    movdqu %xmm0, 0(%rsp)
    movdqu %xmm1, 16(%rsp)
    movdqu %xmm2, 32(%rsp)
    movdqu %xmm3, 48(%rsp)
    movdqu %xmm4, 64(%rsp)
    movdqu %xmm5, 80(%rsp)
    movdqu %xmm6, 96(%rsp)
    movdqu %xmm7, 112(%rsp)
    movdqu %xmm8, 128(%rsp)
    movdqu %xmm9, 144(%rsp)
    movdqu %xmm10, 160(%rsp)
    movdqu %xmm11, 176(%rsp)
    movdqu %xmm12, 192(%rsp)
    movdqu %xmm13, 208(%rsp)
    movdqu %xmm14, 224(%rsp)
    movdqu %xmm15, 240(%rsp)
    cld

    mov %rsp, %rdi
    mov %rax, %rsi
    call pal_fast_dispatch

    movdqu 0(%rsp), %xmm0
    movdqu 16(%rsp), %xmm1
    movdqu 32(%rsp), %xmm2
    movdqu 48(%rsp), %xmm3
    movdqu 64(%rsp), %xmm4
    movdqu 80(%rsp), %xmm5
    movdqu 96(%rsp), %xmm6
    movdqu 112(%rsp), %xmm7
    movdqu 128(%rsp), %xmm8
    movdqu 144(%rsp), %xmm9
    movdqu 160(%rsp), %xmm10
    movdqu 176(%rsp), %xmm11
    movdqu 192(%rsp), %xmm12
    movdqu 208(%rsp), %xmm13
    movdqu 224(%rsp), %xmm14
    movdqu 240(%rsp), %xmm15
    add $264, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r9
    pop %r8
    pop %r10
    pop %rdx
    pop %rsi
    pop %rdi
    mov (%rsp), %r11
    popfq
    mov %gs:TCB_APP_RET, %rcx
    mov %gs:TCB_APP_RSP, %rsp

/* From here every register is the app's but rip. A host signal that lands in this window has
 * the PAL finish the return itself (see fastcall.c), so none is ever left waiting. */
    .globl pal_fast_exit_window
pal_fast_exit_window:
    cmpl $0, %gs:TCB_SLOW
    jne 1f
    jmp *%rcx
1:
/* The slow return: this trap hands the PAL the app's complete state. */
    .globl pal_fast_slow_trap
pal_fast_slow_trap:
    ud2
    .globl pal_fast_exit_window_end
pal_fast_exit_window_end:
    .size pal_fast_entry, . - pal_fast_entry

    .section .note.GNU-stack, "", @progbits
