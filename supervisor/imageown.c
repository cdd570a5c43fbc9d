/*
 * imageown.c - whose an image is, and the image quotas (imageown.h).
 */
#include <stdio.h>
#include <string.h>

#include "imageown.h"
#include "imageref.h"
#include "ops_impl.h"

static const char *image_unprefixed(const char *ref)
{
        static const char *const registries[] = {"docker.io/", "index.docker.io/", NULL};
        size_t i, n;

        for (i = 0; registries[i] != NULL; i++) {
                n = strlen(registries[i]);
                if (strncmp(ref, registries[i], n) == 0)
                        return ref + n;
        }
        return ref;
}

int image_ref_own(const struct call *c, const char *ref)
{
        size_t n = strlen(c->peer->name);

        ref = image_unprefixed(ref);
        return strncmp(ref, c->peer->name, n) == 0 && ref[n] == '/';
}

int image_ref_foreign(const struct call *c, const char *ref)
{
        const char *slash;
        size_t n, i;

        if (c->peer->admin || ref == NULL)
                return 0;
        ref = image_unprefixed(ref);
        if ((slash = strchr(ref, '/')) == NULL)
                return 0;
        n = (size_t)(slash - ref);
        for (i = 0; i < c->policy->npeers; i++) {
                const char *name = c->policy->peers[i].name;

                if (strlen(name) == n && strncmp(name, ref, n) == 0)
                        return strcmp(name, c->peer->name) != 0;
        }
        return 0;
}

int image_ref_may_be_id(const char *ref)
{
        size_t n;

        if (ref == NULL)
                return 0;
        if (strncmp(ref, "sha256:", 7) == 0)
                ref += 7;
        n = strlen(ref);
        return n > 0 && strspn(ref, "0123456789abcdef") == n;
}

static const json_t *image_labels(const json_t *doc)
{
        const json_t *l = json_object_get(doc, "Labels");

        return json_is_object(l) ? l
                                 : json_object_get(json_object_get(doc, "Config"), "Labels");
}

int image_doc_foreign(const struct call *c, const json_t *doc)
{
        const char *owner =
            json_string_value(json_object_get(image_labels(doc), c->policy->owner_label));
        const json_t *tags = json_object_get(doc, "RepoTags"), *t;
        size_t i;

        if (c->peer->admin)
                return 0;
        if (owner != NULL)
                return strcmp(owner, c->peer->name) != 0;
        if (json_array_size(tags) == 0)
                return 0;
        json_array_foreach(tags, i, t)
        {
                if (!image_ref_foreign(c, json_string_value(t)))
                        return 0;
        }
        return 1;
}

int image_doc_shared_names(const struct call *c, const json_t *doc)
{
        const json_t *t;
        size_t i;

        json_array_foreach(json_object_get(doc, "RepoTags"), i, t)
        {
                if (image_ref_foreign(c, json_string_value(t)))
                        return 1;
        }
        return 0;
}

static void image_names_own(const struct call *c, json_t *names)
{
        size_t i = 0;

        while (i < json_array_size(names)) {
                if (image_ref_foreign(c, json_string_value(json_array_get(names, i))))
                        json_array_remove(names, i);
                else
                        i++;
        }
}

void image_doc_own_names(const struct call *c, json_t *doc)
{
        image_names_own(c, json_object_get(doc, "RepoTags"));
        image_names_own(c, json_object_get(doc, "RepoDigests"));
}

void image_list_own(const struct call *c, json_t *list)
{
        size_t i = 0;

        while (i < json_array_size(list)) {
                json_t *doc = json_array_get(list, i);

                if (image_doc_foreign(c, doc)) {
                        json_array_remove(list, i);
                        continue;
                }
                image_doc_own_names(c, doc);
                i++;
        }
}

/* --- a bare reference, the peer's own first --- */

int image_own_candidate(const struct call *c, const char *ref, char *out, size_t outlen)
{
        int n;

        if (c->peer->admin || ref == NULL || !image_ref_ok(ref) ||
            strncmp(ref, "sha256:", 7) == 0 || image_unprefixed(ref) != ref)
                return 0;
        /* Only a bare name: one with a '/' already names a registry or a namespace. */
        if (strchr(ref, '/') != NULL)
                return 0;
        n = snprintf(out, outlen, "%s/%s", c->peer->name, ref);
        return n > 0 && (size_t)n < outlen && n <= IMAGE_REF_MAX && image_ref_ok(out);
}

static void image_own_found(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        void (*then)(struct call *) = st->then;
        char own[IMAGE_REF_MAX + 1];

        c->pending = NULL;
        if (status == 200 && json_is_object(body) && !image_doc_foreign(c, body) &&
            image_own_candidate(c, ops_str(c, "image"), own, sizeof(own)))
                json_object_set_new(c->input, "image", json_string(own));
        /* Anything else (404, the engine's error) leaves REF as given: the op answers it. */
        then(c);
}

void image_resolve_own(struct call *c, void (*then)(struct call *c))
{
        static const char *const ops[] = {"docker/container/create", "docker/image/inspect",
                                          "docker/image/remove", "docker/image/tag", NULL};
        char own[IMAGE_REF_MAX + 1], esc[IMAGE_REF_MAX * 3 + 1];
        struct ops_state *st;
        size_t i;

        for (i = 0; ops[i] != NULL && strcmp(ops[i], c->op) != 0; i++)
                ;
        if (ops[i] == NULL || !json_is_object(c->input) ||
            !image_own_candidate(c, ops_str(c, "image"), own, sizeof(own))) {
                then(c);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->then = then;
        if (engine_escape(esc, sizeof(esc), own) == -1) {
                then(c);
                return;
        }
        ops_send(c, "GET", NULL, 0, image_own_found, "/images/%s/json", esc);
}

/* --- quotas --- */

static void image_quota_listed(int status, json_t *body, const char *raw, size_t rawlen,
                               void *arg)
{
        struct call *c = arg;
        const struct policy_quotas *q = &c->peer->quotas;
        struct ops_state *st = c->state;
        void (*then)(struct call *) = st->then;
        json_int_t bytes = 0;
        const json_t *v;
        size_t i;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        json_array_foreach(body, i, v)
        {
                bytes += json_integer_value(json_object_get(v, "Size"));
        }
        if (q->images > 0 && (int64_t)json_array_size(body) >= q->images) {
                call_fail(c, DG_QUOTA_EXCEEDED,
                          "quota images: peer %s owns %zu images, its quota (quotas.images) is "
                          "%lld; remove one of its images and retry",
                          c->peer->name, json_array_size(body), (long long)q->images);
                return;
        }
        if (q->image_bytes > 0 && (int64_t)bytes >= q->image_bytes) {
                call_fail(c, DG_QUOTA_EXCEEDED,
                          "quota imageBytes: peer %s's images hold %lld bytes, its quota "
                          "(quotas.imageBytes) is %lld; remove one of its images and retry",
                          c->peer->name, (long long)bytes, (long long)q->image_bytes);
                return;
        }
        then(c);
}

void image_quota_check(struct call *c, void (*then)(struct call *c))
{
        struct ops_state *st;
        char filter[1200];

        if (c->peer->quotas.images <= 0 && c->peer->quotas.image_bytes <= 0) {
                then(c);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->then = then;
        if (ops_peer_filter(c, filter, sizeof(filter)) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, image_quota_listed, "/images/json?%s", filter);
}
