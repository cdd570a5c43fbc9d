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
 * (one engine connection each, within RLIMIT_NOFILE).  Exits through
 * fatal() on any failure.
 */
void sandbox_demote(uid_t uid, gid_t gid, unsigned calls);
/*
 * Installs the seccomp filter.  chan is the supervisor channel: the only
 * descriptor sendmsg() may be used on, so that no descriptor the worker holds
 * (the channel, an engine connection) can be passed to its peer.  Exits
 * through fatal() on any failure.
 */
void sandbox_seccomp(int chan);

#endif
