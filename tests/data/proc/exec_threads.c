/* execve while other threads run: they end first (one spinning, one blocked in read, one in
 * nanosleep), and the new image starts with one thread whose id is the process id, also when a
 * thread other than the main one calls execve. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int g_pipe[2];
static char* g_self;
static const char* g_who;

static void* spin(void* arg) {
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

static void* block_in_read(void* arg) {
    char c;
    read(g_pipe[0], &c, 1);
    return NULL;
}

static void* nap(void* arg) {
    struct timespec ts = {30, 0};
    nanosleep(&ts, NULL);
    return NULL;
}

static void* exec_from_thread(void* arg) {
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    char* argv[] = {g_self, "after", (char*)g_who, NULL};
    execv(g_self, argv);
    perror("execv");
    return NULL;
}

static int thread_count(void) {
    char line[256];
    int n = -1;
    FILE* f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "Threads:", 8))
            sscanf(line + 8, "%d", &n);
    }
    if (f)
        fclose(f);
    return n;
}

int main(int argc, char** argv) {
    pthread_t t;

    if (argc > 2 && !strcmp(argv[1], "after")) {
        printf("after execve from the %s thread: %d thread(s), tid is pid: %d\n", argv[2],
               thread_count(), (long)getpid() == syscall(SYS_gettid));
        return 0;
    }
    g_self = "/proc/self/exe";
    g_who = argc > 1 && !strcmp(argv[1], "other") ? "other" : "main";
    pipe(g_pipe);
    pthread_create(&t, NULL, spin, NULL);
    pthread_create(&t, NULL, block_in_read, NULL);
    pthread_create(&t, NULL, nap, NULL);
    printf("before: %d threads\n", thread_count());
    fflush(stdout);
    if (!strcmp(g_who, "other")) {
        pthread_create(&t, NULL, exec_from_thread, NULL);
        pthread_join(t, NULL);
        return 1;
    }
    exec_from_thread(NULL);
    return 1;
}
