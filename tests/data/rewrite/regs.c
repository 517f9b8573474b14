/* Checks what a syscall keeps: every general register but rax, rcx and r11, the arithmetic
 * flags and DF, the SSE (and, with AVX, the full YMM) registers and the red zone, with rcx and
 * r11 holding the resume address and the flags, as the kernel leaves them. Each probe is a
 * glibc-style site (mov $NR, %eax; syscall) called many times, so under Kernite it is first
 * trapped and then rewritten; with "signals", a fast interval timer keeps interrupting the
 * calls with a handler that clobbers the vector registers and the flags.
 * Usage: regs [signals] */
#include <cpuid.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Register slots, in the order the probe stores them. */
enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13,
       R_R14, R_R15, R_COUNT };

struct probe_state {
    uint64_t in[R_COUNT];
    uint64_t out[R_COUNT];
    uint64_t flags_in;
    uint64_t flags_out;
    uint64_t rsp_before;
    uint64_t rsp_after;
    uint64_t resume;
    uint64_t redzone[16];
    uint8_t vec_in[16][32];
    uint8_t vec_out[16][32];
};

#define OFF_IN      0
#define OFF_OUT     120
#define OFF_FLAGSIN 240
#define OFF_FLAGSOUT 248
#define OFF_RSPB    256
#define OFF_RSPA    264
#define OFF_RESUME  272
#define OFF_REDZONE 280
#define OFF_VECIN   408
#define OFF_VECOUT  920

_Static_assert(offsetof(struct probe_state, out) == OFF_OUT, "layout");
_Static_assert(offsetof(struct probe_state, flags_in) == OFF_FLAGSIN, "layout");
_Static_assert(offsetof(struct probe_state, flags_out) == OFF_FLAGSOUT, "layout");
_Static_assert(offsetof(struct probe_state, rsp_before) == OFF_RSPB, "layout");
_Static_assert(offsetof(struct probe_state, rsp_after) == OFF_RSPA, "layout");
_Static_assert(offsetof(struct probe_state, resume) == OFF_RESUME, "layout");
_Static_assert(offsetof(struct probe_state, redzone) == OFF_REDZONE, "layout");
_Static_assert(offsetof(struct probe_state, vec_in) == OFF_VECIN, "layout");
_Static_assert(offsetof(struct probe_state, vec_out) == OFF_VECOUT, "layout");

#define S(x)  #x
#define XS(x) S(x)

/* One probe: void NAME(struct probe_state*). LOADV and STOREV move one vector register i
 * between the state and the CPU, as xmm (SSE) or ymm (AVX). */
#define VEC16(op, off)                                                                         \
    op(0, off) op(1, off) op(2, off) op(3, off) op(4, off) op(5, off) op(6, off) op(7, off)   \
        op(8, off) op(9, off) op(10, off) op(11, off) op(12, off) op(13, off) op(14, off)      \
            op(15, off)
#define SSE_LOAD(i, off)  "movdqu " XS(off) "+32*" #i "(%rdi), %xmm" #i "\n"
#define SSE_STORE(i, off) "movdqu %xmm" #i ", " XS(off) "+32*" #i "(%rax)\n"
#define AVX_LOAD(i, off)  "vmovdqu " XS(off) "+32*" #i "(%rdi), %ymm" #i "\n"
#define AVX_STORE(i, off) "vmovdqu %ymm" #i ", " XS(off) "+32*" #i "(%rax)\n"

#define REDZONE_FILL(i) "lea 1(%rax), %rax\n mov %rax, -8-8*" #i "(%rsp)\n"
#define REDZONE_COPY(i)                                                                        \
    "mov -8-8*" #i "(%rsp), %rcx\n mov %rcx, " XS(OFF_REDZONE) "+8*" #i "(%rax)\n"
#define R16(op)                                                                                \
    op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13)    \
        op(14) op(15)

#define PROBE(name, nr, load, store, tail)                                                     \
    __asm__(".pushsection .text\n"                                                            \
            ".globl " #name "\n" #name ":\n"                                                   \
            "push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"          \
            "push %rdi\n" VEC16(load, OFF_VECIN)                                               \
            "pushq " XS(OFF_FLAGSIN) "(%rdi)\n popfq\n"                                        \
            "movabs $0x7a6e6f7a64657200, %rax\n" R16(REDZONE_FILL)                             \
            "mov %rsp, " XS(OFF_RSPB) "(%rdi)\n"                                               \
            "mov 8*1(%rdi), %rbx\n mov 8*3(%rdi), %rdx\n mov 8*4(%rdi), %rsi\n"                \
            "mov 8*6(%rdi), %rbp\n mov 8*7(%rdi), %r8\n mov 8*8(%rdi), %r9\n"                  \
            "mov 8*9(%rdi), %r10\n mov 8*11(%rdi), %r12\n mov 8*12(%rdi), %r13\n"              \
            "mov 8*13(%rdi), %r14\n mov 8*14(%rdi), %r15\n mov 8*5(%rdi), %rdi\n"              \
            ".p2align 3\n" #name "_site:\n mov $" #nr ", %eax\n syscall\n" #name "_resume:\n"  \
            "lea -128(%rsp), %rsp\n pushfq\n"                                                  \
            "push %r15\n push %r14\n push %r13\n push %r12\n push %r11\n push %r10\n"          \
            "push %r9\n push %r8\n push %rbp\n push %rdi\n push %rsi\n push %rdx\n"            \
            "push %rcx\n push %rbx\n push %rax\n"                                              \
            "mov 128+16*8(%rsp), %rax\n" VEC16(store, OFF_VECOUT)                              \
            "lea 128+16*8(%rsp), %rcx\n mov %rcx, " XS(OFF_RSPA) "(%rax)\n"                    \
            "lea " #name "_resume(%rip), %rcx\n mov %rcx, " XS(OFF_RESUME) "(%rax)\n"          \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*0(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*1(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*2(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*3(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*4(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*5(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*6(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*7(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*8(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*9(%rax)\n"                                 \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*10(%rax)\n"                                \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*11(%rax)\n"                                \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*12(%rax)\n"                                \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*13(%rax)\n"                                \
            "pop %rcx\n mov %rcx, " XS(OFF_OUT) "+8*14(%rax)\n"                                \
            "pop %rcx\n mov %rcx, " XS(OFF_FLAGSOUT) "(%rax)\n"                                \
            "lea 128(%rsp), %rsp\n" R16(REDZONE_COPY)                                          \
            "cld\n pop %rdi\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n"          \
            "pop %rbx\n" tail "ret\n.popsection\n")

/* Each probe's site: its first byte shows whether the mov was rewritten into a jmp. */
#define PROBE_DECL(name)                                                                       \
    void name(struct probe_state* s);                                                          \
    extern const uint8_t name##_site[]
PROBE_DECL(probe_getppid_sse);
PROBE_DECL(probe_yield_sse);
PROBE_DECL(probe_getppid_avx);
PROBE_DECL(probe_yield_avx);
PROBE(probe_getppid_sse, 110, SSE_LOAD, SSE_STORE, "");
PROBE(probe_yield_sse, 24, SSE_LOAD, SSE_STORE, "");
PROBE(probe_getppid_avx, 110, AVX_LOAD, AVX_STORE, "vzeroupper\n");
PROBE(probe_yield_avx, 24, AVX_LOAD, AVX_STORE, "vzeroupper\n");

/* CF PF AF ZF SF DF OF: what a syscall must give back. */
#define FLAGS_KEPT 0xcd5UL
static const uint64_t g_flag_sets[] = {0x202, 0x203, 0x206, 0x212, 0x242, 0x282,
                                       0x602, 0xa02, 0xed7, 0x2c3};

static volatile sig_atomic_t g_signals;
static bool g_avx;

/* Leaves every vector register and the arithmetic flags changed. */
static void on_alarm(int signo) {
    (void)signo;
    g_signals++;
    if (g_avx)
        __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n vpcmpeqd %%ymm7, %%ymm7, %%ymm7\n"
                         "vpcmpeqd %%ymm8, %%ymm8, %%ymm8\n vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n"
                         "vzeroupper\n vpcmpeqd %%ymm1, %%ymm1, %%ymm1\n"
                         :
                         :
                         : "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
    __asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n pcmpeqd %%xmm1, %%xmm1\n"
                     "pcmpeqd %%xmm2, %%xmm2\n pcmpeqd %%xmm3, %%xmm3\n"
                     "pcmpeqd %%xmm4, %%xmm4\n pcmpeqd %%xmm5, %%xmm5\n"
                     "pcmpeqd %%xmm6, %%xmm6\n pcmpeqd %%xmm7, %%xmm7\n"
                     "pcmpeqd %%xmm8, %%xmm8\n pcmpeqd %%xmm9, %%xmm9\n"
                     "pcmpeqd %%xmm10, %%xmm10\n pcmpeqd %%xmm11, %%xmm11\n"
                     "pcmpeqd %%xmm12, %%xmm12\n pcmpeqd %%xmm13, %%xmm13\n"
                     "pcmpeqd %%xmm14, %%xmm14\n pcmpeqd %%xmm15, %%xmm15\n"
                     "xor %%eax, %%eax\n"
                     :
                     :
                     : "rax", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
                       "xmm15");
}

static bool have_avx(void) {
    unsigned a, b, c, d;
    uint32_t xcr0_lo, xcr0_hi;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
        return false;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    return (xcr0_lo & 6) == 6;
}

static void fill(struct probe_state* s, uint64_t seed, bool avx) {
    memset(s, 0, sizeof(*s));
    for (int r = 0; r < R_COUNT; r++)
        s->in[r] = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)r * 0x0101010101010101ULL;
    s->flags_in = g_flag_sets[seed % (sizeof(g_flag_sets) / sizeof(g_flag_sets[0]))];
    for (int v = 0; v < 16; v++) {
        for (int b = 0; b < (avx ? 32 : 16); b++)
            s->vec_in[v][b] = (uint8_t)(seed * 31 + v * 7 + b + 1);
    }
}

/* Returns what differs from what the kernel gives, or NULL. */
static const char* check(const struct probe_state* s, bool avx, long expect_ret) {
    static const int kept[] = {R_RBX, R_RDX, R_RSI, R_RDI, R_RBP, R_R8,  R_R9,
                               R_R10, R_R12, R_R13, R_R14, R_R15};
    static char why[128];

    if ((long)s->out[R_RAX] != expect_ret)
        return "result";
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        if (s->out[kept[i]] != s->in[kept[i]]) {
            snprintf(why, sizeof(why), "general register %d", kept[i]);
            return why;
        }
    }
    if (s->out[R_RCX] != s->resume)
        return "rcx is not the resume address";
    if ((s->out[R_R11] & FLAGS_KEPT) != (s->flags_in & FLAGS_KEPT))
        return "r11 does not hold the flags";
    if ((s->flags_out & FLAGS_KEPT) != (s->flags_in & FLAGS_KEPT))
        return "flags";
    if (s->rsp_after != s->rsp_before)
        return "rsp";
    for (int i = 0; i < 16; i++) {
        if (s->redzone[i] != 0x7a6e6f7a64657200ULL + i + 1)
            return "red zone";
    }
    for (int v = 0; v < 16; v++) {
        if (memcmp(s->vec_in[v], s->vec_out[v], avx ? 32 : 16)) {
            snprintf(why, sizeof(why), "%s%d", avx ? "ymm" : "xmm", v);
            return why;
        }
    }
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Runs one probe until both enough calls and (with signals) enough interruptions were seen. */
static int run(const char* name, void (*probe)(struct probe_state*), const uint8_t* site,
               bool avx, long expect, bool signals) {
    struct probe_state s;
    long calls = 0;
    int start_signals = g_signals;
    double deadline = now() + 20;

    while (calls < 2000 || (signals && g_signals - start_signals < 200)) {
        const char* wrong;
        fill(&s, (uint64_t)calls, avx);
        probe(&s);
        wrong = check(&s, avx, expect);
        if (wrong) {
            printf("%s: WRONG after %ld calls: %s\n", name, calls, wrong);
            return 1;
        }
        if (++calls % 1000 == 0 && now() > deadline) {
            printf("%s: too few signals arrived\n", name);
            return 1;
        }
    }
    printf("%s: ok\n", name);
    /* Not on stdout: only under Kernite is the site rewritten. */
    fprintf(stderr, "%s: site %s\n", name, site[0] == 0xe9 ? "rewritten" : "as built");
    return 0;
}

int main(int argc, char** argv) {
    bool signals = argc > 1 && !strcmp(argv[1], "signals");
    bool avx = g_avx = have_avx();
    long ppid = (long)getppid();
    int failed = 0;

    if (signals) {
        struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
        struct itimerval it = {.it_interval = {0, 200}, .it_value = {0, 200}};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        setitimer(ITIMER_REAL, &it, NULL);
    }
    failed |= run("getppid, sse", probe_getppid_sse, probe_getppid_sse_site, false, ppid,
                  signals);
    failed |= run("sched_yield, sse", probe_yield_sse, probe_yield_sse_site, false, 0, signals);
    if (avx) {
        failed |= run("getppid, avx", probe_getppid_avx, probe_getppid_avx_site, true, ppid,
                      signals);
        failed |= run("sched_yield, avx", probe_yield_avx, probe_yield_avx_site, true, 0,
                      signals);
    } else {
        printf("avx: not on this CPU\n");
    }
    if (signals) {
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    }
    return failed;
}
