/*
 * spawn.c - starting the worker program with posix_spawn: a worker, or the
 * zygote (the same binary with --zygote, zygote.c), which forks the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <unistd.h>

#include "spawn.h"

/*
 * Starts the worker program on chan (zygote: its --zygote mode, chan the
 * control socket).  Worker fd layout (documented in
 * worker/main.c too): 0 and 1 /dev/null, 2 the log pipe (wlog.c), 3 the
 * SEQPACKET channel, nothing else.  SIGPIPE stays ignored (exec keeps an
 * ignored signal ignored) so that a vanished peer is an EPIPE, not a death.
 * posix_spawn, not fork: glibc's vfork-style clone neither copies our page
 * tables nor makes every page we touch afterwards copy-on-write, which at a
 * spawn per stream is most of what spawning costs the supervisor.
 */
pid_t spawn_worker(struct sv *sv, int chan, int zygote)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none;
        char uid[16], gid[16], calls[16];
        pid_t pid = -1;
        int rc;

        snprintf(uid, sizeof(uid), "%u", (unsigned)sv->worker_uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)sv->worker_gid);
        snprintf(calls, sizeof(calls), "%u", (unsigned)sv->cfg.max_calls_stream);
        const char *lvlname[] = {"error", "warn", "info", "debug"};
        char *argv[] = {sv->cfg.worker_path,
                        "--uid",
                        uid,
                        "--gid",
                        gid,
                        "--max-calls",
                        calls,
                        "--log-level",
                        (char *)lvlname[sv->cfg.log_level & 3],
                        NULL,
                        NULL,
                        NULL};
        int n = 9;
        char *envp[] = {NULL};

        if (sv->cfg.syslog)
                argv[n++] = "--syslog";
        if (zygote)
                argv[n++] = "--zygote";

        if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
                errno = rc;
                return -1;
        }
        if ((rc = posix_spawnattr_init(&at)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                errno = rc;
                return -1;
        }
        sigemptyset(&none);
        if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, 0, 1)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, sv->wlog_fd, 2)) != 0 ||
            (rc = posix_spawn_file_actions_adddup2(&fa, chan, 3)) != 0 ||
            (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 4)) != 0 ||
            (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
            (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)) != 0 ||
            (rc = posix_spawn(&pid, sv->cfg.worker_path, &fa, &at, argv, envp)) != 0)
                pid = -1;
        posix_spawnattr_destroy(&at);
        posix_spawn_file_actions_destroy(&fa);
        errno = rc;
        return pid;
}
