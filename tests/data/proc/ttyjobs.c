/* A background process group and the terminal: SIGTTIN on a read, SIGTTOU on a write under
 * TOSTOP, EIO or a plain write when the signal is ignored. Runs on a terminal as a session
 * leader (the terminal's foreground group is its own) and prints what happens. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char* text) {
    if (write(1, text, strlen(text)) < 0)
        _exit(9);
}

static void report(const char* what, int st) {
    char buf[160];
    if (WIFSTOPPED(st))
        snprintf(buf, sizeof(buf), "%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof(buf), "%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
    else
        snprintf(buf, sizeof(buf), "%s: exited %d\n", what, WEXITSTATUS(st));
    say(buf);
}

static void set_tostop(int on) {
    struct termios tio;
    tcgetattr(0, &tio);
    if (on)
        tio.c_lflag |= TOSTOP;
    else
        tio.c_lflag &= ~TOSTOP;
    tcsetattr(0, TCSANOW, &tio);
}

/* Runs fn in a child of a new background group; returns its pid. */
static pid_t background(void (*fn)(void)) {
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGTTOU, SIG_DFL);
        fn();
        _exit(0);
    }
    setpgid(pid, pid);
    return pid;
}

static void reader(void) {
    char c;
    ssize_t n = read(0, &c, 1);
    _exit(n < 0 && errno == EIO ? 5 : 6);
}

static void reader_ignoring(void) {
    signal(SIGTTIN, SIG_IGN);
    reader();
}

static void writer(void) {
    say("background write\n");
}

static void settings_changer(void) {
    struct termios tio;
    tcgetattr(0, &tio);
    _exit(tcsetattr(0, TCSANOW, &tio) == 0 ? 0 : 7);
}

static void settings_changer_ignoring(void) {
    signal(SIGTTOU, SIG_IGN);
    settings_changer();
}

static void writer_ignoring(void) {
    signal(SIGTTOU, SIG_IGN);
    say("background write with SIGTTOU ignored\n");
}

int main(void) {
    int st;
    pid_t pid;

    /* The parent moves the terminal between groups itself, as a shell does. */
    signal(SIGTTOU, SIG_IGN);
    set_tostop(0);

    pid = background(reader);
    report("read in the background", (waitpid(pid, &st, WUNTRACED), st));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);

    pid = background(reader_ignoring);
    report("read with SIGTTIN ignored (5: EIO)", (waitpid(pid, &st, WUNTRACED), st));

    pid = background(writer);
    report("write without TOSTOP", (waitpid(pid, &st, WUNTRACED), st));

    set_tostop(1);
    pid = background(writer);
    report("write with TOSTOP", (waitpid(pid, &st, WUNTRACED), st));
    tcsetpgrp(0, pid);
    kill(pid, SIGCONT);
    report("the same in the foreground", (waitpid(pid, &st, 0), st));
    tcsetpgrp(0, getpgrp());

    pid = background(writer_ignoring);
    report("write with TOSTOP, SIGTTOU ignored", (waitpid(pid, &st, WUNTRACED), st));
    set_tostop(0);

    pid = background(settings_changer);
    report("tcsetattr in the background", (waitpid(pid, &st, WUNTRACED), st));
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    pid = background(settings_changer_ignoring);
    report("tcsetattr with SIGTTOU ignored", (waitpid(pid, &st, WUNTRACED), st));
    say("done\n");
    return 0;
}
