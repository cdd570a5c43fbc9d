/*
 * create_ports.c - the steps of a create that need the engine after the
 * body is built (create_body.h): the ports an image exposes
 * (publishAllPorts), host paths resolved beneath their roots (binds), and
 * the host ports: each one checked against every container's claim and
 * the host itself, hostPort 0 picked from the peer's ranges, the
 * published-port quota checked.  Then next() sends the create.
 *
 * SECURITY: a port another peer holds is refused as "in use", never with
 * the holder's name; a port the caller's own container holds names it.
 * Every published port is stamped on the container as the reserved label
 * <owner>.ports, so that stopped containers' claims and the quota are
 * read from one list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bindroot.h"
#include "create_body.h"
#include "create_ports.h"
#include "names.h"
#include "ops_impl.h"
#include "pool.h"
#include "supervisor.h"

/* A claim "addr:port/proto" seen on some container, and whose it is. */
struct claim {
        char key[96];
        char owner[POLICY_NAME_MAX + 1];
        char name[OPS_NAME_MAX + POLICY_NAME_MAX + 2];
};

struct claims {
        struct claim *v;
        size_t n, cap;
        int64_t mine; /* ports the caller's containers publish (for the quota) */
};

static struct create_plan *cp_plan(struct call *c)
{
        return ((struct ops_state *)c->state)->own;
}

static void cp_step(struct call *c);

/* --- publishAllPorts: the image's exposed ports, each on a picked host port --- */

static void cp_image_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct create_plan *plan = cp_plan(c);
        json_t *exposed = json_object_get(json_object_get(body, "Config"), "ExposedPorts"), *v;
        const char *key;
        size_t i;

        c->pending = NULL;
        if (status != 200) {
                ops_fail_engine(c, status, body);
                return;
        }
        json_object_foreach(exposed, key, v)
        {
                for (i = 0; i < plan->nports && strcmp(plan->ports[i].ctr, key) != 0; i++)
                        ;
                if (i < plan->nports || strlen(key) >= sizeof(plan->ports[0].ctr))
                        continue;
                if (plan->nports == CREATE_PORTS_MAX) {
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.publishAllPorts: the image "
                                  "exposes too many ports");
                        return;
                }
                snprintf(plan->ports[plan->nports].ctr, sizeof(plan->ports[0].ctr), "%s", key);
                snprintf(plan->ports[plan->nports].addr, sizeof(plan->ports[0].addr), "%s",
                         c->peer->wl.host_addrs[0]);
                plan->ports[plan->nports++].host = 0;
        }
        plan->publish_all = 0;
        cp_step(c);
}

/* --- binds: each host path resolved beneath its root, never the engine's files --- */

static void cp_info_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct create_plan *plan = cp_plan(c);
        json_t *hc = json_object_get(plan->body, "HostConfig"), *mounts;
        const char *root = json_string_value(json_object_get(body, "DockerRootDir"));
        const char *exec_root = "/var/run/docker";
        const char *forbidden[5];
        char out[CREATE_HOST_PATH_MAX + 1], err[512];
        size_t i;

        c->pending = NULL;
        if (status != 200 || root == NULL) {
                call_fail_engine(c, status, body);
                return;
        }
        forbidden[0] = root;
        forbidden[1] = c->worker->sv->cfg.engine;
        forbidden[2] = exec_root;
        forbidden[3] = "/proc";
        forbidden[4] = NULL;
        if ((mounts = json_object_get(hc, "Mounts")) == NULL) {
                mounts = json_array();
                json_object_set_new(hc, "Mounts", mounts);
        }
        for (i = 0; i < plan->nbinds; i++) {
                const struct create_bind *b = &plan->binds[i];
                if (bindroot_resolve(b->root, b->host, forbidden, out, sizeof(out), err,
                                     sizeof(err)) < 0) {
                        call_fail(c, DG_FORBIDDEN, "input.binds: %s", err);
                        return;
                }
                json_array_append_new(
                    mounts, json_pack("{s:s,s:s,s:s,s:b,s:{s:s}}", "Type", "bind", "Source",
                                      out, "Target", b->path, "ReadOnly", b->read_only,
                                      "BindOptions", "Propagation", "rprivate"));
        }
        plan->nbinds = 0;
        cp_step(c);
}

/* --- ports --- */

static void claims_add(struct claims *cl, const char *key, const char *owner, const char *name)
{
        struct claim *v;

        if (cl->n == cl->cap) {
                size_t cap = cl->cap ? cl->cap * 2 : 32;
                if ((v = realloc(cl->v, cap * sizeof(*v))) == NULL)
                        return;
                cl->v = v;
                cl->cap = cap;
        }
        v = &cl->v[cl->n++];
        snprintf(v->key, sizeof(v->key), "%s", key);
        snprintf(v->owner, sizeof(v->owner), "%s", owner ? owner : "");
        snprintf(v->name, sizeof(v->name), "%s", name ? name : "");
}

static int cp_wildcard(const char *addr, size_t n)
{
        return (n == 7 && strncmp(addr, "0.0.0.0", 7) == 0) ||
               (n == 2 && strncmp(addr, "::", 2) == 0);
}

/* A claim on the same port and protocol, on the same address or a wildcard one. */
static const struct claim *claims_find(const struct claims *cl, const char *addr, int port,
                                       const char *proto)
{
        char tail[32];
        size_t i, n;

        snprintf(tail, sizeof(tail), ":%d/%s", port, proto);
        for (i = 0; i < cl->n; i++) {
                const char *k = cl->v[i].key, *t = strrchr(k, ':');
                if (t == NULL || strcmp(t, tail) != 0)
                        continue;
                n = (size_t)(t - k);
                if ((n == strlen(addr) && strncmp(k, addr, n) == 0) || cp_wildcard(k, n) ||
                    cp_wildcard(addr, strlen(addr)))
                        return &cl->v[i];
        }
        return NULL;
}

/* Every container's claims: our label (any state), and the engine's Ports (running ones). */
static void claims_read(struct call *c, json_t *list, struct claims *cl)
{
        const char *owner_label = c->policy->owner_label;
        char key[200];
        json_t *v, *p;
        size_t i, j;

        snprintf(key, sizeof(key), "%s.ports", owner_label);
        json_array_foreach(list, i, v)
        {
                json_t *labels = json_object_get(v, "Labels");
                const char *owner = json_string_value(json_object_get(labels, owner_label));
                const char *ports = json_string_value(json_object_get(labels, key));
                const char *name =
                    json_string_value(json_array_get(json_object_get(v, "Names"), 0));
                char buf[2048], *tok, *save = NULL, one[96];

                if (ports != NULL) {
                        snprintf(buf, sizeof(buf), "%s", ports);
                        for (tok = strtok_r(buf, ",", &save); tok != NULL;
                             tok = strtok_r(NULL, ",", &save)) {
                                claims_add(cl, tok, owner, name);
                                if (owner != NULL && strcmp(owner, c->peer->name) == 0)
                                        cl->mine++;
                        }
                }
                json_array_foreach(json_object_get(v, "Ports"), j, p)
                {
                        json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
                        const char *ip = json_string_value(json_object_get(p, "IP"));
                        const char *type = json_string_value(json_object_get(p, "Type"));
                        if (pub <= 0)
                                continue;
                        snprintf(one, sizeof(one), "%s:%lld/%s", ip ? ip : "0.0.0.0",
                                 (long long)pub, type ? type : "tcp");
                        claims_add(cl, one, owner, name);
                }
        }
}

/* 1 when nothing on the host holds addr:port (a bind test, closed at once). */
static int cp_host_free(const char *addr, int port, const char *proto)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int fd, ok, one = 1;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
                ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
                ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
                len = sizeof(struct sockaddr_in);
        } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
                ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
                ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
                len = sizeof(struct sockaddr_in6);
        } else
                return 0;
        fd = socket(ss.ss_family,
                    (strcmp(proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return 1; /* cannot tell: the engine will say at start */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        ok = bind(fd, (struct sockaddr *)&ss, len) == 0 || errno != EADDRINUSE;
        close(fd);
        return ok;
}

static int cp_taken(const struct claims *cl, const struct create_plan *plan, size_t upto,
                    const char *addr, int port, const char *proto)
{
        size_t i;

        for (i = 0; i < upto; i++)
                if (plan->ports[i].host == port && strcmp(plan->ports[i].addr, addr) == 0 &&
                    strcmp(strchr(plan->ports[i].ctr, '/') + 1, proto) == 0)
                        return 1;
        return claims_find(cl, addr, port, proto) != NULL || !cp_host_free(addr, port, proto);
}

/* The ports settled: bindings, exposed ports and the claim label in the body. */
static int cp_write(struct call *c, struct create_plan *plan)
{
        json_t *hc = json_object_get(plan->body, "HostConfig");
        json_t *labels = json_object_get(plan->body, "Labels");
        json_t *bindings = json_object(), *exposed = json_object();
        char key[200], claim[2048] = "";
        size_t i;

        for (i = 0; i < plan->nports; i++) {
                const struct create_port *p = &plan->ports[i];
                char hp[8];
                snprintf(hp, sizeof(hp), "%d", p->host);
                json_object_set_new(
                    bindings, p->ctr,
                    json_pack("[{s:s,s:s}]", "HostIp", p->addr, "HostPort", hp));
                json_object_set_new(exposed, p->ctr, json_object());
                snprintf(claim + strlen(claim), sizeof(claim) - strlen(claim), "%s%s:%d/%s",
                         i ? "," : "", p->addr, p->host, strchr(p->ctr, '/') + 1);
        }
        json_object_set_new(hc, "PortBindings", bindings);
        json_object_set_new(plan->body, "ExposedPorts", exposed);
        snprintf(key, sizeof(key), "%s.ports", c->policy->owner_label);
        json_object_set_new(labels, key, json_string(claim));
        return 0;
}

static void cp_list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct create_plan *plan = cp_plan(c);
        const struct policy_workload *wl = &c->peer->wl;
        struct claims cl = {NULL, 0, 0, 0};
        const struct claim *hit;
        size_t i, r;
        int port;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        claims_read(c, body, &cl);
        if (c->peer->quotas.published_ports > 0 &&
            cl.mine + (int64_t)plan->nports > c->peer->quotas.published_ports) {
                call_fail_details(
                    c, DG_QUOTA_EXCEEDED,
                    json_pack("{s:s,s:I,s:I,s:I}", "quota", "publishedPorts", "limit",
                              (json_int_t)c->peer->quotas.published_ports, "used",
                              (json_int_t)cl.mine, "asked", (json_int_t)plan->nports),
                    "published ports quota: %lld of %lld in use, %zu asked", (long long)cl.mine,
                    (long long)c->peer->quotas.published_ports, plan->nports);
                free(cl.v);
                return;
        }
        for (i = 0; i < plan->nports; i++) {
                struct create_port *p = &plan->ports[i];
                const char *proto = strchr(p->ctr, '/') + 1;
                if (p->host != 0) {
                        if ((hit = claims_find(&cl, p->addr, p->host, proto)) != NULL &&
                            strcmp(hit->owner, c->peer->name) == 0) {
                                int slash;
                                const char *shown = names_view(c, hit->name, &slash);
                                call_fail(c, DG_CONFLICT,
                                          "input.ports: host port %s:%d is published by your "
                                          "container %s",
                                          p->addr, p->host,
                                          shown ? shown + (shown[0] == '/') : "(unnamed)");
                                free(cl.v);
                                return;
                        }
                        if (cp_taken(&cl, plan, i, p->addr, p->host, proto)) {
                                call_fail(c, DG_CONFLICT,
                                          "input.ports: host port %s:%d is in use", p->addr,
                                          p->host);
                                free(cl.v);
                                return;
                        }
                        continue;
                }
                /* hostPort 0: the first free port of the peer's ranges. */
                for (r = 0, port = 0; r < wl->nranges && port == 0; r++)
                        for (int q = wl->port_lo[r]; q <= wl->port_hi[r] && port == 0; q++)
                                if (!cp_taken(&cl, plan, i, p->addr, q, proto))
                                        port = q;
                if (port == 0) {
                        call_fail(c, DG_CONFLICT,
                                  "input.ports: no free host port left in this peer's ranges");
                        free(cl.v);
                        return;
                }
                p->host = port;
        }
        free(cl.v);
        cp_write(c, plan);
        plan->ports_settled = 1;
        cp_step(c);
}

/* The next engine step the plan still needs, else the create itself (plan->ports_next). */
static void cp_step(struct call *c)
{
        struct create_plan *plan = cp_plan(c);
        json_t *hc = json_object_get(plan->body, "HostConfig");
        const char *mode = json_string_value(json_object_get(hc, "NetworkMode"));
        char esc[600];

        if (plan->publish_all) {
                if (engine_escape(esc, sizeof(esc),
                                  json_string_value(json_object_get(plan->body, "Image"))) <
                    0) {
                        call_fail(c, DG_INVALID_INPUT, "input.image: too long");
                        return;
                }
                ops_send(c, "GET", NULL, 0, cp_image_done, "/images/%s/json", esc);
                return;
        }
        if (plan->nbinds > 0) {
                ops_send(c, "GET", NULL, 0, cp_info_done, "/info");
                return;
        }
        if (plan->nports > 0 && !plan->ports_settled) {
                if (mode == NULL || strcmp(mode, "none") == 0) {
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.ports: published ports need a network: name one of "
                                  "your networks (or one your policy lists) in input.network");
                        return;
                }
                ops_send(c, "GET", NULL, 0, cp_list_done, "/containers/json?all=1");
                return;
        }
        plan->ports_next(c);
}

void create_ports_run(struct call *c, void (*next)(struct call *c))
{
        cp_plan(c)->ports_next = next;
        cp_step(c);
}

json_t *create_ports_json(const struct create_plan *plan)
{
        json_t *out = json_object();
        char hp[80];
        size_t i;

        for (i = 0; out != NULL && i < plan->nports; i++) {
                snprintf(hp, sizeof(hp), "%s:%d", plan->ports[i].addr, plan->ports[i].host);
                json_object_set_new(out, plan->ports[i].ctr, json_string(hp));
        }
        return out;
}
