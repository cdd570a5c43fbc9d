/*
 * op_exec.c - docker/container/exec, in both carriages, and what the kept
 * streams of exec and attach share (op_stream_*): TTY resizes, and the
 * release of an exec whose peer went away.
 *
 * exec: resolve the container (ownership, invariant 3), POST
 * /containers/{id}/exec with a body built field by field (invariant 4;
 * Privileged is always false), then dial POST /exec/{eid}/start and hand the
 * connection to the worker as a kept stream.  The engine answers the start
 * with "200 OK" and then hijacks the connection: from there on, what the
 * worker writes is the process's stdin and what it reads is the process's
 * output, until the process ends and the engine closes.  No "Upgrade"
 * header is sent: Engine 20.10 hijacks without one, and the 200 with no
 * length reads, for http_parser, as a body that lasts until EOF.  When the
 * output ended the worker sends MSG_STREAM_END and the exit code is read
 * from GET /exec/{eid}/json.  The exec ID never leaves the supervisor.
 *
 * SECURITY: the engine leaves an exec running when its connection closes
 * (checked on 20.10), so a peer that leaves or aborts mid-session would
 * leave its process behind.  The cancel hook kills it: the engine tells the
 * exec's host pid, and the process is signalled through a pidfd only after
 * /proc/<pid>/cgroup shows it inside that very container, so that a reused
 * pid can never make the supervisor kill an unrelated process.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ops_impl.h"
#include "pool.h"

#define EXEC_POLL_FIRST_MS 10L /* the exit code is normally recorded before EOF */
#define EXEC_POLL_MAX_MS 1000L
#define EXEC_CGROUP_MAX 8192 /* /proc/<pid>/cgroup read at most */

/*
 * Docker treats ctrl-p ctrl-q on a TTY session's stdin as "detach" and eats
 * the bytes; the peer's bytes must pass unchanged, so every TTY exec and
 * attach gets a sequence of eight rare control characters instead.
 */
const char op_detach_keys[] = "ctrl-^,ctrl-_,ctrl-],ctrl-^,ctrl-_,ctrl-],ctrl-^,ctrl-_";

/* --- the kept stream's state --- */

struct op_stream *op_stream_new(struct call *c, const char *cid)
{
        struct ops_state *st = ops_state(c);
        struct op_stream *os;

        if (st == NULL)
                return NULL;
        if (st->stream == NULL) {
                if ((os = calloc(1, sizeof(*os))) == NULL) {
                        call_fail(c, DG_INTERNAL, "out of memory");
                        return NULL;
                }
                st->stream = os;
                st->stream_free = op_stream_free;
        }
        os = st->stream;
        os->c = c;
        snprintf(os->cid, sizeof(os->cid), "%s", cid);
        return os;
}

void op_stream_free(struct op_stream *os)
{
        if (os == NULL)
                return;
        if (os->resize != NULL)
                engine_cancel(os->resize);
        if (os->retry != NULL)
                event_free(os->retry);
        free(os);
}

static struct op_stream *op_stream_of(struct call *c)
{
        struct ops_state *st = c->state;

        return st != NULL ? st->stream : NULL;
}

/* --- resize: one request at a time, the latest size wins --- */

static void op_stream_resize_send(struct op_stream *os, uint32_t rows, uint32_t cols);

static void op_stream_resized(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct op_stream *os = arg;
        uint32_t rows = os->want_rows, cols = os->want_cols;

        os->resize = NULL;
        /* A failed resize does not end the session: the terminal keeps its size. */
        if (status < 200 || status > 299)
                log_info("call %llu: resize answered %d", (unsigned long long)os->c->seq,
                         status);
        if (rows != 0) {
                os->want_rows = os->want_cols = 0;
                op_stream_resize_send(os, rows, cols);
        }
}

static void op_stream_resize_send(struct op_stream *os, uint32_t rows, uint32_t cols)
{
        char path[256];

        if (engine_path(path, sizeof(path), "/%s/%s/resize?h=%u&w=%u",
                        os->eid[0] ? "exec" : "containers", os->eid[0] ? os->eid : os->cid,
                        (unsigned)rows, (unsigned)cols) == -1)
                return;
        os->resize =
            engine_request(os->c->engine, "POST", path, NULL, 0, op_stream_resized, os);
        if (os->resize == NULL)
                log_warnx("call %llu: resize could not be started",
                          (unsigned long long)os->c->seq);
}

void op_stream_resize(struct call *c, uint32_t rows, uint32_t cols)
{
        struct op_stream *os = op_stream_of(c);

        /* msg.c checked 1..MSG_TTY_MAX; the engine needs no more. */
        if (os == NULL)
                return;
        if (os->resize != NULL) {
                os->want_rows = rows;
                os->want_cols = cols;
                return;
        }
        op_stream_resize_send(os, rows, cols);
}

/* --- releasing an exec the peer left behind --- */

/*
 * Outlives the call: the engine may not have started the exec yet when its
 * peer leaves, or report it running before it has recorded its pid (both
 * seen on 20.10), so the lookup is retried a while.
 */
struct exec_reaper {
        char cid[65];
        char eid[65];
        struct engine *engine;
        struct event *retry;
        int tries;
};

#define EXEC_REAP_TRIES 100 /* 50 ms apart: 5 s for a loaded engine to start it */

static void exec_reaper_free(struct exec_reaper *rp)
{
        if (rp->retry != NULL)
                event_free(rp->retry);
        free(rp);
}

/* 1 when /proc/<pid>/cgroup puts the process inside container cid. */
static int exec_in_container(pid_t pid, const char *cid)
{
        char path[64], buf[EXEC_CGROUP_MAX + 1], *line, *save = NULL, *p;
        size_t cidlen = strlen(cid);
        ssize_t n;
        int fd, found = 0;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
                return 0;
        n = read(fd, buf, EXEC_CGROUP_MAX);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* Lines "N:controllers:/path"; cgroupfs: /docker/<id>, systemd: docker-<id>.scope. */
        for (line = strtok_r(buf, "\n", &save); line != NULL && !found;
             line = strtok_r(NULL, "\n", &save)) {
                for (p = strstr(line, cid); p != NULL && !found; p = strstr(p + 1, cid)) {
                        char before = p > line ? p[-1] : '\0', after = p[cidlen];

                        found = (before == '/' || before == '-') &&
                                (after == '\0' || after == '/' || after == '.');
                }
        }
        return found;
}

static void exec_kill(pid_t pid, const char *cid)
{
        int pidfd;

        /* The pidfd pins the process: checked and signalled are the same one. */
        if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1) {
                log_warn("exec of container %.12s: pidfd_open(%d)", cid, (int)pid);
                return;
        }
        if (!exec_in_container(pid, cid))
                log_warnx("exec of container %.12s: pid %d is not in it; not killed", cid,
                          (int)pid);
        else if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == -1)
                log_warn("exec of container %.12s: kill %d", cid, (int)pid);
        else
                log_info("exec of container %.12s: killed pid %d, its peer left", cid,
                         (int)pid);
        close(pidfd);
}

static void exec_reaper_ask(struct exec_reaper *rp);

static void exec_reaper_again(evutil_socket_t fd, short what, void *arg)
{
        exec_reaper_ask(arg);
}

static void exec_reaper_done(int status, json_t *body, const char *raw, size_t rawlen,
                             void *arg)
{
        struct exec_reaper *rp = arg;
        json_t *pid = json_object_get(body, "Pid");
        const char *cid = json_string_value(json_object_get(body, "ContainerID"));
        struct timeval tv = {0, 50 * 1000};

        int running = json_is_true(json_object_get(body, "Running"));
        /* Not running and no exit code: the engine has not started it yet. */
        int pending = !running && json_is_null(json_object_get(body, "ExitCode"));

        /* Re-derive: the exec must run (or be about to), in the container we started it in. */
        if (status != 200 || !(running || pending) || cid == NULL ||
            strcmp(cid, rp->cid) != 0 || !json_is_integer(pid)) {
                exec_reaper_free(rp);
                return;
        }
        if (running && json_integer_value(pid) > 1 && json_integer_value(pid) < (1 << 22)) {
                exec_kill((pid_t)json_integer_value(pid), rp->cid);
                exec_reaper_free(rp);
                return;
        }
        /* Not started yet, or running with its pid not recorded yet: ask again shortly. */
        if (++rp->tries >= EXEC_REAP_TRIES || rp->retry == NULL ||
            evtimer_add(rp->retry, &tv)) {
                log_warnx("exec of container %.12s: no pid for a running exec; not killed",
                          rp->cid);
                exec_reaper_free(rp);
        }
}

static void exec_reaper_ask(struct exec_reaper *rp)
{
        char path[128];

        if (engine_path(path, sizeof(path), "/exec/%s/json", rp->eid) == -1 ||
            engine_request(rp->engine, "GET", path, NULL, 0, exec_reaper_done, rp) == NULL)
                exec_reaper_free(rp);
}

/* The call is going away: ask the engine for the exec's pid, independently of the call. */
static void exec_cancel(struct call *c)
{
        struct op_stream *os = op_stream_of(c);
        struct exec_reaper *rp;

        if (os == NULL || os->eid[0] == '\0')
                return;
        if ((rp = calloc(1, sizeof(*rp))) == NULL)
                return;
        memcpy(rp->cid, os->cid, sizeof(rp->cid));
        memcpy(rp->eid, os->eid, sizeof(rp->eid));
        rp->engine = c->engine;
        rp->retry = evtimer_new(c->worker->sv->base, exec_reaper_again, rp);
        exec_reaper_ask(rp);
}

/* --- the exit code, once the output ended --- */

static void exec_inspect(struct call *c);

static void exec_retry(evutil_socket_t fd, short what, void *arg)
{
        exec_inspect(arg);
}

static void exec_inspected(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct op_stream *os = op_stream_of(c);
        json_t *code = json_object_get(body, "ExitCode");
        long ms;
        struct timeval tv;

        c->pending = NULL;
        if (status != 200) {
                call_fail_engine(c, status, body);
                return;
        }
        if (!json_is_true(json_object_get(body, "Running")) && json_is_integer(code)) {
                call_reply(c, json_pack("{s:I}", "exitCode", json_integer_value(code)));
                return;
        }
        /*
         * The output can end before the engine records the exit (or a process
         * may close its output and go on): poll, backing off, until it has;
         * the peer can still abort, and the worker's lifetime bounds it.
         */
        if (os->retry == NULL &&
            (os->retry = evtimer_new(c->worker->sv->base, exec_retry, c)) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        ms = EXEC_POLL_FIRST_MS << (os->tries < 7 ? os->tries : 7);
        if (ms > EXEC_POLL_MAX_MS)
                ms = EXEC_POLL_MAX_MS;
        os->tries++;
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
        if (evtimer_add(os->retry, &tv) == -1)
                call_fail(c, DG_INTERNAL, "cannot wait for the exec's exit code");
}

static void exec_inspect(struct call *c)
{
        ops_send(c, "GET", NULL, 0, exec_inspected, "/exec/%s/json", op_stream_of(c)->eid);
}

static const struct call_stream_ops exec_ops = {exec_inspect, op_stream_resize, exec_cancel,
                                                NULL};

/* --- create and start --- */

/* user: as policy_run_as() gave it, or NULL for the container's own. */
static json_t *exec_body(struct call *c, int tty, int in, const char *user)
{
        json_t *b, *env;
        const char *s;

        b = json_pack("{s:b,s:b,s:b,s:b,s:o,s:b,s:s}", "AttachStdin", in, "AttachStdout", 1,
                      "AttachStderr", 1, "Tty", tty, "Cmd",
                      ops_strings(json_object_get(c->input, "cmd")), "Privileged", 0,
                      "DetachKeys", op_detach_keys);
        if (b == NULL)
                return NULL;
        if ((env = json_object_get(c->input, "env")) != NULL &&
            json_object_set_new(b, "Env", ops_strings(env)) == -1)
                goto fail;
        if ((s = ops_str(c, "workingDir")) != NULL &&
            json_object_set_new(b, "WorkingDir", json_string(s)) == -1)
                goto fail;
        if (user != NULL && json_object_set_new(b, "User", json_string(user)) == -1)
                goto fail;
        return b;
fail:
        json_decref(b);
        return NULL;
}

/*
 * Dials POST /exec/{eid}/start and hands the connection to the worker as a
 * kept stream (raw session or output records, by the call's carriage).
 */
void op_exec_stream(struct call *c, const char *eid, int tty, int in,
                    const struct call_stream_ops *ops)
{
        struct op_stream *os = op_stream_of(c);
        json_t *start;
        char path[128];
        int fd;

        memcpy(os->eid, eid, sizeof(os->eid));
        start = json_pack("{s:b,s:b}", "Detach", 0, "Tty", tty);
        if (start == NULL || engine_path(path, sizeof(path), "/exec/%s/start", os->eid) == -1) {
                json_decref(start);
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        fd = engine_dial(c->engine, "POST", path, NULL, start);
        json_decref(start);
        if (fd == -1) {
                /* Created, never started: the engine drops such an exec on its own. */
                call_fail(c, DG_UNAVAILABLE, "the Docker Engine cannot be reached");
                return;
        }
        if (ops == NULL)
                ops = &exec_ops;
        if (c->raw)
                call_stream_keep(c, fd, "raw_exec",
                                 json_pack("{s:b,s:b}", "tty", tty, "stdin", in), ops);
        else
                call_stream_keep(c, fd, "exec", json_pack("{s:b}", "tty", tty), ops);
}

void op_exec_end(struct call *c)
{
        exec_inspect(c);
}

void op_exec_cancel(struct call *c)
{
        exec_cancel(c);
}

const char *op_exec_made(struct call *c, int status, json_t *body)
{
        const char *eid = json_string_value(json_object_get(body, "Id"));

        c->pending = NULL;
        if (status != 201) {
                call_fail_engine(c, status, body);
                return NULL;
        }
        if (!dg_engine_id_ok(eid)) {
                call_fail(c, DG_INTERNAL, "the engine's exec has no valid Id");
                return NULL;
        }
        return eid;
}

static void exec_created(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        const char *eid = op_exec_made(c, status, body);

        if (eid == NULL)
                return;
        op_exec_stream(c, eid, ops_bool(c, "tty", 0), ops_bool(c, "stdin", 0), NULL);
}

json_t *op_exec_prepare(struct call *c, const char *id, json_t *inspect, int tty, int in)
{
        json_t *state = json_object_get(inspect, "State"), *body;
        char run_as[POLICY_RUN_AS_MAX];
        const char *user = policy_run_as(c->peer, ops_str(c, "user"), run_as, sizeof(run_as));

        /* refuseRoot: no uid 0, no gid 0; a uid alone gets its own gid */
        if (user == NULL && c->peer->refuse_root) {
                call_fail(c, DG_FORBIDDEN, "input.user: this peer may not run as root");
                return NULL;
        }
        if (!json_is_true(json_object_get(state, "Running")) ||
            json_is_true(json_object_get(state, "Paused"))) {
                call_fail(c, DG_CONFLICT, "container %.12s is not running", id);
                return NULL;
        }
        if ((body = exec_body(c, tty, in, user)) == NULL)
                call_fail(c, DG_INTERNAL, "out of memory");
        return body;
}

int op_exec_input_ok(struct call *c)
{
        if (!ops_env_ok(c)) {
                call_fail(c, DG_INVALID_INPUT, "input.env: entries must be NAME=VALUE");
                return 0;
        }
        return 1;
}

static void exec_resolved(struct call *c, const char *id, json_t *inspect)
{
        json_t *body;

        if (op_stream_new(c, id) == NULL)
                return;
        body = op_exec_prepare(c, id, inspect, ops_bool(c, "tty", 0),
                               c->raw && ops_bool(c, "stdin", 0));
        if (body == NULL)
                return;
        ops_send(c, "POST", body, 0, exec_created, "/containers/%s/exec", id);
        json_decref(body);
}

void op_container_exec(struct call *c)
{
        /* JSON carriage has no way to carry stdin. */
        if (!c->raw && ops_bool(c, "stdin", 0)) {
                call_fail(c, DG_INVALID_INPUT, "input.stdin: needs raw carriage");
                return;
        }
        if (!op_exec_input_ok(c))
                return;
        resolve_container(c, ops_str(c, "containerId"), exec_resolved);
}
