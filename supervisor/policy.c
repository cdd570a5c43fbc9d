/*
 * policy.c - a loaded policy's lifetime and the questions asked of it at
 * run time: who a peer is (uid, gid, token), what it may call and use, what
 * its containers run as, and what whoami shows (policy.h).  Loading and
 * checking the file is policy_parse.c.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "policy.h"

static void free_strings(char **a, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(a[i]);
}

void policy_free(struct policy *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->npeers; i++) {
                struct peer_policy *pp = &p->peers[i];
                free_strings(pp->operations, pp->noperations);
                free_strings(pp->images, pp->nimages);
                free_strings(pp->networks, pp->nnetworks);
                free_strings(pp->caps, pp->ncaps);
                OPENSSL_cleanse(pp->tokens, sizeof(pp->tokens));
        }
        free(p->peers);
        free(p);
}

struct policy *policy_ref(struct policy *p)
{
        p->refs++;
        return p;
}

void policy_unref(struct policy *p)
{
        if (p != NULL && --p->refs == 0)
                policy_free(p);
}

/* --- queries --- */

const struct peer_policy *policy_by_uid(const struct policy *p, uid_t uid)
{
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].nuids; j++)
                        if (p->peers[i].uids[j] == uid)
                                return &p->peers[i];
        return NULL;
}

const struct peer_policy *policy_by_cred(const struct policy *p, uid_t uid, gid_t gid)
{
        const struct peer_policy *pp = policy_by_uid(p, uid);

        if (pp != NULL)
                return pp;
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].ngids; j++)
                        if (p->peers[i].gids[j] == gid)
                                return &p->peers[i];
        return NULL;
}

static int sha256(const void *data, size_t len, unsigned char out[32])
{
        unsigned int n = 0;

        return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int policy_hash_token(const char *token, char *out, size_t outlen)
{
        unsigned char md[32];
        size_t i;

        if (outlen < 7 + 64 + 1 || sha256(token, strlen(token), md) < 0)
                return -1;
        /* The hex digits that follow end the string. */
        memcpy(out, "sha256:", 7); // NOLINT(bugprone-not-null-terminated-result)
        for (i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        OPENSSL_cleanse(md, sizeof(md));
        return 0;
}

/*
 * SECURITY: every stored digest is compared, in constant time, whatever
 * matched before, so the time taken says nothing about which peer (if any)
 * holds the token.
 */
const struct peer_policy *policy_by_token(const struct policy *p, const char *token, char *id)
{
        const struct peer_policy *found = NULL;
        unsigned char md[32];
        size_t i, j, k;

        if (token == NULL || token[0] == '\0' || sha256(token, strlen(token), md) < 0)
                return NULL;
        for (i = 0; i < p->npeers; i++)
                for (j = 0; j < p->peers[i].ntokens; j++)
                        if (CRYPTO_memcmp(md, p->peers[i].tokens[j], 32) == 0)
                                found = &p->peers[i];
        if (found != NULL && id != NULL) {
                for (k = 0; k < POLICY_TOKEN_ID_LEN / 2; k++)
                        snprintf(id + 2 * k, 3, "%02x", md[k]);
        }
        OPENSSL_cleanse(md, sizeof(md));
        return found;
}

const struct peer_policy *policy_by_name(const struct policy *p, const char *name)
{
        for (size_t i = 0; i < p->npeers; i++)
                if (strcmp(p->peers[i].name, name) == 0)
                        return &p->peers[i];
        return NULL;
}

int policy_allows(const struct peer_policy *pp, const char *op)
{
        for (size_t i = 0; i < pp->noperations; i++)
                if (fnmatch(pp->operations[i], op, 0) == 0) /* '*' spans '/' too */
                        return 1;
        return 0;
}

/* Has the last path component a tag, or the reference a digest? */
static int image_has_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/');

        return strchr(ref, '@') != NULL || strchr(slash ? slash : ref, ':') != NULL;
}

int policy_image_allowed(const struct peer_policy *pp, const char *image, const char *tag)
{
        char ref[1024];
        int n;

        if (image == NULL)
                return 0;
        if (tag != NULL && tag[0] != '\0')
                n = snprintf(ref, sizeof(ref), "%s%c%s", image,
                             strncmp(tag, "sha256:", 7) == 0 ? '@' : ':', tag);
        else
                n = snprintf(ref, sizeof(ref), "%s%s", image,
                             image_has_tag(image) ? "" : ":latest");
        if (n < 0 || (size_t)n >= sizeof(ref))
                return 0;
        for (size_t i = 0; i < pp->nimages; i++)
                if (fnmatch(pp->images[i], ref, 0) == 0)
                        return 1;
        return 0;
}

int policy_image_own(const struct peer_policy *pp, const char *image)
{
        size_t n = strlen(pp->name);

        if (image == NULL)
                return 0;
        if (strncmp(image, "docker.io/", 10) == 0)
                image += 10;
        return strncmp(image, pp->name, n) == 0 && image[n] == '/';
}

int policy_network_allowed(const struct peer_policy *pp, const char *name)
{
        if (strcmp(name, "none") == 0)
                return 1;
        for (size_t i = 0; i < pp->nnetworks; i++)
                if (strcmp(pp->networks[i], name) == 0)
                        return 1;
        return 0;
}

/* A decimal id: digits only, at most 10 of them, below 2^32 - 1. */
static int numeric_id(const char *s, size_t n, unsigned long long *out)
{
        char buf[16];

        if (n == 0 || n > 10 || strspn(s, "0123456789") < n)
                return 0;
        memcpy(buf, s, n);
        buf[n] = '\0';
        *out = strtoull(buf, NULL, 10);
        return *out < 4294967295ULL;
}

int policy_check_user(const struct peer_policy *pp, const char *user, char *err, size_t errlen)
{
        const char *colon;
        unsigned long long uid, gid;
        size_t ulen;

        if (!pp->refuse_root)
                return 0;
        if (user == NULL || user[0] == '\0') {
                snprintf(err, errlen,
                         "this peer may not run as root, and the image's default user may be "
                         "root: give a numeric uid other than 0, such as \"1000\" or "
                         "\"1000:1000\"");
                return -1;
        }
        colon = strchr(user, ':');
        ulen = colon ? (size_t)(colon - user) : strlen(user);
        if (!numeric_id(user, ulen, &uid)) {
                snprintf(err, errlen,
                         "this peer must name its user by a numeric uid: a name is looked up "
                         "inside the image, where any name can be root");
                return -1;
        }
        if (uid == 0) {
                snprintf(err, errlen, "uid 0 is root, which this peer may not run as");
                return -1;
        }
        if (colon == NULL)
                return 0;
        if (!numeric_id(colon + 1, strlen(colon + 1), &gid)) {
                snprintf(err, errlen, "the group after ':' must be a numeric gid");
                return -1;
        }
        if (gid == 0) {
                snprintf(err, errlen, "gid 0 is root's group, which this peer may not run as");
                return -1;
        }
        return 0;
}

const char *policy_run_as(const struct peer_policy *pp, const char *user, char *out,
                          size_t outlen)
{
        char why[256];
        int n;

        if (!pp->refuse_root)
                return user;
        /* re-checked here, where the engine's input is made: never root */
        if (policy_check_user(pp, user, why, sizeof(why)) < 0)
                return NULL;
        if (strchr(user, ':') != NULL)
                return user;
        n = snprintf(out, outlen, "%s:%s", user, user);
        return n > 0 && (size_t)n < outlen ? out : NULL;
}

int policy_check_call(const struct peer_policy *pp, const char *op, const json_t *input,
                      char *err, size_t errlen)
{
        const char *image = json_string_value(json_object_get(input, "image"));
        const char *tag = json_string_value(json_object_get(input, "tag"));
        const char *user = json_string_value(json_object_get(input, "user"));
        int create = strcmp(op, "docker/container/create") == 0;
        char why[256];

        if ((create || strcmp(op, "docker/image/pull") == 0) &&
            !(create && policy_image_own(pp, image)) &&
            !policy_image_allowed(pp, image, create ? NULL : tag)) {
                snprintf(err, errlen,
                         "input.image: %.300s%s%.130s is not among the images peer %s may use",
                         image != NULL ? image : "", !create && tag != NULL ? ":" : "",
                         !create && tag != NULL ? tag : "", pp->name);
                return -1;
        }
        /*
         * An exec without a user would run as the container's, which may be
         * root (made before the switch was on, or by an admin): it must name one.
         */
        if ((create || strcmp(op, "docker/container/exec") == 0 ||
             strcmp(op, "docker/container/exec/create") == 0) &&
            policy_check_user(pp, user, why, sizeof(why)) < 0) {
                snprintf(err, errlen, "input.user: %s", why);
                return -1;
        }
        return 0;
}

static json_t *strings_json(char *const *a, size_t n)
{
        json_t *out = json_array();

        for (size_t i = 0; out != NULL && i < n; i++)
                json_array_append_new(out, json_string(a[i]));
        return out;
}

static json_t *limits_json(const struct policy_limits *l)
{
        return json_pack("{s:I,s:I,s:I}", "memoryBytes", (json_int_t)l->memory_bytes,
                         "nanoCpus", (json_int_t)l->nano_cpus, "pidsLimit",
                         (json_int_t)l->pids_limit);
}

static json_t *quota_json(int64_t v)
{
        return v > 0 ? json_integer(v) : json_null();
}

/* The workload settings whoami shows: what a peer may ask for beyond the limits. */
static void workload_json(const struct policy_workload *wl, json_t *container)
{
        json_t *addrs = json_array(), *ranges = json_array(), *roots = json_array();
        json_t *caps = json_array(), *rts = json_array(), *ul = json_object();
        char buf[POLICY_ROOT_MAX + 8];
        size_t i;

        for (i = 0; i < wl->nhost_addrs; i++)
                json_array_append_new(addrs, json_string(wl->host_addrs[i]));
        for (i = 0; i < wl->nranges; i++) {
                snprintf(buf, sizeof(buf), "%d-%d", wl->port_lo[i], wl->port_hi[i]);
                json_array_append_new(ranges, json_string(buf));
        }
        for (i = 0; i < wl->nbind_roots; i++) {
                snprintf(buf, sizeof(buf), "%s%s", wl->bind_roots[i],
                         wl->bind_rw[i] ? ":rw" : "");
                json_array_append_new(roots, json_string(buf));
        }
        for (i = 0; i < wl->nallowed_caps; i++)
                json_array_append_new(caps, json_string(wl->allowed_caps[i]));
        for (i = 0; i < wl->nruntimes; i++)
                json_array_append_new(rts, json_string(wl->runtimes[i]));
        for (i = 0; i < PU__N; i++)
                json_object_set_new(ul, policy_ulimit_names[i],
                                    json_integer(wl->ulimit_max[i]));
        json_object_set_new(
            container, "ports",
            json_pack("{s:o,s:o}", "hostAddresses", addrs, "hostPortRanges", ranges));
        json_object_set_new(container, "bindRoots", roots);
        json_object_set_new(container, "allowedCapabilities", caps);
        json_object_set_new(container, "runtimes", rts);
        json_object_set_new(container, "ulimits", ul);
        json_object_set_new(container, "allowSwap", json_boolean(wl->allow_swap));
        json_object_set_new(container, "healthcheck",
                            json_pack("{s:I,s:I,s:I,s:I}", "minIntervalMs",
                                      (json_int_t)wl->hc_min_interval_ms, "maxTimeoutMs",
                                      (json_int_t)wl->hc_max_timeout_ms, "maxRetries",
                                      (json_int_t)wl->hc_max_retries, "maxStartPeriodMs",
                                      (json_int_t)wl->hc_max_start_ms));
}

json_t *policy_peer_json(const struct peer_policy *pp)
{
        const struct policy_quotas *q = &pp->quotas;
        json_t *defaults = limits_json(&pp->defaults), *out;

        json_object_set_new(defaults, "network", json_string(pp->network));
        json_object_set_new(defaults, "readOnlyRootfs",
                            json_boolean(pp->read_only_default || pp->read_only_forced));
        out = json_pack(
            "{s:b,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o,s:b,s:b},s:{s:o,s:o,s:o,s:o,s:o,s:o,s:o}}",
            "admin", pp->admin, "operationPatterns",
            strings_json(pp->operations, pp->noperations), "images",
            strings_json(pp->images, pp->nimages), "container", "defaults", defaults,
            "ceilings", limits_json(&pp->ceilings), "networks",
            strings_json(pp->networks, pp->nnetworks), "capabilities",
            strings_json(pp->caps, pp->ncaps), "runtime",
            pp->runtime[0] ? json_string(pp->runtime) : json_null(), "forceReadOnlyRootfs",
            pp->read_only_forced, "refuseRoot", pp->refuse_root, "quotas", "containers",
            quota_json(q->containers), "memoryBytes", quota_json(q->memory_bytes), "nanoCpus",
            quota_json(q->nano_cpus), "streams", quota_json(q->streams), "callsPerSecond",
            quota_json(q->calls_per_second), "burst",
            q->calls_per_second > 0 ? json_integer(q->burst) : json_null(), "publishedPorts",
            quota_json(q->published_ports));
        if (out != NULL) {
                json_object_set_new(json_object_get(out, "quotas"), "images",
                                    quota_json(q->images));
                json_object_set_new(json_object_get(out, "quotas"), "imageBytes",
                                    quota_json(q->image_bytes));
                workload_json(&pp->wl, json_object_get(out, "container"));
                json_object_set_new(json_object_get(out, "container"),
                                    "allowPutWithReadOnlyRoot",
                                    json_boolean(pp->put_with_read_only));
        }
        return out;
}
