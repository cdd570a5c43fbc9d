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

#include <stdint.h>

/*
 * Serves the supervisor's requests on fd `at`; never returns.  In each child
 * it forks: the channel takes fd `at`, the stack canary is the request's
 * (x86_64; elsewhere the child keeps the zygote's), and child() runs, which
 * must not return either (it ends with exit): the frames below it, main's
 * and zygote_serve's, were pushed with the zygote's canary and are never
 * returned through.
 */
void zygote_serve(int at, void (*child)(void)) __attribute__((noreturn));

#endif
