/* Maps 300 one-page regions that cannot merge (protections alternate) and checks each one. */
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
    char* pages[300];

    for (int i = 0; i < 300; i++) {
        pages[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (pages[i] == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        pages[i][0] = (char)i;
        if (i % 2 && mprotect(pages[i], 4096, PROT_READ) < 0) {
            perror("mprotect");
            return 1;
        }
    }
    long sum = 0;
    for (int i = 0; i < 300; i++)
        sum += (unsigned char)pages[i][0];
    printf("sum %ld\n", sum);
    return 0;
}
