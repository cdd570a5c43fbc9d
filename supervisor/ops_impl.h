/*
 * ops_impl.h - what the operation families (op_*.c) share: their handlers,
 * listed in ops.c's op_table[], and small helpers for reading the checked
 * input and talking to the engine.
 *
 * Every handler answers its call exactly once.  Every engine request it
 * starts lives in c->pending, and each engine callback clears c->pending
 * first.  c->state belongs to this layer only: it is a struct ops_state,
 * made on first use by ops_state() and freed with the call.
 */
#ifndef DG_OPS_IMPL_H
#define DG_OPS_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "broker.h"
#include "quota.h"
#include "resolve.h"

struct sv;

#define OPS_REF_MAX 256  /* a peer's reference to a container, network or volume */
#define OPS_NAME_MAX 128 /* a name the peer gives a new resource */

/*
 * What a kept stream's handler (exec, attach) keeps until the stream ends
 * (op_exec.c): the engine IDs, and the TTY resize in flight; at most one
 * is, a newer size waits for it and replaces any older waiting one.
 */
struct op_stream {
        struct call *c;
        char cid[65]; /* the container */
        char eid[65]; /* the exec instance; "" for attach */
        struct engine_req *resize;
        uint32_t want_rows, want_cols; /* a size waiting for the one in flight; 0: none */
        struct event *retry;           /* exec: polling until the exit code is recorded */
        int tries;
};

/* What a multi-step handler keeps between engine callbacks. */
struct ops_state {
        /* resolve.c's own */
        resolve_cb next;
        const void *kind;
        char ref[OPS_REF_MAX + 1];
        int rstep; /* which reading of ref is being tried */
        /* the handler's */
        char id[65]; /* a resolved ID kept for a later step */
        char name[OPS_NAME_MAX + 1];
        json_t *keep; /* a document kept for a later step (owned) */
        int64_t num;
        struct quota_hold *hold;  /* quota.c's, released with the state */
        struct op_stream *stream; /* exec and attach (op_exec.c); freed with the state */
};

/* c's state, made on first use; NULL (and the call answered INTERNAL) when out of memory. */
struct ops_state *ops_state(struct call *c);

/* Input accessors: the broker already checked types against the schema. */
const char *ops_str(const struct call *c, const char *key); /* NULL when absent */
int ops_bool(const struct call *c, const char *key, int def);
int64_t ops_int(const struct call *c, const char *key, int64_t def);
int ops_has(const struct call *c, const char *key);

/*
 * 1 when s is [A-Za-z0-9][A-Za-z0-9_.-]* of at most max bytes: the first
 * character rules out "." and "..", which would change an engine path's meaning.
 */
int ops_word_ok(const char *s, size_t max);
/* 1 when s is a name for a new resource: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
int ops_name_ok(const char *s);

/*
 * Starts an engine request on the path made from fmt, kept in c->pending,
 * with c as the callback's argument.  Returns 0, or -1 after answering the
 * call (INTERNAL) when the request could not be started.
 */
int ops_send(struct call *c, const char *method, json_t *body, long timeout_ms, engine_cb cb,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* An engine callback answering {} on 2xx and 304, else the engine's error. */
void ops_done_empty(int status, json_t *body, const char *raw, size_t rawlen, void *arg);
/* call_fail_engine(), but the engine's 400 (a bad value) is INVALID_INPUT. */
void ops_fail_engine(struct call *c, int status, json_t *body);
/* Shapes one element of an engine list for the peer; NULL leaves it out. */
typedef json_t *(*ops_item_fn)(const struct call *c, const json_t *in);
/*
 * Answers a list from an engine callback: the engine's array (body itself,
 * or body[key] when key is not NULL; a null there is an empty list), each
 * element shaped by item and, when owned is set, kept only if the caller
 * owns it (the engine filtered by label already; checked again, it costs
 * nothing).
 */
void ops_reply_list(struct call *c, int status, json_t *body, const char *key, int owned,
                    ops_item_fn item);
/*
 * Dials the engine for a data-plane request (engine_dial()) and hands the
 * connection to the worker as kind (call_stream(), opts stolen); answers
 * the call either way.
 */
void ops_stream(struct call *c, const char *method, const char *path, const char *headers,
                const char *kind, json_t *opts);
/* Writes "filters=<escaped {"label":["owner=peer"]}>"; -1 if too long. */
int ops_peer_filter(const struct call *c, char *buf, size_t len);
/* The same, but "" for admins, who see everything. */
int ops_owner_filter(const struct call *c, char *buf, size_t len);
/* GET path (which may hold a query already) with ops_owner_filter()'s filter. */
void ops_list_owned(struct call *c, engine_cb cb, const char *path);
/*
 * The labels of a new resource: the peer's (input "labels"; none may be
 * under the reserved owner label, FORBIDDEN) and the owner label.  A new
 * object, or NULL after answering the call.
 */
json_t *ops_labels(struct call *c);
/* 1 unless input "env" holds an entry that is not a "NAME=VALUE" string. */
int ops_env_ok(const struct call *c);
/* A new array of the string elements of a (may be NULL). */
json_t *ops_strings(const json_t *a);

/* gateway/whoami (op_gateway.c) */
void op_gateway_whoami(struct call *c);
/* gateway/usage (op_usage.c); the streams now served for peer */
void op_usage(struct call *c);
int op_usage_streams(const struct sv *sv, const char *peer);
/* docker/system */
void op_ping(struct call *c);
void op_version(struct call *c);
void op_system_info(struct call *c); /* op_info.c */
void op_system_events(struct call *c); /* op_watch.c */
/* docker/container */
void op_container_create(struct call *c);
void op_container_start(struct call *c);
void op_container_stop(struct call *c);
void op_container_restart(struct call *c);
void op_container_kill(struct call *c);
void op_container_pause(struct call *c);
void op_container_unpause(struct call *c);
void op_container_remove(struct call *c);
void op_container_list(struct call *c);
void op_container_inspect(struct call *c);
void op_container_wait(struct call *c);
void op_container_logs(struct call *c);
void op_container_top(struct call *c);
void op_container_resize(struct call *c);
void op_container_stats(struct call *c); /* op_watch.c */
/* docker/container exec, attach, archive (op_exec.c, op_attach.c, op_archive.c) */
void op_container_exec(struct call *c);
void op_container_attach(struct call *c);
void op_container_archive_get(struct call *c);
void op_container_archive_put(struct call *c);
/* A kept stream's state, made in c's ops_state; NULL after answering INTERNAL. */
struct op_stream *op_stream_new(struct call *c, const char *cid);
void op_stream_free(struct op_stream *os);
/* MSG_RESIZE of a kept exec or attach: POST .../resize, one at a time. */
void op_stream_resize(struct call *c, uint32_t rows, uint32_t cols);
/* The detach keys every TTY exec and attach gets (see op_exec.c). */
extern const char op_detach_keys[];
/* docker/image */
void op_image_list(struct call *c);
void op_image_inspect(struct call *c);
void op_image_remove(struct call *c);
void op_image_pull(struct call *c);
/* docker/network */
void op_network_create(struct call *c);
void op_network_list(struct call *c);
void op_network_inspect(struct call *c);
void op_network_remove(struct call *c);
void op_network_connect(struct call *c);
void op_network_disconnect(struct call *c);
/* docker/volume */
void op_volume_create(struct call *c);
void op_volume_list(struct call *c);
void op_volume_inspect(struct call *c);
void op_volume_remove(struct call *c);

#endif
