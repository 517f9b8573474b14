/* Process entry of kernite-direct: hands the initial stack to pal_main. */
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    mov %rsp, %rdi
    and $-16, %rsp
    call pal_main
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
