/*
 * policy.c - loading and querying the policy file.
 *
 * Every problem is reported with its location in the file, in words an
 * operator understands; unknown keys are errors, so that a typo never
 * silently loosens or tightens a rule.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* An ordinary tenant may do everything but remove shared images. */
static const char *const default_ops[] = {
    "docker/system/*",     "docker/container/*",  "docker/image/pull", "docker/image/list",
    "docker/image/inspect", "docker/network/*",    "docker/volume/*",   "gateway/*",
    NULL,
};

#define DEF_MEMORY (512LL << 20)
#define DEF_NANOCPUS 1000000000LL
#define DEF_PIDS 256LL

static int name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > POLICY_NAME_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                         (i > 0 && (ch == '-' || ch == '_'));
                if (!ok)
                        return 0;
        }
        return 1;
}

static int label_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n >= 128)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                      ch == '-' || ch == '_'))
                        return 0;
        }
        return 1;
}

static int get_limit(json_t *v, const char *where, const char *key, long long lo, long long hi,
                     int64_t *out, char *err, size_t errlen)
{
        if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
                snprintf(err, errlen, "%s.%s: must be an integer from %lld to %lld", where, key, lo,
                         hi);
                return -1;
        }
        *out = json_integer_value(v);
        return 0;
}

static int parse_uids(struct peer_policy *pp, json_t *v, const char *where, char *err,
                      size_t errlen)
{
        if (!json_is_array(v) || json_array_size(v) > POLICY_MAX_IDS) {
                snprintf(err, errlen, "%s.uids: must be a list of at most %d uids", where,
                         POLICY_MAX_IDS);
                return -1;
        }
        size_t i;
        json_t *u;
        json_array_foreach(v, i, u)
        {
                if (!json_is_integer(u) || json_integer_value(u) < 0 ||
                    json_integer_value(u) >= 4294967295LL) {
                        snprintf(err, errlen, "%s.uids[%zu]: must be a uid from 0 to 4294967294",
                                 where, i);
                        return -1;
                }
                pp->uids[pp->nuids++] = (uid_t)json_integer_value(u);
        }
        return 0;
}

static int parse_ops(struct peer_policy *pp, json_t *v, const char *where, char *err,
                     size_t errlen)
{
        if (!json_is_array(v) || json_array_size(v) > POLICY_MAX_PATTERNS) {
                snprintf(err, errlen, "%s.operations: must be a list of at most %d patterns",
                         where, POLICY_MAX_PATTERNS);
                return -1;
        }
        size_t i;
        json_t *o;
        json_array_foreach(v, i, o)
        {
                if (!json_is_string(o) || json_string_length(o) == 0 ||
                    json_string_length(o) > 128) {
                        snprintf(err, errlen,
                                 "%s.operations[%zu]: must be an operation pattern such as "
                                 "\"docker/container/*\"",
                                 where, i);
                        return -1;
                }
                if ((pp->operations[pp->noperations] = strdup(json_string_value(o))) == NULL) {
                        snprintf(err, errlen, "out of memory");
                        return -1;
                }
                pp->noperations++;
        }
        return 0;
}

static int set_default_ops(struct peer_policy *pp, char *err, size_t errlen)
{
        const char *const admin_ops[] = {"*", NULL};
        const char *const *src = pp->admin ? admin_ops : default_ops;
        for (size_t i = 0; src[i] != NULL; i++) {
                if ((pp->operations[pp->noperations] = strdup(src[i])) == NULL) {
                        snprintf(err, errlen, "out of memory");
                        return -1;
                }
                pp->noperations++;
        }
        return 0;
}

static int parse_peer(struct peer_policy *pp, const char *name, json_t *obj, char *err,
                      size_t errlen)
{
        char where[128];
        snprintf(where, sizeof(where), "peers.%s", name);
        if (!name_valid(name)) {
                snprintf(err, errlen,
                         "%s: a peer name is 1 to %d characters of a-z, 0-9, '-' and '_', "
                         "starting with a letter or digit",
                         where, POLICY_NAME_MAX);
                return -1;
        }
        if (!json_is_object(obj)) {
                snprintf(err, errlen, "%s: must be an object", where);
                return -1;
        }
        snprintf(pp->name, sizeof(pp->name), "%s", name);
        pp->memory_bytes = DEF_MEMORY;
        pp->nano_cpus = DEF_NANOCPUS;
        pp->pids_limit = DEF_PIDS;
        snprintf(pp->network, sizeof(pp->network), "none");
        int have_ops = 0;
        const char *key;
        json_t *v;
        json_object_foreach(obj, key, v)
        {
                int rc = 0;
                if (strcmp(key, "uids") == 0) {
                        rc = parse_uids(pp, v, where, err, errlen);
                } else if (strcmp(key, "admin") == 0) {
                        if (!json_is_boolean(v)) {
                                snprintf(err, errlen, "%s.admin: must be true or false", where);
                                return -1;
                        }
                        pp->admin = json_is_true(v);
                } else if (strcmp(key, "operations") == 0) {
                        rc = parse_ops(pp, v, where, err, errlen);
                        have_ops = 1;
                } else if (strcmp(key, "memoryBytes") == 0) {
                        rc = get_limit(v, where, key, 4LL << 20, 1LL << 40, &pp->memory_bytes, err,
                                       errlen);
                } else if (strcmp(key, "nanoCpus") == 0) {
                        rc = get_limit(v, where, key, 1000000LL, 1000000000000LL, &pp->nano_cpus,
                                       err, errlen);
                } else if (strcmp(key, "pidsLimit") == 0) {
                        rc = get_limit(v, where, key, 1, 1000000, &pp->pids_limit, err, errlen);
                } else if (strcmp(key, "network") == 0) {
                        if (!json_is_string(v) || (strcmp(json_string_value(v), "none") != 0 &&
                                                   strcmp(json_string_value(v), "bridge") != 0)) {
                                snprintf(err, errlen,
                                         "%s.network: must be \"none\" or \"bridge\"", where);
                                return -1;
                        }
                        snprintf(pp->network, sizeof(pp->network), "%s", json_string_value(v));
                } else {
                        snprintf(err, errlen,
                                 "%s.%s: unknown setting (known: uids, admin, operations, "
                                 "memoryBytes, nanoCpus, pidsLimit, network)",
                                 where, key);
                        return -1;
                }
                if (rc < 0)
                        return -1;
        }
        if (!have_ops && set_default_ops(pp, err, errlen) < 0)
                return -1;
        return 0;
}

/* SECURITY: one uid names one peer; an ambiguous mapping is refused outright. */
static int check_unique_uids(const struct policy *p, char *err, size_t errlen)
{
        for (size_t a = 0; a < p->npeers; a++)
                for (size_t i = 0; i < p->peers[a].nuids; i++)
                        for (size_t b = a; b < p->npeers; b++)
                                for (size_t j = (b == a ? i + 1 : 0); j < p->peers[b].nuids; j++)
                                        if (p->peers[a].uids[i] == p->peers[b].uids[j]) {
                                                snprintf(err, errlen,
                                                         "peers.%s.uids: uid %u is also given "
                                                         "to peer %s",
                                                         p->peers[b].name,
                                                         (unsigned)p->peers[a].uids[i],
                                                         p->peers[a].name);
                                                return -1;
                                        }
        return 0;
}

struct policy *policy_parse(json_t *root, char *err, size_t errlen)
{
        if (!json_is_object(root)) {
                snprintf(err, errlen, "the policy must be a JSON object with a \"peers\" object");
                return NULL;
        }
        struct policy *p = calloc(1, sizeof(*p));
        if (p == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        p->refs = 1;
        snprintf(p->owner_label, sizeof(p->owner_label), "dockgate.owner");
        json_t *peers = NULL;
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v)
        {
                if (strcmp(key, "peers") == 0) {
                        peers = v;
                } else if (strcmp(key, "ownerLabel") == 0) {
                        if (!json_is_string(v) || !label_valid(json_string_value(v))) {
                                snprintf(err, errlen,
                                         "ownerLabel: must be a label key of a-z, 0-9, '.', '-' "
                                         "and '_', shorter than 128 characters");
                                goto fail;
                        }
                        snprintf(p->owner_label, sizeof(p->owner_label), "%s",
                                 json_string_value(v));
                } else {
                        snprintf(err, errlen, "%s: unknown setting (known: peers, ownerLabel)",
                                 key);
                        goto fail;
                }
        }
        if (!json_is_object(peers) || json_object_size(peers) == 0) {
                snprintf(err, errlen, "peers: must be an object naming at least one peer");
                goto fail;
        }
        p->peers = calloc(json_object_size(peers), sizeof(*p->peers));
        if (p->peers == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        json_object_foreach(peers, key, v)
        {
                if (parse_peer(&p->peers[p->npeers++], key, v, err, errlen) < 0)
                        goto fail;
        }
        if (check_unique_uids(p, err, errlen) < 0)
                goto fail;
        return p;
fail:
        policy_free(p);
        return NULL;
}

struct policy *policy_load(const char *path, char *err, size_t errlen)
{
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (root == NULL) {
                snprintf(err, errlen, "%s: line %d, column %d: %s", path, jerr.line, jerr.column,
                         jerr.text);
                return NULL;
        }
        char inner[512];
        struct policy *p = policy_parse(root, inner, sizeof(inner));
        json_decref(root);
        if (p == NULL)
                snprintf(err, errlen, "%s: %s", path, inner);
        return p;
}

void policy_free(struct policy *p)
{
        if (p == NULL)
                return;
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].noperations; j++)
                        free(p->peers[i].operations[j]);
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

const struct peer_policy *policy_by_uid(const struct policy *p, uid_t uid)
{
        for (size_t i = 0; i < p->npeers; i++)
                for (size_t j = 0; j < p->peers[i].nuids; j++)
                        if (p->peers[i].uids[j] == uid)
                                return &p->peers[i];
        return NULL;
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
