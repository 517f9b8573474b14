/* Copies to and from app memory that end with -EFAULT instead of a crash when a page is gone. */

    .text

/* int pal_user_copy(void* dst, const void* src, size_t size)
 * Leaf functions: a fault between pal_user_access_start and pal_user_access_end leaves the
 * stack as it was on entry, and the signal handler resumes at pal_user_access_fault, which
 * returns -EFAULT to the caller. */
    .globl pal_user_copy
    .type pal_user_copy, @function
pal_user_copy:
    mov %rdx, %rcx
    .globl pal_user_access_start
pal_user_access_start:
    rep movsb
    xor %eax, %eax
    ret
    .size pal_user_copy, . - pal_user_copy

/* int pal_user_zero(void* dst, size_t size) */
    .globl pal_user_zero
    .type pal_user_zero, @function
pal_user_zero:
    mov %rsi, %rcx
    xor %eax, %eax
    rep stosb
    .globl pal_user_access_end
pal_user_access_end:
    ret
    .size pal_user_zero, . - pal_user_zero

    .globl pal_user_access_fault
    .type pal_user_access_fault, @function
pal_user_access_fault:
    mov $-14, %eax /* -EFAULT */
    ret
    .size pal_user_access_fault, . - pal_user_access_fault

    .section .note.GNU-stack, "", @progbits
