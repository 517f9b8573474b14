/* Reports the auxiliary vector entries an app relies on, as facts that must hold anywhere. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

int main(void) {
    const unsigned char* random = (const unsigned char*)getauxval(AT_RANDOM);
    int nonzero = 0;

    for (int i = 0; random && i < 16; i++)
        nonzero |= random[i];
    printf("pagesz %lu\n", getauxval(AT_PAGESZ));
    printf("random %s\n", random && nonzero ? "present" : "missing");
    printf("entry %s\n", getauxval(AT_ENTRY) ? "present" : "missing");
    printf("phdr %s\n", getauxval(AT_PHDR) ? "present" : "missing");
    printf("secure %lu\n", getauxval(AT_SECURE));
    printf("platform %s\n", (const char*)getauxval(AT_PLATFORM));
    printf("execfn ends in auxv: %s\n",
           strstr((const char*)getauxval(AT_EXECFN), "auxv") ? "yes" : "no");
    return 0;
}
