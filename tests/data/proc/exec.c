/* execve checks: a missing file, a file that is no program, a program that exists. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
    char* args[] = {"echo", "replaced", "image", NULL};
    char* env[] = {"X=1", NULL};
    const char* target = argc > 2 ? argv[2] : "/bin/echo";

    if (argc < 2) {
        fprintf(stderr, "usage: exec missing|run PATH\n");
        return 2;
    }
    if (strcmp(argv[1], "run") == 0) {
        execve(target, args, env);
        printf("execve %s: %s\n", target, strerror(errno));
        return 1;
    }
    execve(target, args, env);
    /* The old image must still be intact: this line is printed by it. */
    printf("execve %s failed: %s\n", target, strerror(errno));
    return 0;
}
