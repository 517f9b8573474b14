/* strace-like lines for emulated syscalls, printed at log level trace. */
#include "errstr.h"
#include "libos.h"
#include "syscall_table.h"

/*
 * Argument kinds, one letter per argument:
 *   d  signed int            u  unsigned long        x  hex
 *   p  pointer               s  string (read before the call)
 *   b  buffer written by the app, its length in the next argument
 *   r  buffer filled by the call, its length is the result
 *   F  directory fd (AT_FDCWD)  O  open flags        m  mode (octal)
 *   P  mmap protection       M  mmap flags           S  signal number
 * Syscalls missing here are printed with three hex arguments.
 */
static const struct {
    int nr;
    const char* args;
} g_formats[] = {
    {__NR_read, "drd"},          {__NR_write, "dbd"},          {__NR_open, "sOm"},
    {__NR_close, "d"},           {__NR_stat, "sp"},            {__NR_fstat, "dp"},
    {__NR_lstat, "sp"},          {__NR_poll, "pdd"},           {__NR_lseek, "dxd"},
    {__NR_mmap, "xuPMdx"},       {__NR_mprotect, "xuP"},       {__NR_munmap, "xu"},
    {__NR_brk, "x"},             {__NR_rt_sigaction, "Sppu"},  {__NR_rt_sigprocmask, "dppu"},
    {__NR_ioctl, "dxx"},         {__NR_pread64, "drdx"},       {__NR_pwrite64, "dbdx"},
    {__NR_readv, "dpd"},         {__NR_writev, "dpd"},         {__NR_access, "sd"},
    {__NR_pipe, "p"},            {__NR_dup, "d"},              {__NR_dup2, "dd"},
    {__NR_nanosleep, "pp"},      {__NR_getpid, ""},            {__NR_clone, "xppdx"},
    {__NR_execve, "spp"},        {__NR_exit, "d"},             {__NR_wait4, "dpdp"},
    {__NR_kill, "dS"},           {__NR_uname, "p"},            {__NR_fcntl, "ddx"},
    {__NR_fsync, "d"},           {__NR_ftruncate, "du"},       {__NR_getcwd, "pu"},
    {__NR_chdir, "s"},           {__NR_rename, "ss"},          {__NR_mkdir, "sm"},
    {__NR_rmdir, "s"},           {__NR_unlink, "s"},           {__NR_readlink, "spu"},
    {__NR_chmod, "sm"},          {__NR_umask, "m"},            {__NR_getuid, ""},
    {__NR_getppid, ""},          {__NR_sigaltstack, "pp"},     {__NR_arch_prctl, "xx"},
    {__NR_gettid, ""},           {__NR_futex, "pdxpxx"},       {__NR_getdents64, "dpu"},
    {__NR_set_tid_address, "p"}, {__NR_clock_gettime, "dp"},   {__NR_exit_group, "d"},
    {__NR_tgkill, "ddS"},        {__NR_openat, "FsOm"},        {__NR_mkdirat, "Fsm"},
    {__NR_newfstatat, "Fspx"},   {__NR_unlinkat, "Fsx"},       {__NR_renameat, "FsFs"},
    {__NR_readlinkat, "Fspu"},   {__NR_faccessat, "Fsd"},      {__NR_pselect6, "dpppxp"},
    {__NR_ppoll, "pdpp"},        {__NR_set_robust_list, "pu"}, {__NR_dup3, "ddx"},
    {__NR_pipe2, "px"},          {__NR_prlimit64, "ddpp"},     {__NR_renameat2, "FsFsx"},
    {__NR_getrandom, "pux"},     {__NR_statx, "Fsxxp"},        {__NR_faccessat2, "Fsdx"},
    {__NR_clone3, "pu"},         {__NR_rseq, "pudx"},          {__NR_sched_getaffinity, "dup"},
    {__NR_getdents, "dpu"},      {__NR_mremap, "xuuxx"},       {__NR_madvise, "xud"},
    {__NR_symlink, "ss"},        {__NR_symlinkat, "sFs"},      {__NR_chown, "sdd"},
    {__NR_utimensat, "Fspx"},    {__NR_sysinfo, "p"},          {__NR_rt_sigreturn, ""},
};

struct flag_name {
    unsigned long bit;
    const char* name;
};

static const struct flag_name g_open_flags[] = {
    {O_WRONLY, "O_WRONLY"},     {O_RDWR, "O_RDWR"},         {O_CREAT, "O_CREAT"},
    {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},     {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"}, {O_DIRECTORY, "O_DIRECTORY"},
    {O_NOFOLLOW, "O_NOFOLLOW"}, {O_CLOEXEC, "O_CLOEXEC"},   {O_PATH, "O_PATH"},
};

static const struct flag_name g_prot_flags[] = {
    {PROT_READ, "PROT_READ"}, {PROT_WRITE, "PROT_WRITE"}, {PROT_EXEC, "PROT_EXEC"},
};

static const struct flag_name g_map_flags[] = {
    {MAP_SHARED, "MAP_SHARED"},       {MAP_PRIVATE, "MAP_PRIVATE"},
    {MAP_FIXED, "MAP_FIXED"},         {MAP_ANONYMOUS, "MAP_ANONYMOUS"},
    {MAP_NORESERVE, "MAP_NORESERVE"}, {MAP_STACK, "MAP_STACK"},
    {MAP_DENYWRITE, "MAP_DENYWRITE"}, {MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
};

struct line {
    char buf[512];
    size_t len;
};

static void put(struct line* l, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line* l, const char* fmt, ...) {
    va_list ap;
    int n;

    if (l->len >= sizeof(l->buf) - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < sizeof(l->buf) - l->len ? (size_t)n : sizeof(l->buf) - 1 - l->len;
}

static void put_flags(struct line* l, unsigned long value, const struct flag_name* names,
                      size_t count, const char* zero) {
    bool first = true;

    if (!value) {
        put(l, "%s", zero);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        if ((value & names[i].bit) == names[i].bit) {
            put(l, "%s%s", first ? "" : "|", names[i].name);
            value &= ~names[i].bit;
            first = false;
        }
    }
    if (value)
        put(l, "%s%#lx", first ? "" : "|", value);
}

/* Prints app memory as a quoted, escaped, shortened string, if it is readable. */
static void put_app_string(struct line* l, long addr, long max) {
    char tmp[48];
    size_t n = max < 0 || max > 40 ? 40 : (size_t)max;
    size_t i;

    if (!addr || !mm_is_accessible((uint64_t)addr, 1, PAL_PROT_READ)) {
        put(l, "%#lx", addr);
        return;
    }
    for (i = 0; i < n; i++) {
        if (!mm_is_accessible((uint64_t)addr + i, 1, PAL_PROT_READ))
            break;
        tmp[i] = ((const char*)addr)[i];
        if (max < 0 && !tmp[i])
            break;
    }
    put(l, "\"");
    for (size_t j = 0; j < i; j++) {
        unsigned char c = (unsigned char)tmp[j];
        if (max < 0 && !c)
            break;
        if (c == '\n')
            put(l, "\\n");
        else if (c == '"' || c == '\\')
            put(l, "\\%c", c);
        else if (c < 32 || c >= 127)
            put(l, "\\x%02x", c);
        else
            put(l, "%c", c);
    }
    put(l, "\"%s", i == n && (max < 0 || (size_t)max > n) ? "..." : "");
}

static void put_arg(struct line* l, char kind, const long args[6], int i, long result) {
    long v = args[i];

    switch (kind) {
        case 'd':
            put(l, "%d", (int)v);
            break;
        case 'u':
            put(l, "%lu", (unsigned long)v);
            break;
        case 's':
            put_app_string(l, v, -1);
            break;
        case 'b':
            put_app_string(l, v, i < 5 ? args[i + 1] : 0);
            break;
        case 'r':
            if (result > 0)
                put_app_string(l, v, result);
            else
                put(l, "%#lx", v);
            break;
        case 'F':
            if ((int)v == AT_FDCWD)
                put(l, "AT_FDCWD");
            else
                put(l, "%d", (int)v);
            break;
        case 'O':
            put_flags(l, (unsigned long)v & ~(unsigned long)O_LARGEFILE, g_open_flags,
                      sizeof(g_open_flags) / sizeof(g_open_flags[0]), "O_RDONLY");
            break;
        case 'm':
            put(l, "0%lo", (unsigned long)v);
            break;
        case 'P':
            put_flags(l, (unsigned long)v, g_prot_flags,
                      sizeof(g_prot_flags) / sizeof(g_prot_flags[0]), "PROT_NONE");
            break;
        case 'M':
            put_flags(l, (unsigned long)v, g_map_flags,
                      sizeof(g_map_flags) / sizeof(g_map_flags[0]), "0");
            break;
        case 'S':
            put(l, "%d", (int)v);
            break;
        default:
            put(l, "%#lx", v);
            break;
    }
}

static const char* format_of(long nr) {
    for (size_t i = 0; i < sizeof(g_formats) / sizeof(g_formats[0]); i++) {
        if (g_formats[i].nr == nr)
            return g_formats[i].args;
    }
    return "xxx";
}

void syscall_trace(long nr, const long args[6], long result) {
    struct line l = {.len = 0};
    const char* name = libos_syscall_name(nr);
    const char* fmt = format_of(nr);

    put(&l, "[%d] ", libos_current()->tid);
    if (name)
        put(&l, "%s(", name);
    else
        put(&l, "syscall_%ld(", nr);
    for (int i = 0; fmt[i] && i < 6; i++) {
        if (i)
            put(&l, ", ");
        put_arg(&l, fmt[i], args, i, result);
    }
    if (nr == __NR_exit || nr == __NR_exit_group)
        put(&l, ") = ?");
    else if (result < 0 && result > -4096)
        put(&l, ") = -1 %s (%s)", errname((int)-result), errstr((int)-result));
    else if (result >= 0 && result < 4096)
        put(&l, ") = %ld", result);
    else
        put(&l, ") = %#lx", result);
    log_printf(LOG_TRACE, "%s", l.buf);
}
