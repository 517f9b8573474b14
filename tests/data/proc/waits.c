/* Exit statuses and signal deaths as wait reports them, WNOHANG, ECHILD, getppid and kill. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char* what, int status) {
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %d\n", what, WTERMSIG(status));
    else
        printf("%s: status 0x%x\n", what, status);
}

int main(void) {
    int status;
    pid_t me = getpid();

    pid_t pid = fork();
    if (pid == 0)
        _exit(getppid() == me ? 42 : 1);
    waitpid(pid, &status, 0);
    report("exit", status);

    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    printf("nohang before exit: %d\n", (int)waitpid(pid, &status, WNOHANG));
    fflush(stdout);
    kill(pid, SIGTERM);
    printf("wait returns the pid: %d\n", waitpid(pid, &status, 0) == pid);
    report("sigterm", status);

    pid = fork();
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        pause();
        _exit(0);
    }
    usleep(100000);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    report("sigkill", status);

    pid = fork();
    if (pid == 0)
        abort();
    waitpid(-1, &status, 0);
    report("abort", status);

    int ret = waitpid(-1, &status, 0);
    printf("no children: %d %s\n", ret, strerror(errno));
    return 0;
}
