/* Prints what a program learns at start-up (argv, environment, auxiliary vector, its own
 * program headers, TLS) in a form that is the same for every correct loader. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static __thread int tls_counter = 41;

static int count_own_phdrs(struct dl_phdr_info* info, size_t size, void* data) {
    const ElfW(Phdr)* own = (const ElfW(Phdr)*)getauxval(AT_PHDR);
    if (info->dlpi_phdr == own)
        *(int*)data = info->dlpi_phnum;
    return 0;
}

int main(int argc, char** argv, char** envp) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d] %s\n", i, argv[i]);

    int envc = 0;
    for (char** e = envp; *e; e++)
        envc++;
    printf("envc %d, GREETING=%s\n", envc, getenv("GREETING") ? getenv("GREETING") : "(unset)");

    printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
    printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
    printf("AT_PHENT %lu\n", getauxval(AT_PHENT));
    const unsigned char* random = (const unsigned char*)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; random && i < 16; i++)
        nonzero |= random[i];
    printf("AT_RANDOM %s\n", random && nonzero ? "16 bytes" : "missing");
    printf("AT_ENTRY %s\n", getauxval(AT_ENTRY) ? "set" : "missing");

    int phnum = 0;
    dl_iterate_phdr(count_own_phdrs, &phnum);
    printf("own program headers found: %s\n",
           phnum > 0 && (unsigned long)phnum == getauxval(AT_PHNUM) ? "yes" : "no");

    tls_counter++;
    printf("tls %d\n", tls_counter);

    char* heap = malloc(1 << 20);
    memset(heap, 'k', 1 << 20);
    printf("heap %c\n", heap[12345]);
    free(heap);
    return 3;
}
