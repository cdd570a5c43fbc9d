/*
 * op_container.c - docker/container operations.
 *
 * SECURITY (invariants 3, 4, 5): every operation on an existing container
 * resolves containerId to a full ID owned by the peer first (resolve.c) and
 * then names only that full ID to the engine.  create's body is built field
 * by field by create_body.c (confinement, limits, owner label); this file
 * resolves what it names (volumes, a network) and sends it.
 * Names are the peer's own (names.h); inspect answers are redacted
 * (redact.h); creates and starts are checked against the peer's quotas,
 * read from the engine (quota.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create_body.h"
#include "create_ports.h"
#include "exectab.h"
#include "lease.h"
#include "filters.h"
#include "names.h"
#include "imageown.h"
#include "imageref.h"
#include "ops_impl.h"
#include "profile.h"
#include "pool.h"
#include "redact.h"
#include "supervisor.h"

#define CONTAINER_WAIT_TIMEOUT_MS (3600L * 1000) /* a wait holds one engine connection */
#define CONTAINER_STOP_GRACE_MS 30000L           /* beyond the stop timeout itself */
#define CONTAINER_STOP_DEFAULT_S 10

/* --- create: the body is built by create_body.c; here, what needs the engine --- */

static struct create_plan *create_plan_of(struct call *c)
{
        struct ops_state *st = c->state;

        return st != NULL ? st->own : NULL;
}

static void create_plan_free(void *p)
{
        create_body_clear(p);
        free(p);
}

static void create_reply(struct call *c, const json_t *warnings)
{
        struct create_plan *plan = create_plan_of(c);
        struct ops_state *st = c->state;

        call_reply(c, json_pack("{s:s,s:s,s:o,s:o}", "containerId", st->id, "name", plan->name,
                                "warnings", ops_strings(warnings), "ports",
                                create_ports_json(plan)));
}

/* The runtime the create asked for (HostConfig.Runtime), or NULL. */
static const char *create_runtime(struct call *c)
{
        return json_string_value(
            json_object_get(json_object_get(create_plan_of(c)->body, "HostConfig"), "Runtime"));
}

static void create_refused_removed(int status, json_t *body, const char *raw, size_t rawlen,
                                   void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        call_fail(c, DG_INVALID_INPUT,
                  "runtime %s: not supported on %s, whose Docker API runs every container "
                  "under its own default runtime",
                  create_runtime(c), profile_display_name(engine_profile(c->engine)));
}

/* The engine's own inspect: the container runs under the runtime asked, or it goes. */
static void create_runtime_seen(int status, json_t *body, const char *raw, size_t rawlen,
                                void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        const char *got = json_string_value(json_object_get(body, "OCIRuntime"));

        c->pending = NULL;
        if (status == 200 && got != NULL && strcmp(got, create_runtime(c)) == 0) {
                create_reply(c, json_object_get(st->keep, "Warnings"));
                return;
        }
        ops_send(c, "DELETE", NULL, 0, create_refused_removed, "/containers/%s?force=1&v=1",
                 st->id);
}

static void create_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct create_plan *plan = create_plan_of(c);
        const struct engine_profile *p = engine_profile(c->engine);
        struct ops_state *st = c->state;
        const char *id;

        c->pending = NULL;
        if (status == 409) {
                /* Names are per peer (names.h): the holder can only be the caller's own. */
                call_fail(c, DG_CONFLICT, "container name already in use: %s", plan->name);
                return;
        }
        if (status == 404) {
                call_fail(c, DG_NOT_FOUND, "no such image: %s", ops_str(c, "image"));
                return;
        }
        id = json_string_value(json_object_get(body, "Id"));
        if (status != 201 || id == NULL || strlen(id) >= sizeof(st->id)) {
                ops_fail_engine(c, status, body);
                return;
        }
        snprintf(st->id, sizeof(st->id), "%s", id);
        /* An engine that may ignore the runtime asked for: its own inspect tells (profile.h).
         */
        if (p->runtime_inspect != NULL && create_runtime(c) != NULL) {
                json_decref(st->keep);
                st->keep = json_incref(body);
                ops_send(c, "GET", NULL, 0, create_runtime_seen, "%s%s/json",
                         p->runtime_inspect, id);
                return;
        }
        create_reply(c, json_object_get(body, "Warnings"));
}

static void create_send(struct call *c)
{
        struct create_plan *plan = create_plan_of(c);
        char name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];

        /* The checked shape of names needs no escaping: [A-Za-z0-9_.-] only. */
        if (names_engine(c, plan->name, name, sizeof(name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        ops_send(c, "POST", plan->body, 0, create_done, "/containers/create?name=%s", name);
}

static void create_continue(struct call *c);

/* A network other than the default is one of the peer's own, named by its full ID. */
static void create_on_network(struct call *c, const char *id, json_t *inspect)
{
        struct create_error err;

        if (create_body_network(create_plan_of(c), id,
                                json_string_value(json_object_get(inspect, "Driver")),
                                &err) < 0) {
                call_fail(c, err.code, "%s", err.text);
                return;
        }
        create_plan_of(c)->network[0] = '\0';
        create_continue(c);
}

/* One of the peer's own volumes, mounted by its (resolved) name, never a host path. */
static void create_on_volume(struct call *c, const char *name, json_t *inspect)
{
        struct ops_state *st = c->state;

        create_body_mount(create_plan_of(c), (size_t)st->num, name);
        st->num++;
        create_continue(c);
}

/* The steps of a create: each volume, then the network, then the create itself. */
static void create_continue(struct call *c)
{
        struct ops_state *st = c->state;
        struct create_plan *plan = create_plan_of(c);

        if ((size_t)st->num < plan->nvolumes) {
                resolve_volume(c, plan->volumes[st->num].ref, create_on_volume);
                return;
        }
        if (plan->network[0] != '\0') {
                resolve_network(c, plan->network, create_on_network);
                return;
        }
        create_ports_run(c, create_send);
}

static void create_quota_ok(struct call *c)
{
        struct ops_state *st = c->state;

        st->num = 0; /* from here on: the volume being resolved */
        create_continue(c);
}

static void create_begin(struct call *c)
{
        char engine_name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
        struct create_error err;
        struct create_plan *plan;
        struct ops_state *st;

        if ((st = ops_state(c)) == NULL)
                return;
        if ((plan = calloc(1, sizeof(*plan))) == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        st->own = plan;
        st->own_free = create_plan_free;
        if (engine_profile(c->engine)->domainname_ignored &&
            json_string_length(json_object_get(c->input, "domainname")) > 0) {
                call_fail(c, DG_INVALID_INPUT, "input.domainname: not supported on %s",
                          profile_display_name(engine_profile(c->engine)));
                return;
        }
        if (create_body_build(c->input, c->peer, c->policy->owner_label, plan, &err) < 0) {
                call_fail(c, err.code, "%s", err.text);
                return;
        }
        /* Logs must lose nothing: the engine's driver that keeps bytes (profile.h). */
        create_body_log_driver(plan, engine_profile(c->engine)->log_driver);
        /* The lease labels name the stream that carries c: not the builder's business. */
        if (lease_stamp(c, json_object_get(plan->body, "Labels")) < 0)
                return;
        if (plan->name[0] == '\0' &&
            names_random(plan->name, sizeof(plan->name), "ctr-", 12) < 0) {
                call_fail(c, DG_INTERNAL, "no randomness for a name");
                return;
        }
        if (names_engine(c, plan->name, engine_name, sizeof(engine_name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        quota_check_create(c, engine_name, plan->memory_bytes, plan->nano_cpus,
                           create_quota_ok);
}

static void create_identified(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status != 200 || profile_from_version(engine_profile(c->engine), body) == -1) {
                call_fail_engine(c, status, body);
                return;
        }
        create_begin(c);
}

/* /_ping's headers name Podman; dockerd is told by its /version (detect.c). */
static void create_pinged(int status, json_t *headers, const char *raw, size_t rawlen,
                          void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status != 200) {
                call_fail_engine(c, status, NULL);
                return;
        }
        if (profile_from_ping(engine_profile(c->engine), headers) == 0)
                create_begin(c);
        else
                ops_send(c, "GET", NULL, 0, create_identified, "/version");
}

/*
 * What a container is created with depends on the engine (its log driver):
 * until the engine was identified (it was down when dockgated started),
 * a create asks it first.
 */
static void create_start(struct call *c);

/* An image named by what may be its ID: not another peer's (imageown.h). */
static void create_image_checked(int status, json_t *body, const char *raw, size_t rawlen,
                                 void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status == 200 && image_doc_foreign(c, body)) {
                call_fail(c, DG_NOT_FOUND, "no such image: %s", ops_str(c, "image"));
                return;
        }
        create_start(c); /* a missing one is the create's own 404 */
}

void op_container_create(struct call *c)
{
        const char *image = ops_str(c, "image");
        char esc[IMAGE_REF_MAX * 3 + 1];

        /* Another peer's image is missing, as for inspect (imageown.h). */
        if (image_ref_foreign(c, image)) {
                call_fail(c, DG_NOT_FOUND, "no such image: %s", image);
                return;
        }
        if (!c->peer->admin && image_ref_may_be_id(image)) {
                if (engine_escape(esc, sizeof(esc), image) == -1) {
                        call_fail(c, DG_INVALID_INPUT, "input.image: too long");
                        return;
                }
                ops_send(c, "GET", NULL, 0, create_image_checked, "/images/%s/json", esc);
                return;
        }
        create_start(c);
}

static void create_start(struct call *c)
{
        if (engine_profile(c->engine)->kind == ENGINE_UNKNOWN) {
                c->pending =
                    engine_request_headers(c->engine, "GET", "/_ping", 0, create_pinged, c);
                if (c->pending == NULL)
                        call_fail(c, DG_INTERNAL, "cannot start an engine request");
        } else
                create_begin(c);
}

/* --- simple actions on one owned container --- */

/* A host port taken since the create: CONFLICT, naming nobody (the engine names endpoints). */
static void start_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        const char *msg = json_string_value(json_object_get(body, "message"));

        if (status >= 400 && msg != NULL &&
            (strstr(msg, "port is already allocated") != NULL ||
             strstr(msg, "address already in use") != NULL)) {
                c->pending = NULL;
                call_fail(c, DG_CONFLICT, "a host port of this container is in use");
                return;
        }
        ops_done_empty(status, body, raw, rawlen, arg);
}

static void start_go(struct call *c)
{
        struct ops_state *st = c->state;

        ops_send(c, "POST", NULL, 0, start_done, "/containers/%s/start", st->id);
}

/*
 * A container that is not live yet adds its memory and CPUs to the peer's
 * live total: checked against the quotas first (quota.h).
 */
static void start_checked(struct call *c, const char *id, json_t *inspect,
                          void (*go)(struct call *c))
{
        struct ops_state *st = c->state;
        json_t *state = json_object_get(inspect, "State");
        json_t *hc = json_object_get(inspect, "HostConfig");
        json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
        json_int_t cpus = json_integer_value(json_object_get(hc, "NanoCpus"));

        snprintf(st->id, sizeof(st->id), "%s", id);
        if (json_is_true(json_object_get(state, "Running"))) {
                go(c);
                return;
        }
        /* Made outside dockgate without limits: it counts at the peer's defaults. */
        quota_check_start(c, id, mem > 0 ? mem : c->peer->defaults.memory_bytes,
                          cpus > 0 ? cpus : c->peer->defaults.nano_cpus, go);
}

static void start_resolved(struct call *c, const char *id, json_t *inspect)
{
        start_checked(c, id, inspect, start_go);
}

void op_container_start(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), start_resolved);
}

static void stop_or_restart(struct call *c, const char *id, const char *verb)
{
        int64_t t = ops_int(c, "timeoutSeconds", -1);
        long budget = (t >= 0 && t < 86400 ? t : CONTAINER_STOP_DEFAULT_S) * 1000L +
                      CONTAINER_STOP_GRACE_MS;

        if (t >= 0)
                ops_send(c, "POST", NULL, budget, ops_done_empty, "/containers/%s/%s?t=%lld",
                         id, verb, (long long)t);
        else
                ops_send(c, "POST", NULL, budget, ops_done_empty, "/containers/%s/%s", id,
                         verb);
}

static void stop_resolved(struct call *c, const char *id, json_t *inspect)
{
        stop_or_restart(c, id, "stop");
}

static void restart_go(struct call *c)
{
        struct ops_state *st = c->state;

        stop_or_restart(c, st->id, "restart");
}

static void restart_resolved(struct call *c, const char *id, json_t *inspect)
{
        start_checked(c, id, inspect, restart_go);
}

void op_container_stop(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), stop_resolved);
}

void op_container_restart(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), restart_resolved);
}

/* "SIGKILL", "KILL", "9", "SIGRTMIN+1": the engine parses it, we bound its shape. */
static int kill_signal_ok(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= 32 &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-") ==
                   n;
}

static void kill_resolved(struct call *c, const char *id, json_t *inspect)
{
        const char *sig = ops_str(c, "signal");
        char esc[100];

        /* "+" would read as a space in a query: escape. */
        if (sig != NULL && engine_escape(esc, sizeof(esc), sig) == 0)
                ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/kill?signal=%s",
                         id, esc);
        else if (sig != NULL)
                call_fail(c, DG_INVALID_INPUT, "input.signal: a signal name or number");
        else
                ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/kill", id);
}

void op_container_kill(struct call *c)
{
        const char *sig = ops_str(c, "signal");

        if (sig != NULL && !kill_signal_ok(sig)) {
                call_fail(c, DG_INVALID_INPUT, "input.signal: a signal name or number");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), kill_resolved);
}

static void pause_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/pause", id);
}

static void unpause_resolved(struct call *c, const char *id, json_t *inspect)
{
        /* The engine answers 500 for this conflict; say it as pause's 409 does. */
        if (!json_is_true(json_object_get(json_object_get(inspect, "State"), "Paused"))) {
                call_fail(c, DG_CONFLICT, "container %s is not paused",
                          ops_str(c, "containerId"));
                return;
        }
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/unpause", id);
}

void op_container_pause(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), pause_resolved);
}

void op_container_unpause(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), unpause_resolved);
}

/* Gone: so are the peer's exec IDs in it (exectab.h). */
static void removed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        if (status >= 200 && status <= 299)
                exectab_drop_container(c->worker->sv->execs, c->resource);
        ops_done_empty(status, body, raw, rawlen, arg);
}

static void remove_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "DELETE", NULL, 0, removed, "/containers/%s?force=%d&v=%d", id,
                 ops_bool(c, "force", 0), ops_bool(c, "removeVolumes", 0));
}

void op_container_remove(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), remove_resolved);
}

static void resize_resolved(struct call *c, const char *id, json_t *inspect)
{
        ops_send(c, "POST", NULL, 0, ops_done_empty, "/containers/%s/resize?h=%lld&w=%lld", id,
                 (long long)ops_int(c, "rows", 0), (long long)ops_int(c, "cols", 0));
}

void op_container_resize(struct call *c)
{
        int64_t rows = ops_int(c, "rows", 0), cols = ops_int(c, "cols", 0);

        if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.rows, input.cols: 1..65535, both required");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), resize_resolved);
}

/* --- queries --- */

static void inspect_resolved(struct call *c, const char *id, json_t *inspect)
{
        /* resolve.c fetched this very document, ownership checked; now the host's paths go. */
        json_t *cfg = json_object_get(inspect, "Config");
        const char *image = json_string_value(json_object_get(cfg, "Image"));

        redact_container(c, inspect);
        /* The image as the peer named it, as dockerd shows it (profile.h). */
        if (image != NULL)
                json_object_set_new(
                    cfg, "Image",
                    json_string(profile_image_name(engine_profile(c->engine), image)));
        call_reply(c, json_incref(inspect));
}

void op_container_inspect(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), inspect_resolved);
}

static void top_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *titles = json_object_get(body, "Titles"),
               *procs = json_object_get(body, "Processes");

        c->pending = NULL;
        if (status != 200 || !json_is_array(titles) || !json_is_array(procs)) {
                call_fail_engine(c, status, body);
                return;
        }
        call_reply(c, json_pack("{s:O,s:O}", "titles", titles, "processes", procs));
}

static void top_resolved(struct call *c, const char *id, json_t *inspect)
{
        const struct engine_profile *p = engine_profile(c->engine);
        const char *ps = p->top_ps_args;

        /* An engine that answers top of a stopped container is not asked (profile.h). */
        if (p->top_not_running_answers &&
            !json_is_true(json_object_get(json_object_get(inspect, "State"), "Running"))) {
                call_fail(c, DG_CONFLICT, "container %.12s is not running", id);
                return;
        }
        if (ps != NULL)
                ops_send(c, "GET", NULL, 0, top_done, "/containers/%s/top?ps_args=%s", id, ps);
        else
                ops_send(c, "GET", NULL, 0, top_done, "/containers/%s/top", id);
}

void op_container_top(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), top_resolved);
}

/* The health the engine's Status text shows: "Up 5 seconds (healthy)". */
static const char *list_health(const char *status)
{
        if (status == NULL)
                return "none";
        if (strstr(status, "(healthy)") != NULL)
                return "healthy";
        if (strstr(status, "(unhealthy)") != NULL)
                return "unhealthy";
        if (strstr(status, "(health: starting)") != NULL)
                return "starting";
        return "none";
}

/* {"7777/tcp": "127.0.0.1:20001"}: what a running container publishes. */
static json_t *list_ports(const json_t *in)
{
        json_t *out = json_object(), *p;
        char k[32], v[96];
        size_t i;

        json_array_foreach(json_object_get(in, "Ports"), i, p)
        {
                json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
                const char *ip = json_string_value(json_object_get(p, "IP"));
                const char *type = json_string_value(json_object_get(p, "Type"));
                if (pub <= 0)
                        continue;
                snprintf(k, sizeof(k), "%lld/%s",
                         (long long)json_integer_value(json_object_get(p, "PrivatePort")),
                         type ? type : "tcp");
                snprintf(v, sizeof(v), "%s:%lld", ip ? ip : "", (long long)pub);
                json_object_set_new(out, k, json_string(v));
        }
        return out;
}

static json_t *list_item(const struct call *c, const json_t *in)
{
        json_t *names = json_array(), *v, *labels = json_object_get(in, "Labels");
        const char *s;
        size_t i;
        int slash;

        json_array_foreach(json_object_get(in, "Names"), i, v)
        {
                /* The peer's own names, as it gave them; never another peer's. */
                if (json_is_string(v) &&
                    (s = names_view(c, json_string_value(v), &slash)) != NULL)
                        json_array_append_new(names, json_string(s));
        }
        return json_pack("{s:s?,s:o,s:s?,s:s?,s:s?,s:I,s:o,s:s,s:o}", "containerId",
                         json_string_value(json_object_get(in, "Id")), "names", names, "image",
                         profile_image_name(engine_profile(c->engine),
                                            json_string_value(json_object_get(in, "Image"))),
                         "state", json_string_value(json_object_get(in, "State")), "status",
                         json_string_value(json_object_get(in, "Status")), "created",
                         json_integer_value(json_object_get(in, "Created")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object(),
                         "health",
                         list_health(json_string_value(json_object_get(in, "Status"))), "ports",
                         list_ports(in));
}

/* The engine's own list element, redacted as inspect is, names as the peer sees them. */
static json_t *list_item_engine(const struct call *c, const json_t *in)
{
        json_t *out = json_deep_copy(in), *names = json_object_get(out, "Names"), *v;
        size_t i = 0;

        if (out == NULL)
                return NULL;
        while (json_is_array(names) && i < json_array_size(names)) {
                v = names_view_json(c, json_string_value(json_array_get(names, i)));
                if (v == NULL) {
                        json_array_remove(names, i);
                        continue;
                }
                json_array_set_new(names, i++, v);
        }
        redact_container(c, out);
        return out;
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        ops_reply_list(c, status, body, NULL, 1,
                       call_engine_view(c) ? list_item_engine : list_item);
}

void op_container_list(struct call *c)
{
        ops_list_owned(c, list_done,
                       ops_bool(c, "all", 0) ? "/containers/json?all=1"
                                             : "/containers/json?all=0");
}

/* --- wait: the engine's wait, then the state it left behind --- */

static void wait_reply(struct call *c, json_t *state)
{
        struct ops_state *st = c->state;
        json_t *out = st->keep;
        json_t *oom = json_object_get(state, "OOMKilled");
        const char *started = json_string_value(json_object_get(state, "StartedAt"));
        const char *finished = json_string_value(json_object_get(state, "FinishedAt"));

        st->keep = NULL;
        json_object_set_new(out, "oomKilled", json_boolean(json_is_true(oom)));
        json_object_set_new(out, "startedAt", started ? json_string(started) : json_null());
        json_object_set_new(out, "finishedAt", finished ? json_string(finished) : json_null());
        call_reply(c, out);
}

static void wait_inspected(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        /* The wait itself succeeded; a container gone since only loses the details. */
        wait_reply(c, status == 200 ? json_object_get(body, "State") : NULL);
}

/* The second engine wait of a "removed" on an engine that loses its code: gone is done. */
static void wait_removed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status != 200 && status != 404) {
                call_fail_engine(c, status, body);
                return;
        }
        wait_reply(c, NULL);
}

static void wait_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        json_t *code = json_object_get(body, "StatusCode");
        const char *err =
            json_string_value(json_object_get(json_object_get(body, "Error"), "Message"));

        c->pending = NULL;
        if (status != 200 || !json_is_integer(code)) {
                call_fail_engine(c, status, body);
                return;
        }
        st->keep = json_pack("{s:I,s:o}", "exitCode", json_integer_value(code), "error",
                             err && err[0] ? json_string(err) : json_null());
        if (st->keep == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (strcmp(ops_str(c, "condition") ? ops_str(c, "condition") : "", "removed") == 0) {
                if (st->num == 1) { /* the exit code is kept: now the removal (profile.h) */
                        st->num = 2;
                        ops_send(c, "POST", NULL, CONTAINER_WAIT_TIMEOUT_MS, wait_removed,
                                 "/containers/%s/wait?condition=removed", st->id);
                        return;
                }
                wait_reply(c, NULL);
                return;
        }
        ops_send(c, "GET", NULL, 0, wait_inspected, "/containers/%s/json", st->id);
}

static void wait_resolved(struct call *c, const char *id, json_t *inspect)
{
        struct ops_state *st = c->state;
        const char *cond = ops_str(c, "condition");

        if (cond != NULL && strcmp(cond, "healthy") == 0) {
                op_health_wait(c, id); /* op_health.c */
                return;
        }
        snprintf(st->id, sizeof(st->id), "%s", id);
        /*
         * An engine whose "removed" answers 0 whatever the exit (profile.h):
         * its exit code first (next-exit for a container not yet started,
         * not-running otherwise), then a wait for the removal.
         */
        if (cond != NULL && strcmp(cond, "removed") == 0 &&
            engine_profile(c->engine)->wait_removed_loses_code) {
                const char *state = json_string_value(
                    json_object_get(json_object_get(inspect, "State"), "Status"));

                st->num = 1;
                cond = state != NULL && strcmp(state, "created") == 0 ? "next-exit"
                                                                      : "not-running";
        }
        ops_send(c, "POST", NULL, CONTAINER_WAIT_TIMEOUT_MS, wait_done,
                 "/containers/%s/wait?condition=%s", id, cond ? cond : "not-running");
}

void op_container_wait(struct call *c)
{
        const char *cond = ops_str(c, "condition");

        if (cond != NULL && strcmp(cond, "not-running") != 0 &&
            strcmp(cond, "next-exit") != 0 && strcmp(cond, "removed") != 0 &&
            strcmp(cond, "healthy") != 0) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.condition: one of not-running, next-exit, removed, healthy");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), wait_resolved);
}

/* --- logs: data plane, the worker reads the engine's answer --- */

/* tail: a count, or "all"; since: a UNIX time, as a number or digits. */
static int logs_arg(struct call *c, const char *key, int allow_all, char *buf, size_t len)
{
        json_t *v = json_object_get(c->input, key);
        const char *s;

        buf[0] = '\0';
        if (v == NULL || json_is_null(v))
                return 0;
        if (json_is_integer(v) && json_integer_value(v) >= 0)
                return engine_path(buf, len, "%lld", (long long)json_integer_value(v));
        s = json_string_value(v);
        if (s != NULL && allow_all && strcmp(s, "all") == 0)
                return engine_path(buf, len, "all");
        if (s != NULL && s[0] != '\0' && strlen(s) < 32 &&
            strspn(s, "0123456789.") == strlen(s))
                return engine_path(buf, len, "%s", s);
        return -1;
}

static void logs_resolved(struct call *c, const char *id, json_t *inspect)
{
        char path[512], tail[40], since[40];
        int tty = json_is_true(json_object_get(json_object_get(inspect, "Config"), "Tty"));
        int ts = ops_bool(c, "timestamps", 0), follow = ops_bool(c, "follow", 0);

        /*
         * A follow of a container that is not running gives what there is and
         * ends; an engine that loses lines doing so is asked without follow,
         * which is the same answer (profile.h).
         */
        if (follow && engine_profile(c->engine)->logs_follow_exited_loses &&
            !json_is_true(json_object_get(json_object_get(inspect, "State"), "Running")))
                follow = 0;
        logs_arg(c, "tail", 1, tail, sizeof(tail));
        logs_arg(c, "since", 0, since, sizeof(since));
        if (engine_path(
                path, sizeof(path),
                "/containers/%s/logs?follow=%d&stdout=%d&stderr=%d&timestamps=%d&tail=%s%s%s",
                id, follow, ops_bool(c, "stdout", 1), ops_bool(c, "stderr", 1), ts,
                tail[0] ? tail : "all", since[0] ? "&since=" : "", since) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_stream(c, "GET", path, NULL, "logs",
                   json_pack("{s:b,s:b}", "tty", tty, "timestamps", ts));
}

void op_container_logs(struct call *c)
{
        char buf[40];

        if (!ops_bool(c, "stdout", 1) && !ops_bool(c, "stderr", 1)) {
                call_fail(c, DG_INVALID_INPUT, "input.stdout, input.stderr: at least one");
                return;
        }
        if (logs_arg(c, "tail", 1, buf, sizeof(buf)) == -1) {
                call_fail(c, DG_INVALID_INPUT, "input.tail: a count or \"all\"");
                return;
        }
        if (logs_arg(c, "since", 0, buf, sizeof(buf)) == -1) {
                call_fail(c, DG_INVALID_INPUT, "input.since: a UNIX timestamp");
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), logs_resolved);
}

/*
 * --- prune: the peer's own containers that are not running (created,
 * exited, dead), its label filters ANDed with the owner's.  Each is removed
 * without force, one at a time: one that started meanwhile is refused by
 * the engine (409) and kept.  Output {"deleted": [full IDs]}.
 */
static void prune_removed(struct call *c, json_t *item, const json_t *body, json_t *out)
{
        json_array_append(json_object_get(out, "deleted"), json_object_get(item, "ref"));
        ops_reclaimed(out, json_object_get(item, "size"));
}

static void prune_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *todo, *out, *v;
        const char *id, *state;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        todo = json_array();
        out = json_pack("{s:[],s:i}", "deleted", "spaceReclaimed", 0);
        json_array_foreach(body, i, v)
        {
                id = json_string_value(json_object_get(v, "Id"));
                state = json_string_value(json_object_get(v, "State"));
                /* SECURITY: the engine filtered by the owner label; check again. IDs are hex.
                 */
                if (id == NULL || state == NULL || !dg_engine_id_ok(id) ||
                    !resolve_owns(c, json_object_get(v, "Labels")) || !filters_keep(c, v))
                        continue;
                if (strcmp(state, "created") == 0 || strcmp(state, "exited") == 0 ||
                    strcmp(state, "dead") == 0)
                        json_array_append_new(todo, json_pack("{s:s,s:O?}", "ref", id, "size",
                                                              json_object_get(v, "SizeRw")));
        }
        if (todo == NULL || out == NULL)
                call_fail(c, DG_INTERNAL, "out of memory");
        else
                ops_remove_each(c, todo, out, "/containers/", "?force=0&v=0", prune_removed);
        json_decref(todo);
        json_decref(out);
}

void op_container_prune(struct call *c)
{
        /* size=1: each one's writable layer, what the removal frees (SpaceReclaimed). */
        ops_list_owned(c, prune_listed, "/containers/json?all=1&size=1");
}

/*
 * --- rename: the new name in the peer's namespace (names.h), as a create
 * names it; a name in use can only be one of the peer's own containers'.
 */
static void rename_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        if (status == 409) {
                c->pending = NULL;
                call_fail(c, DG_CONFLICT,
                          "the container name %s is already in use by one of your containers",
                          ops_str(c, "name"));
                return;
        }
        ops_done_empty(status, body, raw, rawlen, arg);
}

static void rename_resolved(struct call *c, const char *id, json_t *inspect)
{
        char name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];

        /* The checked shape of names needs no escaping: [A-Za-z0-9_.-] only. */
        if (names_engine(c, ops_str(c, "name"), name, sizeof(name)) < 0) {
                call_fail(c, DG_INVALID_INPUT, "input.name: too long");
                return;
        }
        ops_send(c, "POST", NULL, 0, rename_done, "/containers/%s/rename?name=%s", id, name);
}

void op_container_rename(struct call *c)
{
        if (!ops_name_ok(ops_str(c, "name"))) {
                call_fail(
                    c, DG_INVALID_INPUT,
                    "input.name: 1 to %d of [A-Za-z0-9_.-], starting with a letter or digit",
                    OPS_NAME_MAX);
                return;
        }
        resolve_container(c, ops_str(c, "containerId"), rename_resolved);
}
