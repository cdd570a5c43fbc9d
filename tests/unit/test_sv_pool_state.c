/*
 * test_sv_pool_state.c - the worker state table (supervisor/pool_state.c):
 * every message a state does not permit, and every one out of order, is
 * refused (the caller then kills the worker) without reaching the broker;
 * what a state permits reaches it once, in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admit.h"
#include "broker.h"
#include "pool.h"

static void nothing(evutil_socket_t fd, short what, void *arg)
{
}

struct fixture {
        struct sv sv;
        struct worker *w;
};

/* A worker in state st, on its own sv; no process behind it (never killed here). */
static struct fixture *fixture_new(enum worker_state st)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        f->sv.base = event_base_new();
        assert_non_null(f->sv.base);
        f->sv.cfg.pool_size = 1;
        f->sv.cfg.max_calls_stream = 64;
        f->sv.up = &broker_pool_up; /* as main.c wires it */
        f->sv.shutting_down = 1;    /* nothing here may spawn a real worker */
        TAILQ_INIT(&f->sv.workers);
        admit_init(&f->sv);
        f->w = calloc(1, sizeof(*f->w));
        assert_non_null(f->w);
        f->w->sv = &f->sv;
        f->w->pid = -1;
        f->w->chan = -1;
        f->w->state = W_SPAWNED;
        TAILQ_INIT(&f->w->outq);
        TAILQ_INIT(&f->w->calls);
        f->w->ev_deadline = evtimer_new(f->sv.base, nothing, NULL);
        TAILQ_INSERT_TAIL(&f->sv.workers, f->w, link);
        f->sv.nspawning = 1;
        if (st != W_SPAWNED)
                pool_set_state(f->w, st);
        return f;
}

static void fixture_free(struct fixture *f)
{
        admit_close(&f->sv);
        admit_free(&f->sv); /* walks the workers: before they go */
        TAILQ_REMOVE(&f->sv.workers, f->w, link);
        event_free(f->w->ev_deadline);
        free(f->w);
        event_base_free(f->sv.base);
        free(f);
}

static int send_msg(struct fixture *f, enum msg_type type, uint64_t seq)
{
        char why[128];
        struct msg m;
        int rc;

        msg_init(&m, type);
        m.seq = seq;
        snprintf(m.op, sizeof(m.op), "docker/system/ping");
        snprintf(m.result, sizeof(m.result), "OK");
        why[0] = '\0';
        rc = pool_state_dispatch(f->w, &m, why, sizeof(why));
        if (rc < 0 && why[0] == '\0')
                fail_msg("refused without a reason");
        msg_clear(&m);
        return rc;
}

/* Every (state, type) pair outside the table is refused, and nothing above is reached. */
static void test_every_forbidden_transition_kills(void **state)
{
        static const enum worker_state states[] = {W_SPAWNED, W_READY, W_SERVING, W_DYING};
        static const enum msg_type types[] = {
            MSG_PEER, MSG_RESULT, MSG_FAIL,     MSG_STREAM,     MSG_READY,
            MSG_CALL, MSG_CANCEL, MSG_CALL_END, MSG_STREAM_END, MSG_RESIZE};
        size_t i, j;
        int allowed;

        (void)state;
        for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
                for (j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
                        enum msg_type t = types[j];
                        allowed = (states[i] == W_SPAWNED && t == MSG_READY) ||
                                  (states[i] == W_SERVING &&
                                   (t == MSG_CALL || t == MSG_CANCEL || t == MSG_CALL_END ||
                                    t == MSG_STREAM_END || t == MSG_RESIZE));
                        if (allowed)
                                continue;
                        struct fixture *f = fixture_new(states[i]);
                        if (send_msg(f, t, 1) != -1)
                                fail_msg("state %d accepted %s", states[i], msg_type_name(t));
                        assert_int_equal(f->w->last_seq, 0);
                        assert_true(TAILQ_EMPTY(&f->w->calls));
                        assert_int_equal(f->w->state, states[i]);
                        fixture_free(f);
                }
}

static void test_ready_once(void **state)
{
        struct fixture *f = fixture_new(W_SPAWNED);

        (void)state;
        assert_int_equal(send_msg(f, MSG_READY, 0), 0);
        assert_int_equal(f->w->state, W_READY);
        assert_int_equal(f->sv.nready, 1);
        assert_int_equal(f->sv.nspawning, 0);
        /* a second READY is not allowed once ready */
        assert_int_equal(send_msg(f, MSG_READY, 0), -1);
        fixture_free(f);
}

/* Out of order while serving: refused before anything reaches the broker. */
static void test_out_of_order(void **state)
{
        struct fixture *f = fixture_new(W_SERVING);

        (void)state;
        /* a call numbered 0 (calls count from 1, in order) */
        assert_int_equal(send_msg(f, MSG_CALL, 0), -1);
        /* ends, stream ends and resizes of calls never made */
        assert_int_equal(send_msg(f, MSG_CALL_END, 1), -1);
        assert_int_equal(send_msg(f, MSG_STREAM_END, 1), -1);
        assert_int_equal(send_msg(f, MSG_RESIZE, 1), -1);
        /* a cancel of a call not yet made; a late one (seq already seen) is harmless */
        assert_int_equal(send_msg(f, MSG_CANCEL, 5), -1);
        f->w->last_seq = 3;
        assert_int_equal(send_msg(f, MSG_CANCEL, 2), 0);
        /* a number already used, or more calls open than the stream may have */
        assert_int_equal(send_msg(f, MSG_CALL, 3), -1);
        f->w->ncalls = f->sv.cfg.max_calls_stream;
        assert_int_equal(send_msg(f, MSG_CALL, 4), -1);
        assert_true(TAILQ_EMPTY(&f->w->calls));
        fixture_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_forbidden_transition_kills),
            cmocka_unit_test(test_ready_once),
            cmocka_unit_test(test_out_of_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
