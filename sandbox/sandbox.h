/*
 * sandbox.h - how a worker gives up everything before it reads a peer byte.
 *
 * sandbox_demote() runs the fixed sequence (each step fatal on failure):
 *   setgroups, setgid, setuid, prove setuid(0) fails, drop all capabilities
 *   (bounding set and effective/permitted/inheritable), rlimits (no new
 *   processes, no file writes, no core, few fds), not dumpable, no_new_privs.
 * sandbox_seccomp() then installs the allowlist filter: wrong arch, socket,
 * connect, open, execve, fork/clone, ptrace, executable mappings and every
 * other syscall not listed kill the process (SIGSYS).  It never fails open.
 */
#ifndef DG_SANDBOX_H
#define DG_SANDBOX_H

#include <sys/types.h>

/*
 * Drops to uid/gid; calls is the most calls the worker may have in flight
 * (one engine connection each, within RLIMIT_NOFILE).  may_fork keeps
 * RLIMIT_NPROC as it was (the zygote forks workers); every worker then calls
 * sandbox_no_fork() before its filter.  Exits through fatal() on any failure.
 */
void sandbox_demote(uid_t uid, gid_t gid, unsigned calls, int may_fork);
/* RLIMIT_NPROC 0: the step sandbox_demote(..., 1) left out. */
void sandbox_no_fork(void);
/*
 * Installs the seccomp filter.  chan is the supervisor channel: the only
 * descriptor sendmsg() may be used on, so that no descriptor the worker holds
 * (the channel, an engine connection) can be passed to its peer.  Exits
 * through fatal() on any failure.
 */
void sandbox_seccomp(int chan);
/*
 * The zygote's filters (worker/zygote.c), each compiled once: its own, the
 * worker's list plus what forking a child takes (seccomp.c lists it),
 * installed here; and *child, a few instructions (malloc'd, kept for the
 * process's life) that each child stacks on the inherited one with
 * sandbox_seccomp_install(), refusing those extras again.  Together they
 * allow exactly what sandbox_seccomp() does.  Both exit through fatal() on
 * any failure.
 */
struct sock_fprog;
void sandbox_seccomp_zygote(int chan, struct sock_fprog *child);
void sandbox_seccomp_install(const struct sock_fprog *prog);

#endif
