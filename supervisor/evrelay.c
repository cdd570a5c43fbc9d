/*
 * evrelay.c - a non-admin peer's engine events, filtered here (evrelay.h).
 *
 * SECURITY (invariant 3): the decision is made here, on the engine's own
 * bytes, never by the worker.  It fails closed: an event whose owner cannot
 * be told (a lookup that fails, an actor destroyed before it was known) is
 * dropped; an engine line that is not a JSON object, or longer than
 * EVRELAY_LINE_MAX, ends the stream.
 *
 * Flow: engine fd -> http_parser (response, chunked decoding) -> lines ->
 * a queue of events -> decided in order (a lookup holds the queue) -> the
 * admitted lines, re-chunked, to the worker's socketpair.  Back-pressure:
 * the engine is not read while more than EVRELAY_OUT_HIGH bytes wait for
 * the worker or EVRELAY_QUEUE_HIGH events wait for a decision.  The relay
 * ends when the worker closes its end (the peer left), when the engine's
 * answer ends (until), or when either side breaks.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <http_parser.h>
#include <jansson.h>

#include "engine.h"
#include "evrelay.h"
#include "log.h"
#include "profile.h"

#define EVRELAY_LINE_MAX (1u << 20)
#define EVRELAY_OUT_HIGH (1u << 20)
#define EVRELAY_QUEUE_HIGH 256
#define EVRELAY_SET_MAX 4096 /* actors kept per set; the foreign set is emptied when full */
#define EVRELAY_ERR_MAX (64u << 10)
#define EVRELAY_LOOKUP_MS 10000L
#define EVRELAY_READ 65536

struct evline {
        TAILQ_ENTRY(evline) entry;
        json_t *ev;
        char *text; /* the engine's line, without its '\n' */
        size_t len;
};

struct evrelay {
        LIST_ENTRY(evrelay) entry;
        struct evrelays *set;
        int efd, wfd;
        struct event *erd, *wrd, *wwr;
        int ereading, wwriting;
        http_parser parser;
        http_parser_settings settings;
        int status;     /* the engine's, once its head was read */
        int engine_end; /* its message is complete */
        int broken;     /* stop: free after the current step */
        int closing;    /* everything is queued: close once written */
        struct evbuffer *line, *out, *err;
        TAILQ_HEAD(, evline) queue;
        int queued;
        struct engine_req *lookup; /* for the queue's head */
        struct engine_req *lists[2];
        int listing;       /* initial lists not yet answered */
        json_t *owned;     /* "n:ID" / "v:NAME" -> true */
        json_t *foreign;   /* actors looked up and not the peer's */
        char peer[128];    /* the peer's name */
        char label[128];   /* the owner label */
        char lookkey[300]; /* the key being looked up */
        int all;           /* an admin's: every event */
        long long until;   /* events after it are dropped; -1: none */
};

struct evrelays {
        struct event_base *base;
        struct engine *engine;
        LIST_HEAD(, evrelay) all;
        int n;
};

static void evrelay_step(struct evrelay *r);

struct evrelays *evrelays_new(struct event_base *base, struct engine *e)
{
        struct evrelays *set = calloc(1, sizeof(*set));

        if (set == NULL)
                return NULL;
        set->base = base;
        set->engine = e;
        LIST_INIT(&set->all);
        return set;
}

int evrelays_count(const struct evrelays *set)
{
        return set != NULL ? set->n : 0;
}

static void evrelay_free(struct evrelay *r)
{
        struct evline *l;
        int i;

        LIST_REMOVE(r, entry);
        r->set->n--;
        if (r->lookup != NULL)
                engine_cancel(r->lookup);
        for (i = 0; i < 2; i++)
                if (r->lists[i] != NULL)
                        engine_cancel(r->lists[i]);
        while ((l = TAILQ_FIRST(&r->queue)) != NULL) {
                TAILQ_REMOVE(&r->queue, l, entry);
                json_decref(l->ev);
                free(l->text);
                free(l);
        }
        if (r->erd != NULL)
                event_free(r->erd);
        if (r->wrd != NULL)
                event_free(r->wrd);
        if (r->wwr != NULL)
                event_free(r->wwr);
        close(r->efd);
        close(r->wfd);
        evbuffer_free(r->line);
        evbuffer_free(r->out);
        evbuffer_free(r->err);
        json_decref(r->owned);
        json_decref(r->foreign);
        free(r);
}

void evrelays_free(struct evrelays *set)
{
        if (set == NULL)
                return;
        while (!LIST_EMPTY(&set->all))
                evrelay_free(LIST_FIRST(&set->all));
        free(set);
}

/* --- the worker's side --- */

static void evrelay_out(struct evrelay *r, const char *buf, size_t len)
{
        if (evbuffer_add(r->out, buf, len) == -1)
                fatalx("out of memory");
}

static void evrelay_chunk(struct evrelay *r, const char *text, size_t len)
{
        char head[32];
        int n = snprintf(head, sizeof(head), "%zx\r\n", len + 1);

        evrelay_out(r, head, (size_t)n);
        evrelay_out(r, text, len);
        evrelay_out(r, "\n\r\n", 3);
}

static void evrelay_flush(struct evrelay *r)
{
        size_t n;
        ssize_t w;

        while ((n = evbuffer_get_length(r->out)) > 0) {
                if (n > EVRELAY_READ)
                        n = EVRELAY_READ;
                w = send(r->wfd, evbuffer_pullup(r->out, (ssize_t)n), n, MSG_NOSIGNAL);
                if (w < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                if (w <= 0) {
                        r->broken = 1; /* the worker is gone */
                        return;
                }
                evbuffer_drain(r->out, (size_t)w);
        }
}

/* --- deciding --- */

static const char *evrelay_str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static int evrelay_key(const json_t *ev, char *key, size_t len)
{
        const char *type = evrelay_str(ev, "Type"), *id;

        id = evrelay_str(json_object_get(ev, "Actor"), "ID");
        if (type == NULL || id == NULL || id[0] == '\0')
                return -1;
        if (strcmp(type, "network") == 0)
                return snprintf(key, len, "n:%s", id) < (int)len ? 0 : -1;
        if (strcmp(type, "volume") == 0)
                return snprintf(key, len, "v:%s", id) < (int)len ? 0 : -1;
        return -1;
}

static void evrelay_remember(json_t *set, const char *key)
{
        if (json_object_size(set) >= EVRELAY_SET_MAX)
                json_object_clear(set);
        json_object_set_new(set, key, json_true());
}

static int evrelay_labels_mine(const struct evrelay *r, const json_t *labels)
{
        const char *owner = evrelay_str(labels, r->label);

        return owner != NULL && strcmp(owner, r->peer) == 0;
}

enum evrelay_verdict { EV_EMIT, EV_DROP, EV_LOOKUP };

static enum evrelay_verdict evrelay_decide(struct evrelay *r, const json_t *ev)
{
        const char *type = evrelay_str(ev, "Type"), *action = evrelay_str(ev, "Action");
        const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
        int destroy = action != NULL && strcmp(action, "destroy") == 0;
        char key[300];

        /* past the window: the engine was not told its end (evrelay.h) */
        if (r->until >= 0 && json_integer_value(json_object_get(ev, "time")) > r->until)
                return EV_DROP;
        if (r->all)
                return EV_EMIT;
        if (type != NULL && strcmp(type, "container") == 0)
                return evrelay_labels_mine(r, attrs) ? EV_EMIT : EV_DROP;
        if (evrelay_key(ev, key, sizeof(key)) == -1)
                return EV_DROP;
        if (json_object_get(r->owned, key) != NULL) {
                if (destroy)
                        json_object_del(r->owned, key);
                return EV_EMIT;
        }
        if (json_object_get(r->foreign, key) != NULL) {
                /* A volume's name may come back under another owner. */
                if (destroy)
                        json_object_del(r->foreign, key);
                return EV_DROP;
        }
        /* Gone before it was known: whose it was cannot be told. */
        if (destroy)
                return EV_DROP;
        snprintf(r->lookkey, sizeof(r->lookkey), "%s", key);
        return EV_LOOKUP;
}

/*
 * A container's removal under the engine's own name (Podman's "remove") as
 * dockerd names it, "destroy" (profile.h): the line written anew.
 */
static void evrelay_rename(struct evrelay *r, struct evline *l)
{
        const char *engine_name = engine_profile(r->set->engine)->container_destroy_action;
        const char *type = evrelay_str(l->ev, "Type"), *action = evrelay_str(l->ev, "Action");
        char *text;

        if (engine_name == NULL || type == NULL || strcmp(type, "container") != 0 ||
            action == NULL || strcmp(action, engine_name) != 0)
                return;
        json_object_set_new(l->ev, "Action", json_string("destroy"));
        if (json_object_get(l->ev, "status") != NULL)
                json_object_set_new(l->ev, "status", json_string("destroy"));
        if ((text = json_dumps(l->ev, JSON_COMPACT)) == NULL)
                fatalx("out of memory");
        free(l->text);
        l->text = text;
        l->len = strlen(text);
}

static void evrelay_pop(struct evrelay *r, int emit)
{
        struct evline *l = TAILQ_FIRST(&r->queue);

        TAILQ_REMOVE(&r->queue, l, entry);
        r->queued--;
        if (emit)
                evrelay_rename(r, l);
        if (emit)
                evrelay_chunk(r, l->text, l->len);
        json_decref(l->ev);
        free(l->text);
        free(l);
}

static void evrelay_looked_up(int status, json_t *body, const char *raw, size_t rawlen,
                              void *arg)
{
        struct evrelay *r = arg;
        int mine;

        r->lookup = NULL;
        mine = status == 200 && evrelay_labels_mine(r, json_object_get(body, "Labels"));
        if (mine)
                evrelay_remember(r->owned, r->lookkey);
        else if (status == 200)
                evrelay_remember(r->foreign, r->lookkey);
        evrelay_pop(r, mine);
        evrelay_step(r);
}

static int evrelay_lookup_start(struct evrelay *r)
{
        char esc[400], path[500];
        const char *id = r->lookkey + 2;

        if (engine_escape(esc, sizeof(esc), id) == -1 ||
            engine_path(path, sizeof(path), "/%s/%s",
                        r->lookkey[0] == 'n' ? "networks" : "volumes", esc) == -1)
                return -1;
        r->lookup = engine_request(r->set->engine, "GET", path, NULL, EVRELAY_LOOKUP_MS,
                                   evrelay_looked_up, r);
        return r->lookup != NULL ? 0 : -1;
}

/* Decides the queue in order, up to a lookup. */
static void evrelay_decide_queue(struct evrelay *r)
{
        struct evline *l;

        while (r->listing == 0 && r->lookup == NULL && (l = TAILQ_FIRST(&r->queue)) != NULL) {
                switch (evrelay_decide(r, l->ev)) {
                case EV_EMIT:
                        evrelay_pop(r, 1);
                        break;
                case EV_DROP:
                        evrelay_pop(r, 0);
                        break;
                case EV_LOOKUP:
                        if (evrelay_lookup_start(r) == -1)
                                evrelay_pop(r, 0);
                        break;
                }
        }
}

/* --- the engine's side --- */

static int evrelay_line(struct evrelay *r, char *text, size_t len)
{
        struct evline *l;
        json_t *ev = json_loadb(text, len, 0, NULL);

        if (!json_is_object(ev)) {
                json_decref(ev);
                free(text);
                return -1;
        }
        if ((l = calloc(1, sizeof(*l))) == NULL)
                fatal("calloc");
        l->ev = ev;
        l->text = text;
        l->len = len;
        TAILQ_INSERT_TAIL(&r->queue, l, entry);
        r->queued++;
        return 0;
}

static int evrelay_on_headers(http_parser *p)
{
        struct evrelay *r = p->data;
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n";

        r->status = (int)p->status_code;
        if (r->status == 200)
                evrelay_out(r, head, sizeof(head) - 1);
        return 0;
}

static int evrelay_on_body(http_parser *p, const char *buf, size_t len)
{
        struct evrelay *r = p->data;
        struct evbuffer_ptr at;
        size_t n;
        char *text;

        if (r->status != 200) {
                if (evbuffer_get_length(r->err) + len <= EVRELAY_ERR_MAX)
                        evbuffer_add(r->err, buf, len);
                return 0;
        }
        if (evbuffer_add(r->line, buf, len) == -1)
                fatalx("out of memory");
        for (;;) {
                at = evbuffer_search(r->line, "\n", 1, NULL);
                if (at.pos < 0)
                        break;
                n = (size_t)at.pos;
                if ((text = malloc(n + 1)) == NULL)
                        fatal("malloc");
                evbuffer_remove(r->line, text, n + 1);
                text[n] = '\0';
                if (n == 0) {
                        free(text);
                        continue;
                }
                if (evrelay_line(r, text, n) == -1) {
                        log_warnx("events for %s: an engine line that is not a JSON object",
                                  r->peer);
                        return -1;
                }
        }
        if (evbuffer_get_length(r->line) > EVRELAY_LINE_MAX) {
                log_warnx("events for %s: an engine line over %u bytes", r->peer,
                          EVRELAY_LINE_MAX);
                return -1;
        }
        return 0;
}

static int evrelay_on_complete(http_parser *p)
{
        struct evrelay *r = p->data;

        r->engine_end = 1;
        return 0;
}

/* The engine's refusal, passed on with its status and body. */
static void evrelay_refusal(struct evrelay *r)
{
        char head[160];
        size_t n = evbuffer_get_length(r->err);
        int len = snprintf(head, sizeof(head),
                           "HTTP/1.1 %d Error\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\n\r\n",
                           r->status, n);

        evrelay_out(r, head, (size_t)len);
        if (evbuffer_add_buffer(r->out, r->err) == -1)
                fatalx("out of memory");
}

static void evrelay_engine_read(evutil_socket_t fd, short what, void *arg)
{
        struct evrelay *r = arg;
        char buf[EVRELAY_READ];
        ssize_t n = read(fd, buf, sizeof(buf));
        size_t done;

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0) {
                r->broken = 1;
        } else {
                done = http_parser_execute(&r->parser, &r->settings, buf, (size_t)n);
                /* a parse error, or the engine went away mid-answer */
                if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK || done != (size_t)n ||
                    (n == 0 && !r->engine_end))
                        r->broken = 1;
        }
        evrelay_step(r);
}

/* --- the relay's progress --- */

static void evrelay_worker_read(evutil_socket_t fd, short what, void *arg)
{
        struct evrelay *r = arg;
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof(buf), 0);

        /* The worker never writes here: EOF (or anything) means it is done. */
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        r->broken = 1;
        evrelay_step(r);
}

static void evrelay_worker_write(evutil_socket_t fd, short what, void *arg)
{
        evrelay_step(arg);
}

static void evrelay_step(struct evrelay *r)
{
        int want_read, want_write;

        if (!r->broken) {
                evrelay_decide_queue(r);
                if (r->engine_end && !r->closing && r->listing == 0 && r->lookup == NULL &&
                    TAILQ_EMPTY(&r->queue)) {
                        if (r->status == 200)
                                evrelay_out(r, "0\r\n\r\n", 5);
                        else
                                evrelay_refusal(r);
                        r->closing = 1;
                }
                evrelay_flush(r);
        }
        if (r->broken || (r->closing && evbuffer_get_length(r->out) == 0)) {
                evrelay_free(r);
                return;
        }
        want_read = !r->engine_end && evbuffer_get_length(r->out) <= EVRELAY_OUT_HIGH &&
                    r->queued <= EVRELAY_QUEUE_HIGH;
        if (want_read != r->ereading) {
                if (want_read)
                        event_add(r->erd, NULL);
                else
                        event_del(r->erd);
                r->ereading = want_read;
        }
        want_write = evbuffer_get_length(r->out) > 0;
        if (want_write != r->wwriting) {
                if (want_write)
                        event_add(r->wwr, NULL);
                else
                        event_del(r->wwr);
                r->wwriting = want_write;
        }
}

/* --- the initial owned set --- */

static void evrelay_listed(struct evrelay *r, int i, int status, json_t *body)
{
        const json_t *items = i == 0 ? body : json_object_get(body, "Volumes"), *v;
        const char *id;
        char key[300];
        size_t k;

        r->lists[i] = NULL;
        r->listing--;
        if (status == 200)
                json_array_foreach(items, k, v)
                {
                        id = evrelay_str(v, i == 0 ? "Id" : "Name");
                        if (id != NULL &&
                            evrelay_labels_mine(r, json_object_get(v, "Labels")) &&
                            snprintf(key, sizeof(key), "%c:%s", i == 0 ? 'n' : 'v', id) <
                                (int)sizeof(key))
                                evrelay_remember(r->owned, key);
                }
        evrelay_step(r);
}

static void evrelay_listed_networks(int status, json_t *body, const char *raw, size_t rawlen,
                                    void *arg)
{
        evrelay_listed(arg, 0, status, body);
}

static void evrelay_listed_volumes(int status, json_t *body, const char *raw, size_t rawlen,
                                   void *arg)
{
        evrelay_listed(arg, 1, status, body);
}

static int evrelay_list(struct evrelay *r)
{
        char kv[300], esc[700], path[800];
        json_t *f;
        char *txt;
        int rc;

        if (engine_path(kv, sizeof(kv), "%s=%s", r->label, r->peer) == -1 ||
            (f = json_pack("{s:[s]}", "label", kv)) == NULL)
                return -1;
        txt = json_dumps(f, JSON_COMPACT);
        json_decref(f);
        if (txt == NULL)
                return -1;
        rc = engine_escape(esc, sizeof(esc), txt);
        free(txt);
        if (rc == -1 || engine_path(path, sizeof(path), "/networks?filters=%s", esc) == -1)
                return -1;
        r->listing = 2;
        r->lists[0] = engine_request(r->set->engine, "GET", path, NULL, EVRELAY_LOOKUP_MS,
                                     evrelay_listed_networks, r);
        if (engine_path(path, sizeof(path), "/volumes?filters=%s", esc) == -1)
                return -1;
        r->lists[1] = engine_request(r->set->engine, "GET", path, NULL, EVRELAY_LOOKUP_MS,
                                     evrelay_listed_volumes, r);
        if (r->lists[0] == NULL || r->lists[1] == NULL)
                return -1;
        return 0;
}

int evrelay_start(struct evrelays *set, const char *path, const char *peer,
                  const char *owner_label, long long until)
{
        struct evrelay *r;
        int sp[2], saved;

        if ((peer != NULL && strlen(peer) >= sizeof(r->peer)) ||
            strlen(owner_label) >= sizeof(r->label)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) == -1)
                return -1;
        if ((r = calloc(1, sizeof(*r))) == NULL)
                fatal("calloc");
        r->set = set;
        r->wfd = sp[0];
        snprintf(r->peer, sizeof(r->peer), "%s", peer != NULL ? peer : "");
        r->all = peer == NULL;
        r->until = until;
        snprintf(r->label, sizeof(r->label), "%s", owner_label);
        TAILQ_INIT(&r->queue);
        if ((r->line = evbuffer_new()) == NULL || (r->out = evbuffer_new()) == NULL ||
            (r->err = evbuffer_new()) == NULL || (r->owned = json_object()) == NULL ||
            (r->foreign = json_object()) == NULL)
                fatalx("out of memory");
        http_parser_init(&r->parser, HTTP_RESPONSE);
        http_parser_settings_init(&r->settings);
        r->parser.data = r;
        r->settings.on_headers_complete = evrelay_on_headers;
        r->settings.on_body = evrelay_on_body;
        r->settings.on_message_complete = evrelay_on_complete;
        LIST_INSERT_HEAD(&set->all, r, entry);
        set->n++;
        if ((r->efd = engine_dial(set->engine, "GET", path, NULL, NULL)) == -1) {
                saved = errno;
                r->efd = sp[1]; /* closed by the free; the caller gets nothing */
                evrelay_free(r);
                errno = saved;
                return -1;
        }
        r->erd = event_new(set->base, r->efd, EV_READ | EV_PERSIST, evrelay_engine_read, r);
        r->wrd = event_new(set->base, r->wfd, EV_READ | EV_PERSIST, evrelay_worker_read, r);
        r->wwr = event_new(set->base, r->wfd, EV_WRITE | EV_PERSIST, evrelay_worker_write, r);
        if (r->erd == NULL || r->wrd == NULL || r->wwr == NULL ||
            event_add(r->wrd, NULL) == -1 || (!r->all && evrelay_list(r) == -1)) {
                close(sp[1]);
                evrelay_free(r);
                errno = EIO;
                return -1;
        }
        evrelay_step(r);
        return sp[1];
}
