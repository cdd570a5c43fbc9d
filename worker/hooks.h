/*
 * hooks.h - test hooks into the worker.
 *
 * The shipped worker has none (worker_hooks is NULL).  The test-only
 * build/bin/dockgate-worker-evil links the same worker objects plus
 * tests/evil/evil.c, which sets worker_hooks before main() to the attacks
 * a compromised worker would try: the tests use them to prove that the
 * sandbox kills it and that the engine never reads bytes a worker writes on
 * a passed connection.  No attack code is in dockgate-worker
 * (`make check-boundary` refuses any evil_ symbol there).
 */
#ifndef DG_WORKER_HOOKS_H
#define DG_WORKER_HOOKS_H

struct envelope;
struct session;

struct worker_hooks {
        /* A call.requested before the descriptor check: 1 when the hook answered it. */
        int (*call)(struct session *s, const struct envelope *env);
        /* An engine stream's connection was just handed over (stream.c). */
        void (*stream)(int fd);
};

extern const struct worker_hooks *worker_hooks;

#endif
