/*
 * main.c - dockgate-worker: one sandboxed worker serving one peer stream.
 *
 * usage: dockgate-worker --uid N --gid N [--max-calls N] [--log-level L] [--syslog]
 *                        [--zygote]
 *
 * File descriptors, as the supervisor sets them up before exec:
 *   0, 1  /dev/null
 *   2     a pipe the supervisor reads and relays to its log (a worker may
 *         not write files: RLIMIT_FSIZE is 0)
 *   3     SOCK_SEQPACKET channel to the supervisor (msgpack messages, fds
 *         passed with SCM_RIGHTS: the peer connection, engine connections)
 *   4...  nothing: closed at startup, whatever leaked through exec
 *
 * Sequence: check fd 3, close the rest, set up logging and the event base
 * (it needs epoll_create1), demote, install the seccomp filter, say
 * MSG_READY, wait for exactly one MSG_PEER, serve that stream, exit.  Not a
 * byte from a peer is read before the sandbox is complete.
 *
 * With --zygote, fd 3 is the zygote's control socket instead (zygote.h):
 * the same checks and preloading, the same demotion but for RLIMIT_NPROC,
 * and the worker's filter plus what forking takes, loaded in the zygote
 * itself.  Each child the zygote forks inherits that filter, finds its
 * channel at fd 3 and a stack canary of its own, sets RLIMIT_NPROC to 0,
 * makes its event base, stacks a small precompiled filter that takes the
 * zygote's extras away, and goes on from MSG_READY as above, never
 * returning into main (whose frame holds the zygote's canary).
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <linux/filter.h>

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "session.h"
#include "zygote.h"

#define WORKER_CHAN_FD 3

struct worker_args {
        uid_t uid;
        gid_t gid;
        int have_uid, have_gid;
        unsigned max_calls; /* calls in flight at most (MSG_PEER may say fewer) */
        int level;
        int use_syslog;
        int zygote; /* --zygote: a fork server (zygote.h) */
};

static void __attribute__((noreturn)) worker_usage(void)
{
        fprintf(stderr,
                "usage: dockgate-worker --uid N --gid N [--max-calls N] [--log-level L] "
                "[--syslog] [--zygote]\n");
        exit(2);
}

static unsigned long worker_id(const char *s)
{
        unsigned long v;
        char *end;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v >= UINT_MAX)
                worker_usage();
        return v;
}

static void worker_parse(int argc, char **argv, struct worker_args *a)
{
        int i;

        memset(a, 0, sizeof(*a));
        a->level = LOG_LVL_INFO;
        a->max_calls = 64;
        for (i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--uid") == 0 && i + 1 < argc) {
                        a->uid = (uid_t)worker_id(argv[++i]);
                        a->have_uid = 1;
                } else if (strcmp(argv[i], "--gid") == 0 && i + 1 < argc) {
                        a->gid = (gid_t)worker_id(argv[++i]);
                        a->have_gid = 1;
                } else if (strcmp(argv[i], "--max-calls") == 0 && i + 1 < argc) {
                        a->max_calls = (unsigned)worker_id(argv[++i]);
                        if (a->max_calls < 1 || a->max_calls > MSG_CALLS_MAX)
                                worker_usage();
                } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
                        if ((a->level = log_level_parse(argv[++i])) == -1)
                                worker_usage();
                } else if (strcmp(argv[i], "--syslog") == 0) {
                        a->use_syslog = 1;
                } else if (strcmp(argv[i], "--zygote") == 0) {
                        a->zygote = 1;
                } else {
                        worker_usage();
                }
        }
        if (!a->have_uid || !a->have_gid)
                worker_usage();
}

/* SECURITY: fd 3 must be what the supervisor promised, and nothing else may be open. */
static void worker_fds(void)
{
        socklen_t len;
        int type;

        len = sizeof(type);
        if (getsockopt(WORKER_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
                fatal("fd %d is not the supervisor channel", WORKER_CHAN_FD);
        if (type != SOCK_SEQPACKET)
                fatalx("fd %d is not a SOCK_SEQPACKET socket", WORKER_CHAN_FD);
        if (syscall(SYS_close_range, WORKER_CHAN_FD + 1, ~0U, 0) == -1) {
                long fd, max = sysconf(_SC_OPEN_MAX);

                if (max < 0 || max > 65536)
                        max = 65536;
                for (fd = WORKER_CHAN_FD + 1; fd < max; fd++)
                        (void)close((int)fd);
        }
}

static void worker_chan_nonblock(void)
{
        if (evutil_make_socket_nonblocking(WORKER_CHAN_FD) == -1)
                fatal("fcntl on the supervisor channel");
}

/*
 * Things libraries would otherwise do lazily, after the filter is in
 * place, with syscalls it refuses: jansson seeds its hash function from
 * /dev/urandom (open), time formatting reads /etc/localtime (open).
 */
static void worker_preload(void)
{
        json_object_seed(0);
        tzset();
        /* Writing to a peer that left must be an EPIPE, not a death. */
        if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
                fatal("signal(SIGPIPE)");
}

static struct event_base *worker_event_base(void)
{
        struct event_config *cfg;
        struct event_base *base;

        /* No environment variable may pick a backend the filter does not allow. */
        if ((cfg = event_config_new()) == NULL ||
            event_config_set_flag(cfg, EVENT_BASE_FLAG_IGNORE_ENV) == -1 ||
            event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK) == -1)
                fatalx("event_config");
        if ((base = event_base_new_with_config(cfg)) == NULL)
                fatalx("event_base_new");
        event_config_free(cfg);
        return base;
}

/* Exactly one MSG_PEER: anything else from the supervisor now is a bug there. */
static void worker_wait_peer(struct msg *m)
{
        chan_recv_wait(WORKER_CHAN_FD, m);
        if (m->type != MSG_PEER)
                fatalx("expected MSG_PEER, got %s", msg_type_name(m->type));
}

/* The worker's arguments and, in a zygote, its children's filter (zygote_serve's child). */
static struct worker_args worker_args;
static struct sock_fprog worker_child_filter;

/* From MSG_READY to the end of the stream; ends the process (never returns). */
static void __attribute__((noreturn)) worker_serve(struct event_base *base)
{
        struct session *s;
        struct msg m;

        worker_chan_nonblock();
        chan_ready(WORKER_CHAN_FD);
        worker_wait_peer(&m);
        /* SECURITY: never more calls than the descriptors it kept room for. */
        if (m.max_calls > worker_args.max_calls)
                fatalx("MSG_PEER allows %u calls in flight; started for %u", m.max_calls,
                       worker_args.max_calls);
        s = session_new(base, WORKER_CHAN_FD, &m);
        msg_clear(&m);

        if (event_base_dispatch(base) == -1)
                fatalx("event loop failed");
        session_free(s);
        event_base_free(base);
        exit(0);
}

/* A child of the zygote, its channel at fd 3 and its own canary (zygote.h). */
static void worker_forked(void)
{
        struct event_base *base;

        sandbox_no_fork();
        /* Its own epoll descriptor: the zygote made none to share. */
        base = worker_event_base();
        sandbox_seccomp_install(&worker_child_filter);
        worker_serve(base);
}

int main(int argc, char **argv)
{
        struct worker_args *args = &worker_args;
        struct event_base *base;

        worker_parse(argc, argv, args);
        log_init("dockgate-worker", 0, (enum log_level)args->level);
        worker_fds();
        if (args->use_syslog)
                log_init("dockgate-worker", 1, (enum log_level)args->level);
        worker_preload();
        if (args->zygote) {
                sandbox_demote(args->uid, args->gid, args->max_calls, 1);
                sandbox_seccomp_zygote(WORKER_CHAN_FD, &worker_child_filter);
                zygote_serve(WORKER_CHAN_FD, worker_forked); /* never returns */
        }
        base = worker_event_base();
        sandbox_demote(args->uid, args->gid, args->max_calls, 0);
        sandbox_seccomp(WORKER_CHAN_FD);
        worker_serve(base);
}
