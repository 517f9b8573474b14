/* Loads an ELF executable and its interpreter into app memory and builds the initial stack. */
#include <linux/auxvec.h>
#include <linux/elf.h>
#include <linux/stat.h>

#include "errstr.h"
#include "libos.h"
#include "loader.h"
#include "manifest.h"
#include "mm/mm.h"
#include "syscall/syscall_table.h"
#include "vdso/vdso.h"

#define PAGE_SIZE  4096UL
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* Where position-independent executables go, as on Linux; their brk follows them. */
#define PIE_BASE 0x555555554000UL

#define MAX_PHDRS       128
#define MAX_SHEBANG     256
#define MAX_INTERP_PATH 4096

struct loaded_elf {
    uint64_t base;  /* load bias: 0 for ET_EXEC */
    uint64_t entry; /* after bias */
    uint64_t phdr;  /* address of the program headers in memory */
    uint16_t phnum;
    uint64_t end;   /* highest address of any segment */
    char* interp;   /* PT_INTERP path, malloc'ed, or NULL */
};

/* Why the last load failed, for the caller's one-line message. Loads of one process do not
 * overlap (execve replaces the whole process), so one buffer serves. */
static char g_load_error[512];

static int elf_error(const char* path, const char* what, int err) {
    snprintf(g_load_error, sizeof(g_load_error), "'%s': %s", path, what);
    log_debug("cannot load %s", g_load_error);
    return err;
}

const char* loader_last_error(void) {
    return g_load_error;
}

static int prot_of(uint32_t p_flags) {
    return ((p_flags & PF_R) ? PROT_READ : 0) | ((p_flags & PF_W) ? PROT_WRITE : 0) |
           ((p_flags & PF_X) ? PROT_EXEC : 0);
}

static int read_exact(struct libos_file* file, void* buf, size_t size, uint64_t offset) {
    long n = vfs_pread(file, buf, size, offset);
    if (n < 0)
        return (int)n;
    return (size_t)n == size ? 0 : -ENOEXEC;
}

static int check_header(const char* path, const Elf64_Ehdr* eh, uint64_t file_size) {
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
        return elf_error(path, "not an ELF file", -ENOEXEC);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
        eh->e_machine != EM_X86_64)
        return elf_error(path, "not an x86-64 little-endian ELF file", -ENOEXEC);
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return elf_error(path, "ELF file is neither an executable nor a shared object",
                         -ENOEXEC);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum || eh->e_phnum > MAX_PHDRS)
        return elf_error(path, "bad program header table", -ENOEXEC);
    if (eh->e_phoff > file_size || eh->e_phnum * sizeof(Elf64_Phdr) > file_size - eh->e_phoff)
        return elf_error(path, "program headers lie beyond the end of the file (truncated?)",
                         -ENOEXEC);
    return 0;
}

static int check_segments(const char* path, const Elf64_Phdr* ph, int count,
                          uint64_t file_size) {
    int loads = 0;

    for (int i = 0; i < count; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        loads++;
        if (ph[i].p_filesz > ph[i].p_memsz)
            return elf_error(path, "segment larger in the file than in memory", -ENOEXEC);
        if (ph[i].p_offset > file_size || ph[i].p_filesz > file_size - ph[i].p_offset)
            return elf_error(path, "segment lies beyond the end of the file (truncated?)",
                             -ENOEXEC);
        if ((ph[i].p_vaddr - ph[i].p_offset) % PAGE_SIZE)
            return elf_error(path, "segment not page-aligned with its file offset", -ENOEXEC);
        if (ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr)
            return elf_error(path, "segment wraps around the address space", -ENOEXEC);
    }
    if (!loads)
        return elf_error(path, "no loadable segment", -ENOEXEC);
    return 0;
}

/* Maps one PT_LOAD segment: file pages, then zeroed memory for the rest of p_memsz. */
static int map_segment(struct libos_file* file, const Elf64_Phdr* ph, uint64_t base) {
    uint64_t start = PAGE_DOWN(base + ph->p_vaddr);
    uint64_t file_end = base + ph->p_vaddr + ph->p_filesz;
    uint64_t mem_end = PAGE_UP(base + ph->p_vaddr + ph->p_memsz);
    uint64_t file_map_end = PAGE_UP(file_end);
    int prot = prot_of(ph->p_flags);
    long ret;

    if (ph->p_filesz) {
        ret = mm_map(start, file_map_end - start, prot | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                     file, PAGE_DOWN(ph->p_offset));
        if (ret < 0)
            return (int)ret;
        /* The part of the last file page past p_filesz belongs to .bss: it must read zero. */
        if (ph->p_memsz > ph->p_filesz && file_map_end > file_end)
            memset((void*)file_end, 0, file_map_end - file_end);
        if (!(prot & PROT_WRITE)) {
            ret = mm_protect(start, file_map_end - start, prot);
            if (ret < 0)
                return (int)ret;
        }
    } else {
        file_map_end = start;
    }
    if (mem_end > file_map_end) {
        ret = mm_map(file_map_end, mem_end - file_map_end, prot,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
        if (ret < 0)
            return (int)ret;
    }
    return 0;
}

static int load_elf(const char* path, bool is_interp, struct loaded_elf* out) {
    struct libos_file* file = NULL;
    struct linux_stat st;
    Elf64_Ehdr eh;
    Elf64_Phdr* ph = NULL;
    uint64_t lo = UINT64_MAX, hi = 0, base = 0;
    int ret;

    memset(out, 0, sizeof(*out));
    ret = vfs_open(path, O_RDONLY, 0, &file);
    if (ret < 0) {
        snprintf(g_load_error, sizeof(g_load_error), "%s '%s': %s",
                 is_interp ? "interpreter" : "executable", path, errstr(ret));
        return ret;
    }
    ret = vfs_file_stat(file, &st);
    if (ret < 0)
        goto out;
    if ((st.st_mode & S_IFMT) != S_IFREG) {
        ret = elf_error(path, (st.st_mode & S_IFMT) == S_IFDIR ? "is a directory"
                                                               : "not a regular file",
                        -EACCES);
        goto out;
    }
    if (read_exact(file, &eh, sizeof(eh), 0) < 0) {
        ret = elf_error(path, "file too short for an ELF header", -ENOEXEC);
        goto out;
    }
    ret = check_header(path, &eh, (uint64_t)st.st_size);
    if (ret < 0)
        goto out;

    ph = malloc(eh.e_phnum * sizeof(*ph));
    if (!ph) {
        ret = -ENOMEM;
        goto out;
    }
    ret = read_exact(file, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff);
    if (ret < 0)
        goto out;
    ret = check_segments(path, ph, eh.e_phnum, (uint64_t)st.st_size);
    if (ret < 0)
        goto out;

    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD) {
            if (PAGE_DOWN(ph[i].p_vaddr) < lo)
                lo = PAGE_DOWN(ph[i].p_vaddr);
            if (PAGE_UP(ph[i].p_vaddr + ph[i].p_memsz) > hi)
                hi = PAGE_UP(ph[i].p_vaddr + ph[i].p_memsz);
        } else if (ph[i].p_type == PT_INTERP && !is_interp && !out->interp) {
            if (ph[i].p_filesz < 2 || ph[i].p_filesz > MAX_INTERP_PATH ||
                ph[i].p_offset > (uint64_t)st.st_size ||
                ph[i].p_filesz > (uint64_t)st.st_size - ph[i].p_offset) {
                ret = elf_error(path, "bad interpreter path", -ENOEXEC);
                goto out;
            }
            out->interp = malloc(ph[i].p_filesz + 1);
            if (!out->interp) {
                ret = -ENOMEM;
                goto out;
            }
            ret = read_exact(file, out->interp, ph[i].p_filesz, ph[i].p_offset);
            if (ret < 0)
                goto out;
            /* Linux refuses a path that does not end in its NUL (ENOEXEC). */
            if (out->interp[ph[i].p_filesz - 1] != '\0') {
                ret = elf_error(path, "interpreter path not NUL-terminated", -ENOEXEC);
                goto out;
            }
        }
    }

    if (eh.e_type == ET_DYN) {
        /* Reserve the whole span first, so the segments land at their distances. */
        uint64_t hint = is_interp ? 0 : PIE_BASE;
        long r = mm_map(hint, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
        if (r < 0) {
            ret = (int)r;
            goto out;
        }
        base = (uint64_t)r - lo;
    } else if (lo < 0x10000) {
        ret = elf_error(path, "executable wants to be loaded below 64 KiB", -ENOEXEC);
        goto out;
    }

    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        ret = map_segment(file, &ph[i], base);
        if (ret < 0) {
            elf_error(path, errstr(ret), ret);
            goto out;
        }
    }

    out->base = base;
    out->entry = base + eh.e_entry;
    out->phnum = eh.e_phnum;
    out->end = base + hi;
    out->phdr = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_PHDR)
            out->phdr = base + ph[i].p_vaddr;
    }
    if (!out->phdr) {
        /* No PT_PHDR: the headers are in memory where the segment mapping offset 0 put them. */
        for (int i = 0; i < eh.e_phnum; i++) {
            if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh.e_phoff &&
                eh.e_phoff < ph[i].p_offset + ph[i].p_filesz)
                out->phdr = base + ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset);
        }
    }
    ret = 0;
out:
    if (ret < 0) {
        free(out->interp);
        out->interp = NULL;
    }
    free(ph);
    if (file)
        vfs_file_put(file);
    return ret;
}

/* "#!interp [arg]" scripts: returns 1 with the interpreter and its one optional argument. */
static int read_shebang(const char* path, char** interp, char** arg) {
    struct libos_file* file = NULL;
    char line[MAX_SHEBANG + 1];
    long n;
    int ret = vfs_open(path, O_RDONLY, 0, &file);

    *interp = *arg = NULL;
    if (ret < 0)
        return ret;
    n = vfs_pread(file, line, MAX_SHEBANG, 0);
    vfs_file_put(file);
    if (n < 0)
        return (int)n;
    if (n < 2 || line[0] != '#' || line[1] != '!')
        return 0;
    line[n] = '\0';

    char* end = strchr(line, '\n');
    if (!end) {
        if (n == MAX_SHEBANG)
            return elf_error(path, "interpreter line too long", -ENOEXEC);
        end = line + n;
    }
    *end = '\0';
    char* p = line + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    char* name = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (p == name)
        return elf_error(path, "no interpreter after #!", -ENOEXEC);
    char* rest = NULL;
    if (*p) {
        *p++ = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        /* Linux passes everything after the name as one argument, trailing blanks removed. */
        char* tail = p + strlen(p);
        while (tail > p && (tail[-1] == ' ' || tail[-1] == '\t'))
            *--tail = '\0';
        if (*p)
            rest = p;
    }
    *interp = strdup(name);
    *arg = rest ? strdup(rest) : NULL;
    if (!*interp || (rest && !*arg)) {
        free(*interp);
        free(*arg);
        return -ENOMEM;
    }
    return 1;
}

static uint64_t cpuid_edx_leaf1(void) {
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d;
}

static int push_bytes(uint64_t* sp, uint64_t floor, const void* data, size_t size) {
    if (*sp < floor || *sp - floor < size)
        return -E2BIG;
    *sp -= size;
    memcpy((void*)*sp, data, size);
    return 0;
}

static size_t count_strings(char** v) {
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Lays out the stack as the kernel does: strings at the top, then the random bytes and the
 * platform name, then (16-byte aligned) argc, argv[], NULL, envp[], NULL, auxv. */
static int build_stack(const struct loaded_elf* exe, const struct loaded_elf* interp,
                       uint64_t vdso, const char* exec_path, char** argv, char** envp,
                       uint64_t stack_lo, uint64_t stack_hi, uint64_t* out_sp) {
    size_t argc = count_strings(argv), envc = count_strings(envp);
    uint64_t sp = stack_hi;
    uint64_t floor = stack_lo + 4096;
    uint64_t* arg_ptrs = malloc((argc + envc + 2) * sizeof(uint64_t));
    uint64_t execfn, random_addr, platform_addr;
    uint8_t random[16];
    int ret = -ENOMEM;

    if (!arg_ptrs)
        return -ENOMEM;
    ret = push_bytes(&sp, floor, exec_path, strlen(exec_path) + 1);
    if (ret < 0)
        goto out;
    execfn = sp;
    for (size_t i = envc; i-- > 0;) {
        ret = push_bytes(&sp, floor, envp[i], strlen(envp[i]) + 1);
        if (ret < 0)
            goto out;
        arg_ptrs[argc + i] = sp;
    }
    for (size_t i = argc; i-- > 0;) {
        ret = push_bytes(&sp, floor, argv[i], strlen(argv[i]) + 1);
        if (ret < 0)
            goto out;
        arg_ptrs[i] = sp;
    }
    ret = push_bytes(&sp, floor, "x86_64", 7);
    if (ret < 0)
        goto out;
    platform_addr = sp;
    pal_random(random, sizeof(random));
    sp &= ~15UL;
    ret = push_bytes(&sp, floor, random, sizeof(random));
    if (ret < 0)
        goto out;
    random_addr = sp;

    uint64_t auxv[][2] = {
        {AT_PHDR, exe->phdr},
        {AT_PHENT, sizeof(Elf64_Phdr)},
        {AT_PHNUM, exe->phnum},
        {AT_PAGESZ, PAGE_SIZE},
        {AT_BASE, interp ? interp->base : 0},
        {AT_FLAGS, 0},
        {AT_ENTRY, exe->entry},
        {AT_UID, g_process.uid},
        {AT_EUID, g_process.euid},
        {AT_GID, g_process.gid},
        {AT_EGID, g_process.egid},
        {AT_SECURE, 0},
        {AT_RANDOM, random_addr},
        {AT_HWCAP, cpuid_edx_leaf1()},
        {AT_HWCAP2, 0},
        {AT_CLKTCK, 100},
        {AT_PLATFORM, platform_addr},
        {AT_EXECFN, execfn},
        {vdso ? AT_SYSINFO_EHDR : AT_IGNORE, vdso},
        {AT_NULL, 0},
    };
    size_t words = 1 + argc + 1 + envc + 1 + sizeof(auxv) / sizeof(uint64_t);
    if (sp < floor || sp - floor < words * sizeof(uint64_t) + 15) {
        ret = -E2BIG;
        goto out;
    }
    sp -= words * sizeof(uint64_t);
    sp &= ~15UL;

    uint64_t* w = (uint64_t*)sp;
    *w++ = argc;
    for (size_t i = 0; i < argc; i++)
        *w++ = arg_ptrs[i];
    *w++ = 0;
    for (size_t i = 0; i < envc; i++)
        *w++ = arg_ptrs[argc + i];
    *w++ = 0;
    memcpy(w, auxv, sizeof(auxv));
    *out_sp = sp;
    ret = 0;
out:
    free(arg_ptrs);
    return ret;
}

static int map_stack(uint64_t size, uint64_t* lo, uint64_t* hi) {
    size = PAGE_UP(size);
    if (!size)
        return -ENOMEM;
    long addr = mm_map(0, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, NULL, 0);
    if (addr < 0)
        return (int)addr;
    *lo = (uint64_t)addr;
    *hi = (uint64_t)addr + size;
    return 0;
}

/* Where the interpreter is looked for by name when its PT_INTERP path is not visible, as
 * Gramine does: manifests often mount the runtime libraries at /lib only. */
static const char* const g_interp_dirs[] = {"/lib", "/lib64", "/usr/lib", "/usr/lib64"};

static bool guest_file_exists(const char* path) {
    struct libos_file* file = NULL;

    if (vfs_open(path, O_RDONLY, 0, &file) < 0)
        return false;
    vfs_file_put(file);
    return true;
}

static char* path_join(const char* dir, size_t dir_len, const char* name) {
    size_t size = dir_len + 1 + strlen(name) + 1;
    char* path = malloc(size);

    if (path)
        snprintf(path, size, "%.*s/%s", (int)dir_len, dir, name);
    return path;
}

/* Returns a malloc'ed path of the interpreter to load, or NULL if none is visible. */
static char* find_interp(const char* interp, char** envp) {
    const char* name = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
    const char* ld_path = NULL;

    if (guest_file_exists(interp))
        return strdup(interp);
    for (size_t i = 0; envp && envp[i]; i++) {
        if (!strncmp(envp[i], "LD_LIBRARY_PATH=", 16))
            ld_path = envp[i] + 16;
    }
    for (const char* dir = ld_path; dir && *dir;) {
        const char* end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        if (len && dir[0] == '/') {
            char* candidate = path_join(dir, len, name);
            if (candidate && guest_file_exists(candidate))
                return candidate;
            free(candidate);
        }
        dir = end ? end + 1 : NULL;
    }
    for (size_t i = 0; i < sizeof(g_interp_dirs) / sizeof(g_interp_dirs[0]); i++) {
        char* candidate = path_join(g_interp_dirs[i], strlen(g_interp_dirs[i]), name);
        if (candidate && guest_file_exists(candidate))
            return candidate;
        free(candidate);
    }
    return NULL;
}

int loader_load(const char* path, char** argv, char** envp, struct pal_context* ctx) {
    struct loaded_elf exe, interp;
    char* script_interp = NULL;
    char* script_arg = NULL;
    char** script_argv = NULL;
    const char* exec_path = path;
    uint64_t stack_lo = 0, stack_hi = 0, sp = 0;
    uint64_t stack_size = g_process.manifest ? g_process.manifest->stack_size : (8UL << 20);
    bool have_interp = false;
    int ret;

    memset(&exe, 0, sizeof(exe));
    memset(&interp, 0, sizeof(interp));
    g_load_error[0] = '\0';
    ret = read_shebang(path, &script_interp, &script_arg);
    if (ret < 0) {
        if (ret != -ENOEXEC)
            snprintf(g_load_error, sizeof(g_load_error), "'%s': %s", path, errstr(ret));
        return ret;
    }
    if (ret == 1) {
        /* The script's interpreter runs with the script as an argument after its own. */
        size_t argc = count_strings(argv);
        script_argv = malloc((argc + 3) * sizeof(char*));
        if (!script_argv) {
            ret = -ENOMEM;
            goto out;
        }
        size_t n = 0;
        script_argv[n++] = script_interp;
        if (script_arg)
            script_argv[n++] = script_arg;
        script_argv[n++] = (char*)path;
        for (size_t i = 1; i < argc; i++)
            script_argv[n++] = argv[i];
        script_argv[n] = NULL;
        argv = script_argv;
        path = script_interp;
    }

    ret = load_elf(path, false, &exe);
    if (ret < 0)
        goto out;
    if (exe.interp) {
        char* found = find_interp(exe.interp, envp);
        if (found && strcmp(found, exe.interp))
            log_debug("interpreter '%s' not visible; using '%s'", exe.interp, found);
        ret = load_elf(found ? found : exe.interp, true, &interp);
        free(found);
        if (ret < 0)
            goto out;
        have_interp = true;
    }
    ret = mm_brk_init(exe.end);
    if (ret < 0)
        goto out;
    ret = map_stack(stack_size, &stack_lo, &stack_hi);
    if (ret < 0) {
        snprintf(g_load_error, sizeof(g_load_error),
                 "'%s': no stack of %lu bytes (sys.stack.size): %s", path, stack_size,
                 errstr(ret));
        goto out;
    }
    uint64_t vdso = 0;
    ret = vdso_map(rewrite_enabled(), &vdso);
    if (ret < 0)
        log_warning("no vDSO for the app (%s): its time calls will be syscalls", errstr(ret));
    ret = build_stack(&exe, have_interp ? &interp : NULL, vdso, exec_path, argv, envp, stack_lo,
                      stack_hi, &sp);
    if (ret < 0) {
        snprintf(g_load_error, sizeof(g_load_error),
                 "'%s': arguments and environment do not fit the stack of %lu bytes "
                 "(sys.stack.size)",
                 path, stack_size);
        goto out;
    }

    memset(ctx, 0, sizeof(*ctx));
    ctx->rip = have_interp ? interp.entry : exe.entry;
    ctx->rsp = sp;
    ctx->eflags = 0x202;
    /* /proc/self/exe names the file itself, symlinks resolved, as on Linux. */
    char* real = NULL;
    if (vfs_realpath(path, &real) < 0)
        real = strdup(path);
    free(g_process.exe_path);
    g_process.exe_path = real;
out:
    free(exe.interp);
    free(script_argv);
    free(script_interp);
    free(script_arg);
    return ret;
}
