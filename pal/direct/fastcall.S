/* Entry and exit of the syscall fast path: a rewritten app syscall site jumps here. */

/* struct pal_tcb offsets, checked against the C definition in fastcall.c. */
#define TCB_STACK_TOP 56
#define TCB_APP_RSP   64
#define TCB_APP_RET   72
#define TCB_ACTIVE    80
#define TCB_SLOW      84

/* The frame on the fast stack, also checked in fastcall.c: 16 SSE registers; the handler's
 * slow flag, which then holds its result (these 8 bytes keep the stack 16-byte aligned at the
 * call); the six syscall arguments in their order (the handler's args[6]); the flags. */
#define FRAME_RESULT 256
#define FRAME_ARGS   264
#define FRAME_FLAGS  312

/* The flags the library OS's code can change, and the exit puts back: CF PF AF ZF SF DF OF.
 * Flags-free instructions (mov, lea, jmp) are all the exit runs once these are the app's. */
#define FLAG_DF_BIT 10
#define FLAG_OF     0x800

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

    pushfq
    push %r9
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
    sub $FRAME_ARGS, %rsp
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

    /* The handler is C: it keeps rbx, rbp and r12-r15 itself. */
    movb $0, FRAME_RESULT(%rsp)
    mov %rax, %rdi
    lea FRAME_ARGS(%rsp), %rsi
    lea FRAME_RESULT(%rsp), %rdx
    call *pal_fast_handler(%rip)
    cmpb $0, FRAME_RESULT(%rsp)
    je 1f
    movl $1, %gs:TCB_SLOW
1:
    mov %rax, FRAME_RESULT(%rsp)

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
    mov FRAME_ARGS(%rsp), %rdi
    mov FRAME_ARGS+8(%rsp), %rsi
    mov FRAME_ARGS+16(%rsp), %rdx
    mov FRAME_ARGS+24(%rsp), %r10
    mov FRAME_ARGS+32(%rsp), %r8
    mov FRAME_ARGS+40(%rsp), %r9

/* From here every register is the app's but rax, rcx, r11, the flags, rsp (which still points
 * at the intact frame, so a host signal's frame goes below it) and rip. A host signal that
 * lands in this window has the PAL finish the return itself from the frame and the tcb (see
 * fastcall.c), so none is ever left waiting; so does the slow return's trap. */
    .globl pal_fast_exit_window
pal_fast_exit_window:
    cmpl $0, %gs:TCB_SLOW
    jne pal_fast_slow_trap
    mov FRAME_FLAGS(%rsp), %r11
    bt $FLAG_DF_BIT, %r11d
    jnc 2f
    std
2:
    /* OF from an addition that overflows exactly when the app's OF was set; then sahf sets
     * SF ZF AF PF CF from the flags' low byte and leaves OF as it is. */
    mov %r11d, %ecx
    and $FLAG_OF, %ecx
    shl $20, %ecx
    mov %r11d, %eax
    shl $8, %eax
    add %ecx, %ecx
    sahf
    mov FRAME_RESULT(%rsp), %rax
    mov %gs:TCB_APP_RET, %rcx
    mov %gs:TCB_APP_RSP, %rsp
/* Only rip is not the app's here. */
    .globl pal_fast_exit_jump
pal_fast_exit_jump:
    jmp *%rcx
/* The slow return: this trap hands the PAL the app's state. */
    .globl pal_fast_slow_trap
pal_fast_slow_trap:
    ud2
    .globl pal_fast_exit_window_end
pal_fast_exit_window_end:
    .size pal_fast_entry, . - pal_fast_entry

    .section .note.GNU-stack, "", @progbits
