/*
 * zygote.h - the worker binary's fork-server mode (dockgate-worker --zygote).
 *
 * The zygote is started like a worker and demoted like one, compiles the
 * seccomp filter once, and then forks one child per request from the
 * supervisor (protocol/zygote_msg.h).  zygote_serve() returns only in a child,
 * whose fd `at` is then its own channel to the supervisor (the zygote's
 * control socket, which was at `at`, is gone from it).  The zygote itself
 * exits when the supervisor closes the control socket.
 */
#ifndef DG_WORKER_ZYGOTE_H
#define DG_WORKER_ZYGOTE_H

void zygote_serve(int at);

#endif
