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

#include "pool_impl.h" /* pool_set_state(), to start a worker in any state */

/* What the stub broker saw. */
static struct {
        int calls, cancels, call_ends, stream_ends, resizes, readies;
        int call_rc, call_end_rc, stream_rc; /* what the stubs answer */
} seen;

static int stub_call(struct worker *w, struct msg *m)
{
        seen.calls++;
        return seen.call_rc;
}

static void stub_cancel(struct worker *w)
{
        seen.cancels++;
}

static int stub_call_end(struct worker *w)
{
        seen.call_ends++;
        return seen.call_end_rc;
}

static int stub_stream_end(struct worker *w, uint64_t seq)
{
        seen.stream_ends++;
        return seen.stream_rc;
}

static int stub_resize(struct worker *w, uint64_t seq, uint32_t rows, uint32_t cols)
{
        seen.resizes++;
        return seen.stream_rc;
}

static void stub_ready(struct sv *sv)
{
        seen.readies++;
}

static const struct pool_calls stubs = {stub_call,       stub_cancel, stub_call_end,
                                        stub_stream_end, stub_resize, stub_ready};

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
        f->sv.calls = &stubs;
        f->sv.cfg.pool_size = 1;
        TAILQ_INIT(&f->sv.workers);
        f->w = calloc(1, sizeof(*f->w));
        assert_non_null(f->w);
        f->w->sv = &f->sv;
        f->w->pid = -1;
        f->w->chan = -1;
        f->w->state = W_SPAWNED;
        TAILQ_INIT(&f->w->outq);
        f->w->ev_deadline = evtimer_new(f->sv.base, nothing, NULL);
        TAILQ_INSERT_TAIL(&f->sv.workers, f->w, link);
        f->sv.nspawning = 1;
        if (st != W_SPAWNED)
                pool_set_state(f->w, st);
        memset(&seen, 0, sizeof(seen));
        return f;
}

static void fixture_free(struct fixture *f)
{
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

static int broker_saw(void)
{
        return seen.calls + seen.cancels + seen.call_ends + seen.stream_ends + seen.resizes +
               seen.readies;
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
                        assert_int_equal(broker_saw(), 0);
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
        assert_int_equal(seen.readies, 1);
        /* a second READY is not allowed once ready */
        assert_int_equal(send_msg(f, MSG_READY, 0), -1);
        assert_int_equal(seen.readies, 1);
        fixture_free(f);
}

static void test_calls_are_sequential(void **state)
{
        struct fixture *f = fixture_new(W_SERVING);

        (void)state;
        assert_int_equal(send_msg(f, MSG_CALL, 1), 0);
        assert_int_equal(seen.calls, 1);
        assert_int_equal(f->w->open_seq, 1);
        /* a second call while the first is open, at any seq */
        assert_int_equal(send_msg(f, MSG_CALL, 2), -1);
        assert_int_equal(seen.calls, 1);
        /* ends of another call, and of a stream that is not this one */
        assert_int_equal(send_msg(f, MSG_CALL_END, 2), -1);
        assert_int_equal(send_msg(f, MSG_STREAM_END, 2), -1);
        assert_int_equal(send_msg(f, MSG_RESIZE, 2), -1);
        /* a cancel of a call not yet made */
        assert_int_equal(send_msg(f, MSG_CANCEL, 5), -1);
        assert_int_equal(seen.cancels + seen.stream_ends + seen.resizes, 0);
        /* the broker still owes a plain answer: the end is out of order */
        seen.call_end_rc = -1;
        assert_int_equal(send_msg(f, MSG_CALL_END, 1), -1);
        assert_int_equal(f->w->open_seq, 1);
        seen.call_end_rc = 0;
        assert_int_equal(send_msg(f, MSG_CALL_END, 1), 0);
        assert_int_equal(f->w->open_seq, 0);
        /* a late cancel is harmless; a reused or older seq is not */
        assert_int_equal(send_msg(f, MSG_CANCEL, 1), 0);
        assert_int_equal(seen.cancels, 0);
        assert_int_equal(send_msg(f, MSG_CALL, 1), -1);
        assert_int_equal(send_msg(f, MSG_CALL, 0), -1);
        assert_int_equal(send_msg(f, MSG_CALL, 2), 0);
        assert_int_equal(seen.calls, 2);
        fixture_free(f);
}

static void test_broker_refusal_kills(void **state)
{
        struct fixture *f = fixture_new(W_SERVING);

        (void)state;
        seen.call_rc = -1; /* the broker found what the worker must have refused */
        assert_int_equal(send_msg(f, MSG_CALL, 1), -1);
        seen.stream_rc = -1;
        assert_int_equal(send_msg(f, MSG_STREAM_END, 1), -1);
        assert_int_equal(send_msg(f, MSG_RESIZE, 1), -1);
        assert_int_equal(seen.stream_ends, 1);
        assert_int_equal(seen.resizes, 1);
        fixture_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_forbidden_transition_kills),
            cmocka_unit_test(test_ready_once),
            cmocka_unit_test(test_calls_are_sequential),
            cmocka_unit_test(test_broker_refusal_kills),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
