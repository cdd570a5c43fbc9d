/*
 * tty.c - raw mode for the local terminal, restored on every exit path.
 *
 * The saved settings live in file-scope variables: signal handlers and
 * atexit() take no argument, and a process has one controlling terminal.
 * Raw mode turns ISIG off, so ^C and ^Z reach the container's terminal as
 * bytes; only signals sent from outside arrive here.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

static struct termios tty_saved;
static volatile sig_atomic_t tty_fd = -1; /* the raw terminal, -1 when none */
static int tty_hooked;

void tty_restore(void)
{
        int fd = tty_fd;

        if (fd < 0)
                return;
        /* TCSADRAIN: the session's last output is shown before the shell's prompt. */
        (void)tcsetattr(fd, TCSADRAIN, &tty_saved);
        tty_fd = -1;
}

/* A signal that ends the process: restore, then die of it as if we had not caught it. */
static void tty_fatal(int sig)
{
        int saved = errno;

        tty_restore();
        signal(sig, SIG_DFL);
        raise(sig);
        errno = saved;
}

/* Back from a stop (kill -STOP, then fg): the shell may have reset the terminal. */
static void tty_cont(int sig)
{
        struct termios t;
        int fd = tty_fd, saved = errno;

        (void)sig;
        if (fd >= 0 && tcgetattr(fd, &t) == 0) {
                cfmakeraw(&t);
                (void)tcsetattr(fd, TCSANOW, &t);
        }
        errno = saved;
}

static void tty_hook(void)
{
        static const int fatal[] = {SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS};
        struct sigaction sa, old;
        size_t i;

        if (tty_hooked)
                return;
        tty_hooked = 1;
        atexit(tty_restore);
        memset(&sa, 0, sizeof(sa));
        sigemptyset(&sa.sa_mask);
        sa.sa_handler = tty_fatal;
        for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
                /* A signal the shell had us ignore stays ignored. */
                if (sigaction(fatal[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
                        continue;
                sigaction(fatal[i], &sa, NULL);
        }
        sa.sa_handler = tty_cont;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGCONT, &sa, NULL);
}

int tty_raw(int fd)
{
        struct termios t;

        if (!isatty(fd) || tcgetattr(fd, &tty_saved) == -1)
                return -1;
        tty_hook();
        t = tty_saved;
        cfmakeraw(&t);
        tty_fd = fd;
        if (tcsetattr(fd, TCSADRAIN, &t) == -1) {
                tty_fd = -1;
                return -1;
        }
        return 0;
}

int tty_size(int fd, unsigned *rows, unsigned *cols)
{
        struct winsize ws;

        if (ioctl(fd, TIOCGWINSZ, &ws) == -1 || ws.ws_row == 0 || ws.ws_col == 0)
                return -1;
        *rows = ws.ws_row;
        *cols = ws.ws_col;
        return 0;
}
