/* fork after syscall sites were rewritten, and private file mappings across fork: the child
 * must run the parent's patched code unchanged and right, patch and unmap sites of its own,
 * see the pages the parent wrote (also in a page made read-only afterwards, as RELRO is) and
 * the file's bytes elsewhere, even when the file was replaced on disk before the fork.
 *
 * Usage: fork DIR [inherit]. With "inherit", only the first part runs and the child does
 * nothing but call sites the parent patched, so that its own rewriting summary can be read. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define ROUNDS 200

/* mov $NR, %eax; syscall; ret: a site of the kind rewriting patches. */
static void put_site(unsigned char* page, unsigned nr) {
    memset(page, 0x90, PAGE);
    page[0] = 0xb8;
    memcpy(page + 1, &nr, 4);
    page[5] = 0x0f;
    page[6] = 0x05;
    page[7] = 0xc3;
}

static long call(const void* code) {
    return ((long (*)(void))code)();
}

static const char* ok(int cond) {
    return cond ? "ok" : "WRONG";
}

static char g_dir[3000];

/* Two calls may share a statement (rename): each gets its own buffer of the last two. */
static const char* path_of(const char* name) {
    static char paths[2][4096];
    static int next;
    char* path = paths[next++ & 1];
    snprintf(path, sizeof(paths[0]), "%s/%s", g_dir, name);
    return path;
}

/* A file of count pages, page i filled with fill + i (or holding a site for nr, if nr). */
static int write_file(const char* name, int count, char fill, unsigned nr) {
    unsigned char page[PAGE];
    int fd = open(path_of(name), O_RDWR | O_CREAT | O_TRUNC, 0700);

    if (fd < 0)
        return -1;
    for (int i = 0; i < count; i++) {
        if (nr)
            put_site(page, nr);
        else
            memset(page, fill + i, PAGE);
        if (write(fd, page, PAGE) != PAGE)
            return -1;
    }
    return close(fd);
}

static void* map_file(const char* name, size_t size, int prot, int flags, void* at) {
    int fd = open(path_of(name), O_RDONLY);
    void* p = fd < 0 ? MAP_FAILED : mmap(at, size, prot, flags, fd, 0);

    if (fd >= 0)
        close(fd);
    return p;
}

static int all_bytes(const unsigned char* p, size_t size, unsigned char value) {
    for (size_t i = 0; i < size; i++) {
        if (p[i] != value)
            return 0;
    }
    return 1;
}

static int wait_status(pid_t pid) {
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Calls every site the parent patched, many times: each must give the right answer. */
static int inherited_sites_right(pid_t parent, void* code) {
    int right = 1;
    pid_t self = (pid_t)syscall(SYS_getpid);

    for (int i = 0; i < ROUNDS; i++) {
        right &= getppid() == parent && getpid() == self && call(code) == self;
        sched_yield();
    }
    return right;
}

static void patch_in_parent(void* code) {
    for (int i = 0; i < ROUNDS; i++) {
        getppid();
        getpid();
        sched_yield();
        call(code);
    }
}

static int inherit_only(void) {
    void* code = map_file("site_getpid", PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, NULL);
    pid_t parent = getpid();

    if (code == MAP_FAILED)
        return 1;
    patch_in_parent(code);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(inherited_sites_right(parent, code) ? 0 : 1);
    printf("child calling inherited sites: status %d\n", wait_status(pid));
    return 0;
}

/* The grandchild: sites patched by its grandparent and by its parent, and the parent's new
 * code where the first code file was. */
static int grandchild(pid_t parent, void* code) {
    int right = 1;
    for (int i = 0; i < ROUNDS; i++)
        right &= getppid() == parent && getuid() == syscall(SYS_getuid) && call(code) == parent;
    return right ? 0 : 1;
}

static void child_of_patched_parent(pid_t parent, void* code, const unsigned char* libc_code,
                                    const unsigned char* file_code) {
    pid_t self = (pid_t)syscall(SYS_getpid);

    printf("child: libc's getppid code as in the parent: %s\n",
           ok(!memcmp((const void*)getppid, libc_code, 16)));
    printf("child: file code as in the parent: %s\n", ok(!memcmp(code, file_code, 16)));
    printf("child: inherited sites give the right results: %s\n",
           ok(inherited_sites_right(parent, code)));

    int right = 1;
    for (int i = 0; i < ROUNDS; i++)
        right &= getuid() == syscall(SYS_getuid) && getgid() == syscall(SYS_getgid) &&
                 geteuid() == syscall(SYS_geteuid);
    printf("child: sites first called in the child: %s\n", ok(right));

    /* Unmapping the parent's patched code frees its stub; code mapped there again is new. */
    munmap(code, PAGE);
    void* again = map_file("site_getppid", PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                           code);
    right = again == code;
    for (int i = 0; right && i < ROUNDS; i++)
        right &= call(again) == parent && getpid() == self && getppid() == parent;
    printf("child: new code where patched code was unmapped: %s\n", ok(right));

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(grandchild(self, again));
    printf("child: grandchild status %d\n", wait_status(pid));
}

static int patched_sites(void) {
    void* code = map_file("site_getpid", PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, NULL);
    unsigned char libc_code[16], file_code[16];
    pid_t parent = getpid();

    if (code == MAP_FAILED)
        return -1;
    patch_in_parent(code);
    memcpy(libc_code, (const void*)getppid, sizeof(libc_code));
    memcpy(file_code, code, sizeof(file_code));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_of_patched_parent(parent, code, libc_code, file_code);
        fflush(stdout);
        _exit(0);
    }
    printf("child status %d\n", wait_status(pid));
    printf("parent: its sites still right: %s\n", ok(getppid() == syscall(SYS_getppid) &&
                                                      getpid() == syscall(SYS_getpid) &&
                                                      call(code) == parent));
    return munmap(code, PAGE);
}

static sigjmp_buf g_fault;

static void on_segv(int signo) {
    (void)signo;
    siglongjmp(g_fault, 1);
}

static int write_faults(volatile unsigned char* p) {
    struct sigaction sa = {.sa_handler = on_segv}, old;
    int faulted = 0;

    sigaction(SIGSEGV, &sa, &old);
    if (sigsetjmp(g_fault, 1) == 0)
        *p = 1;
    else
        faulted = 1;
    sigaction(SIGSEGV, &old, NULL);
    return faulted;
}

/* A private writable file mapping: page 0 left as in the file, page 1 written, page 2 zeroed,
 * then all made read-only. */
static int written_then_read_only(void) {
    unsigned char* data = map_file("data", 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL);

    if (data == MAP_FAILED)
        return -1;
    memset(data + PAGE, 'x', PAGE);
    memset(data + 2 * PAGE, 0, PAGE);
    mprotect(data, 3 * PAGE, PROT_READ);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: page the parent left alone holds the file's bytes: %s\n",
               ok(all_bytes(data, PAGE, 'A')));
        printf("child: page the parent wrote: %s\n", ok(all_bytes(data + PAGE, PAGE, 'x')));
        printf("child: page the parent zeroed: %s\n", ok(all_bytes(data + 2 * PAGE, PAGE, 0)));
        printf("child: the pages are read-only: %s\n", ok(write_faults(data + PAGE)));

        unsigned char* again = map_file("data", 3 * PAGE, PROT_READ, MAP_PRIVATE, NULL);
        unsigned char* shared = map_file("data", 3 * PAGE, PROT_READ, MAP_SHARED, NULL);
        printf("child: the same file mapped again holds the file's bytes: %s\n",
               ok(again != MAP_FAILED && all_bytes(again + PAGE, PAGE, 'B') &&
                  all_bytes(again + 2 * PAGE, PAGE, 'C') && shared != MAP_FAILED &&
                  all_bytes(shared, PAGE, 'A') && all_bytes(shared + 2 * PAGE, PAGE, 'C')));
        printf("child: its own mapping still as the parent left it: %s\n",
               ok(all_bytes(data + PAGE, PAGE, 'x') && all_bytes(data + 2 * PAGE, PAGE, 0)));
        fflush(stdout);
        _exit(0);
    }
    printf("child status %d\n", wait_status(pid));
    return munmap(data, 3 * PAGE);
}

/* Files mapped, then replaced on disk by others under the same names, before the fork. */
static int replaced_before_fork(void) {
    unsigned char* data = map_file("data", 3 * PAGE, PROT_READ, MAP_PRIVATE, NULL);
    void* code = map_file("site_replaced", PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, NULL);
    pid_t parent = getpid();

    if (data == MAP_FAILED || code == MAP_FAILED)
        return -1;
    if (write_file("data.new", 3, 'N', 0) < 0 || rename(path_of("data.new"), path_of("data")) ||
        write_file("site.new", 1, 0, SYS_getppid) < 0 ||
        rename(path_of("site.new"), path_of("site_replaced")))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        pid_t self = (pid_t)syscall(SYS_getpid);
        printf("child: a replaced data file still reads as the one mapped: %s\n",
               ok(all_bytes(data, PAGE, 'A') && all_bytes(data + 2 * PAGE, PAGE, 'C')));
        printf("child: replaced code still runs as the one mapped: %s\n",
               ok(call(code) == self && self != parent));
        fflush(stdout);
        _exit(0);
    }
    printf("child status %d\n", wait_status(pid));
    return 0;
}

/* Page 1 of a three-page file mapping replaced by the same page of the same file after page 0
 * was: the mapping that results starts at file offset one page, also in the child. */
static int remapped_piece(void) {
    int fd = open(path_of("data2"), O_RDONLY);
    unsigned char* data = mmap(NULL, 3 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

    if (data == MAP_FAILED ||
        mmap(data, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0) != data ||
        mmap(data + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, PAGE) != data + PAGE)
        return -1;
    close(fd);

    char want[64], line[512];
    unsigned long offset = 1;
    snprintf(want, sizeof(want), "%lx-", (unsigned long)(data + PAGE));
    FILE* maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof(line), maps)) {
        if (!strncmp(line, want, strlen(want)))
            sscanf(line, "%*s %*s %lx", &offset);
    }
    if (maps)
        fclose(maps);
    printf("remapped piece: offset in /proc/self/maps %#lx\n", offset);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: remapped piece holds pages 1 and 2 of the file: %s\n",
               ok(all_bytes(data + PAGE, PAGE, 'b') && all_bytes(data + 2 * PAGE, PAGE, 'c')));
        fflush(stdout);
        _exit(0);
    }
    printf("child status %d\n", wait_status(pid));
    return 0;
}

int main(int argc, char** argv) {
    snprintf(g_dir, sizeof(g_dir), "%s", argc > 1 ? argv[1] : ".");
    if (write_file("site_getpid", 1, 0, SYS_getpid) < 0 ||
        write_file("site_getppid", 1, 0, SYS_getppid) < 0 ||
        write_file("site_replaced", 1, 0, SYS_getpid) < 0 || write_file("data", 3, 'A', 0) < 0 ||
        write_file("data2", 3, 'a', 0) < 0) {
        perror("setting up files");
        return 1;
    }
    if (argc > 2 && !strcmp(argv[2], "inherit"))
        return inherit_only();
    if (patched_sites() < 0 || written_then_read_only() < 0 || replaced_before_fork() < 0 ||
        remapped_piece() < 0) {
        perror("test");
        return 1;
    }
    return 0;
}
