/*
 * op_execid.c - exec instances by ID, the three-step exec Docker clients
 * use: docker/container/exec/create, docker/exec/start, docker/exec/inspect
 * and docker/exec/resize.
 *
 * create makes the exec with the very checks and body of
 * docker/container/exec (op_exec_prepare: the user the policy allows,
 * Privileged false, the gateway's detach keys) and records its ID in the
 * peer's exec table (exectab.h).  The other three first find the ID in
 * that table, for that peer: another peer's ID answers exactly as one that
 * does not exist (NOT_FOUND, invariant 3).  They then ask the engine about
 * the exec and re-derive that it still belongs to the container it was
 * made in; an exec whose container went is dropped and is NOT_FOUND too.
 *
 * start with detach answers once the engine started it; else it is a kept
 * stream like docker/container/exec (raw session or output records), with
 * the same end (the exit code) and cancel (the process of a peer that left
 * is killed).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "exectab.h"
#include "ops_impl.h"
#include "pool.h"
#include "supervisor.h"

#define EXEC_INSPECT_TRIES 40 /* 25 ms apart: a session ended, its exit not yet recorded */

static struct exectab *exec_table(struct call *c)
{
        return c->worker->sv->execs;
}

static struct exec_entry *exec_find(struct call *c)
{
        return exectab_find(exec_table(c), c->peer->name, ops_str(c, "execId"), time(NULL));
}

static void exec_not_found(struct call *c)
{
        call_fail(c, DG_NOT_FOUND, "no such exec instance: %.64s", ops_str(c, "execId"));
}

/* --- create --- */

static void exec_made(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const char *eid = op_exec_made(c, status, body);
        struct exec_entry e;

        if (eid == NULL)
                return;
        memset(&e, 0, sizeof(e));
        snprintf(e.peer, sizeof(e.peer), "%s", c->peer->name);
        snprintf(e.eid, sizeof(e.eid), "%s", eid);
        snprintf(e.cid, sizeof(e.cid), "%s", st->id);
        e.tty = ops_bool(c, "tty", 0);
        e.in = ops_bool(c, "stdin", 0);
        /* Never started, the engine's exec holds nothing and goes with its container. */
        if (exectab_add(exec_table(c), &e, time(NULL)) == NULL) {
                call_fail(c, DG_QUOTA_EXCEEDED,
                          "this peer holds %d exec instances, the most it may: let some end",
                          EXECTAB_PER_PEER);
                return;
        }
        call_reply(c, json_pack("{s:s}", "execId", eid));
}

static void exec_create_resolved(struct call *c, const char *id, json_t *inspect)
{
        struct ops_state *st = ops_state(c);
        json_t *body;

        if (st == NULL)
                return;
        body = op_exec_prepare(c, id, inspect, ops_bool(c, "tty", 0), ops_bool(c, "stdin", 0));
        if (body == NULL)
                return;
        snprintf(st->id, sizeof(st->id), "%s", id);
        ops_send(c, "POST", body, 0, exec_made, "/containers/%s/exec", id);
        json_decref(body);
}

void op_exec_create(struct call *c)
{
        if (!op_exec_input_ok(c))
                return;
        if (!exectab_room(exec_table(c), c->peer->name, time(NULL))) {
                call_fail(c, DG_QUOTA_EXCEEDED,
                          "this peer holds %d exec instances, the most it may: let some end",
                          EXECTAB_PER_PEER);
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), exec_create_resolved);
}

/* --- finding the peer's exec, and the engine's view of it --- */

/*
 * The engine's answer about the peer's exec: the entry when it is still in
 * its container, else NULL after failing the call.
 */
static struct exec_entry *exec_checked(struct call *c, int status, json_t *body)
{
        struct exec_entry *e;
        const char *cid = json_string_value(json_object_get(body, "ContainerID"));

        c->pending = NULL;
        if ((e = exec_find(c)) == NULL) {
                exec_not_found(c); /* dropped meanwhile */
                return NULL;
        }
        if (status == 404 || (status == 200 && (cid == NULL || strcmp(cid, e->cid) != 0))) {
                /* SECURITY: re-derived, never believed: gone, or not in its container. */
                exectab_drop(exec_table(c), e->eid);
                exec_not_found(c);
                return NULL;
        }
        if (status != 200) {
                call_fail_engine(c, status, body);
                return NULL;
        }
        return e;
}

#define EXEC_ANSWER(name, found)                                                               \
        static void name(int status, json_t *body, const char *raw, size_t rawlen, void *arg)  \
        {                                                                                      \
                struct exec_entry *e = exec_checked(arg, status, body);                        \
                                                                                               \
                if (e != NULL)                                                                 \
                        found(arg, e, body);                                                   \
        }

/* GET /exec/{eid}/json of the peer's exec, answered to cb; NOT_FOUND when it has none. */
static void exec_lookup(struct call *c, engine_cb cb)
{
        struct exec_entry *e = exec_find(c);

        if (e == NULL) {
                exec_not_found(c);
                return;
        }
        call_set_resource(c, e->cid);
        ops_send(c, "GET", NULL, 0, cb, "/exec/%s/json", e->eid);
}

/* --- start --- */

static void exec_session_over(struct call *c)
{
        struct exec_entry *e = exec_find(c);

        if (e != NULL) {
                e->live = 0;
                e->ended = 1;
        }
}

static void exec_start_end(struct call *c)
{
        exec_session_over(c);
        op_exec_end(c);
}

static void exec_start_cancel(struct call *c)
{
        exec_session_over(c);
        op_exec_cancel(c);
}

static const struct call_stream_ops exec_start_ops = {exec_start_end, op_stream_resize,
                                                      exec_start_cancel, NULL};

static void exec_start_found(struct call *c, struct exec_entry *e, json_t *doc)
{
        json_t *body;

        /* Podman shows a new exec's ExitCode as 0: whether it ran is ours to know. */
        if (e->started || json_is_true(json_object_get(doc, "Running"))) {
                call_fail(c, DG_CONFLICT, "exec instance %.12s has already been started",
                          e->eid);
                return;
        }
        e->started = 1;
        if (ops_bool(c, "detach", 0)) {
                body = json_pack("{s:b,s:b}", "Detach", 1, "Tty", e->tty);
                ops_send(c, "POST", body, 0, ops_done_empty, "/exec/%s/start", e->eid);
                json_decref(body);
                return;
        }
        if (op_stream_new(c, e->cid) == NULL)
                return;
        e->live = 1;
        op_exec_stream(c, e->eid, e->tty, e->in, &exec_start_ops);
}

EXEC_ANSWER(exec_start_answer, exec_start_found)

void op_exec_start(struct call *c)
{
        struct exec_entry *e = exec_find(c);
        int detach = ops_bool(c, "detach", 0);

        if (e == NULL) {
                exec_not_found(c);
                return;
        }
        if (c->raw && detach) {
                call_fail(c, DG_INVALID_INPUT, "input.detach: not with raw carriage");
                return;
        }
        /* JSON carriage has no way to carry stdin. */
        if (!c->raw && !detach && e->in) {
                call_fail(c, DG_INVALID_INPUT,
                          "exec instance %.12s was created with stdin: start it with raw "
                          "carriage, or detached",
                          e->eid);
                return;
        }
        exec_lookup(c, exec_start_answer);
}

/* --- inspect --- */

static void exec_inspect_answer(int status, json_t *body, const char *raw, size_t rawlen,
                                void *arg);

static void exec_inspect_again(evutil_socket_t fd, short what, void *arg)
{
        exec_lookup(arg, exec_inspect_answer);
}

/* The engine's document, from an allowlist: nothing of the gateway's own settings. */
static json_t *exec_doc(const json_t *doc)
{
        static const char *const keep[] = {
            "ID",          "Running",    "ExitCode",   "ProcessConfig",
            "OpenStdin",   "OpenStderr", "OpenStdout", "CanRemove",
            "ContainerID", "Pid",        NULL};
        json_t *out = json_object();

        for (size_t i = 0; out != NULL && keep[i] != NULL; i++) {
                json_t *v = json_object_get(doc, keep[i]);

                if (v != NULL)
                        json_object_set_new(out, keep[i], json_deep_copy(v));
        }
        /* The keys are the gateway's (op_detach_keys), not the peer's. */
        if (out != NULL)
                json_object_set_new(out, "DetachKeys", json_string(""));
        return out;
}

static void exec_inspect_found(struct call *c, struct exec_entry *e, json_t *doc)
{
        struct ops_state *st = ops_state(c);
        struct op_stream *os;
        struct timeval tv = {0, 25 * 1000};

        /*
         * A session through the gateway ended, but the engine has not yet
         * recorded the exit (its output closes first): a client asking now
         * would read a running exec with no code, so wait a little.
         */
        if (st == NULL)
                return;
        if (json_is_true(json_object_get(doc, "Running")) && e->ended &&
            st->num < EXEC_INSPECT_TRIES) {
                if ((os = op_stream_new(c, e->cid)) == NULL)
                        return;
                if (os->retry == NULL &&
                    (os->retry = evtimer_new(c->worker->sv->base, exec_inspect_again, c)) ==
                        NULL) {
                        call_fail(c, DG_INTERNAL, "out of memory");
                        return;
                }
                st->num++;
                if (evtimer_add(os->retry, &tv) == 0)
                        return;
        }
        call_reply(c, exec_doc(doc));
}

EXEC_ANSWER(exec_inspect_answer, exec_inspect_found)

void op_exec_inspect(struct call *c)
{
        exec_lookup(c, exec_inspect_answer);
}

/* --- resize --- */

static void exec_resize_found(struct call *c, struct exec_entry *e, json_t *doc)
{
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/exec/%s/resize?h=%lld&w=%lld", e->eid,
                 (long long)ops_int(c, "rows", 0), (long long)ops_int(c, "cols", 0));
}

EXEC_ANSWER(exec_resize_answer, exec_resize_found)

void op_exec_resize(struct call *c)
{
        exec_lookup(c, exec_resize_answer);
}
