/* Places where rewriting syscall sites could go wrong, each checked for the right result:
 * JIT code in anonymous memory, a jump straight to a syscall instruction whose mov was
 * rewritten, execute-only code, and code whose page protection changes after rewriting. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* getpid at offset 0: mov $39, %eax; syscall; ret. Offset 5 is the syscall instruction. */
static const unsigned char g_site[] = {0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xc3};

static long call(void* code) {
    return ((long (*)(void))code)();
}

/* Enters code at the syscall instruction with eax already holding nr. */
static long call_syscall_insn(void* insn, long nr) {
    long ret;
    __asm__ volatile("call *%[insn]" : "=a"(ret) : "a"(nr), [insn] "r"(insn)
                     : "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10", "memory");
    return ret;
}

static void* map_code_file(const char* dir, const char* name, int prot) {
    char path[4096];
    unsigned char page[4096];

    memset(page, 0x90, sizeof(page));
    memcpy(page, g_site, sizeof(g_site));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
    if (fd < 0 || write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
        return MAP_FAILED;
    void* code = mmap(NULL, sizeof(page), prot, MAP_PRIVATE, fd, 0);
    close(fd);
    return code;
}

static const char* ok(int cond) {
    return cond ? "ok" : "WRONG";
}

int main(int argc, char** argv) {
    const char* dir = argc > 1 ? argv[1] : ".";
    pid_t pid = getpid(), ppid = getppid();
    int right;

    unsigned char* jit = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(jit, g_site, sizeof(g_site));
    right = 1;
    for (int i = 0; i < 3; i++)
        right &= call(jit) == pid;
    printf("JIT code in anonymous memory: %s, left as written: %s\n", ok(right),
           ok(!memcmp(jit, g_site, sizeof(g_site))));

    void* code = map_code_file(dir, "site", PROT_READ | PROT_EXEC);
    right = code != MAP_FAILED;
    for (int i = 0; right && i < 3; i++)
        right &= call(code) == pid;
    printf("file-backed site called repeatedly: %s\n", ok(right));
    if (code != MAP_FAILED)
        printf("jump to its syscall instruction with another number: %s\n",
               ok(call_syscall_insn((char*)code + 5, 110 /* getppid */) == ppid));

    if (code != MAP_FAILED) {
        right = mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0 &&
                call(code) == pid && mprotect(code, 4096, PROT_READ | PROT_EXEC) == 0 &&
                call(code) == pid && mprotect(code, 4096, PROT_EXEC) == 0 && call(code) == pid;
        printf("protection changed after rewriting: %s\n", ok(right));
        munmap(code, 4096);
    }

    void* xonly = map_code_file(dir, "xonly", PROT_EXEC);
    right = xonly != MAP_FAILED;
    for (int i = 0; right && i < 3; i++)
        right &= call(xonly) == pid;
    printf("execute-only code: %s\n", ok(right));

    void* again = map_code_file(dir, "again", PROT_READ | PROT_EXEC);
    right = again != MAP_FAILED;
    for (int i = 0; right && i < 3; i++)
        right &= call(again) == pid;
    printf("new code where rewritten code was unmapped: %s\n", ok(right));
    return 0;
}
