/*
 * op_image.c - docker/image operations.  Shared images (the allowlist's)
 * carry no owner: every peer the policy lets call these sees the same ones.
 * Images a peer built, and names in its namespace, are its own: another
 * peer's are answered as missing and left out of lists (imageown.h).
 * Whether a peer may remove images is the policy's operations list.
 */
#include <stdio.h>
#include <string.h>

#include "filters.h"
#include "imageown.h"
#include "imageref.h"
#include "ops_impl.h"
#include "profile.h"
#include "redact.h"

static const char *image_ref(struct call *c)
{
        const char *ref = ops_str(c, "image");

        if (!image_ref_ok(ref)) {
                call_fail(c, DG_INVALID_INPUT, "input.image: not an image reference");
                return NULL;
        }
        return ref;
}

/*
 * The element's RepoTags as dockerd shows them and as its list answers
 * them: only those a reference filter matches (filters.h).  NULL when the
 * element had tags and none is kept (dockerd leaves such an image out).
 */
static json_t *image_tags(const struct call *c, const json_t *in)
{
        json_t *all = profile_image_names(engine_profile(c->engine),
                                          json_object_get(in, "RepoTags")),
               *out = json_array(), *v;
        size_t i;

        if (all == NULL || out == NULL) {
                json_decref(all);
                json_decref(out);
                return NULL;
        }
        json_array_foreach(all, i, v)
        {
                if (filters_tag_kept(c, json_string_value(v)))
                        json_array_append(out, v);
        }
        if (json_array_size(all) > 0 && json_array_size(out) == 0) {
                json_decref(out);
                out = NULL;
        }
        json_decref(all);
        return out;
}

static void image_missing(struct call *c)
{
        call_fail(c, DG_NOT_FOUND, "no such image: %s", ops_str(c, "image"));
}

/* image_ref, and not another peer's (answered as a missing one). */
static const char *image_ref_visible(struct call *c)
{
        const char *ref = image_ref(c);

        if (ref != NULL && image_ref_foreign(c, ref)) {
                image_missing(c);
                return NULL;
        }
        return ref;
}

/*
 * The image looked up before a change to it (tag, remove): another peer's is
 * missing; then next() with the document kept in the state.
 */
static void image_checked(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;

        c->pending = NULL;
        if (status == 404 || (status == 200 && image_doc_foreign(c, body))) {
                image_missing(c);
                return;
        }
        if (status != 200 || !json_is_object(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        st->keep = json_incref(body);
        st->then(c);
}

static void image_check(struct call *c, const char *ref, void (*next)(struct call *c))
{
        struct ops_state *st = ops_state(c);
        char esc[IMAGE_REF_MAX * 3 + 1];

        if (st == NULL)
                return;
        st->then = next;
        if (engine_escape(esc, sizeof(esc), ref) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "GET", NULL, 0, image_checked, "/images/%s/json", esc);
}

static json_t *image_item(const struct call *c, const json_t *in)
{
        const json_t *labels = json_object_get(in, "Labels");
        const struct engine_profile *p = engine_profile(c->engine);
        json_t *tags = image_tags(c, in);

        if (tags == NULL)
                return NULL;
        return json_pack("{s:s?,s:o,s:o,s:I,s:I,s:o}", "imageId",
                         json_string_value(json_object_get(in, "Id")), "repoTags", tags,
                         "repoDigests",
                         profile_image_names(p, json_object_get(in, "RepoDigests")), "created",
                         json_integer_value(json_object_get(in, "Created")), "size",
                         json_integer_value(json_object_get(in, "Size")), "labels",
                         json_is_object(labels) ? json_deep_copy(labels) : json_object());
}

static void image_familiar(const struct call *c, json_t *doc, const char *key);

/* The engine's own list element, names as dockerd shows them (the Docker front). */
static json_t *image_item_engine(const struct call *c, const json_t *in)
{
        json_t *out, *tags = image_tags(c, in);

        if (tags == NULL)
                return NULL;
        if ((out = json_deep_copy(in)) == NULL) {
                json_decref(tags);
                return NULL;
        }
        if (json_is_array(json_object_get(in, "RepoTags")))
                json_object_set_new(out, "RepoTags", tags);
        else
                json_decref(tags);
        image_familiar(c, out, "RepoDigests");
        return out;
}

/* The one value of filter key ("before", "since") in the input, or NULL (-1: given twice). */
static const char *image_filter_value(struct call *c, const char *key, int *twice)
{
        const char *found = NULL, *s;
        size_t i, n = strlen(key);
        json_t *v;

        json_array_foreach(json_object_get(c->input, "filters"), i, v)
        {
                s = json_string_value(v);
                if (s != NULL && strncmp(s, key, n) == 0 && s[n] == '=') {
                        *twice |= found != NULL;
                        found = s + n + 1;
                }
        }
        return found;
}

/* 1 when the list element is the image ref names: an ID (prefix) or one of its names. */
static int image_is(const struct call *c, const json_t *el, const char *ref)
{
        const char *id = json_string_value(json_object_get(el, "Id")), *h = ref;
        json_t *names;
        char tagged[IMAGE_REF_MAX + 8];
        const char *slash = strrchr(ref, '/');
        size_t i;
        json_t *t;
        int hit = 0;

        if (id != NULL && strncmp(id, "sha256:", 7) == 0 && strncmp(h, "sha256:", 7) != 0)
                id += 7;
        if (id != NULL && image_ref_may_be_id(ref) && strncmp(id, h, strlen(h)) == 0)
                return 1;
        /* A name without a tag is its :latest, as the engine reads it. */
        snprintf(tagged, sizeof(tagged), "%s%s", ref,
                 strchr(slash != NULL ? slash : ref, ':') == NULL ? ":latest" : "");
        names = profile_image_names(engine_profile(c->engine), json_object_get(el, "RepoTags"));
        json_array_foreach(names, i, t)
        {
                if (json_is_string(t) && strcmp(json_string_value(t), tagged) == 0)
                        hit = 1;
        }
        json_decref(names);
        return hit;
}

/*
 * before and since (images created before or after the one named), applied
 * to the peer's own list: the image named must be in it (another peer's is
 * a missing one).  -1 after answering the call.
 */
static int image_list_window(struct call *c, json_t *list)
{
        static const char *const keys[] = {"before", "since"};
        json_int_t at[2] = {0, 0}, created;
        const char *ref[2];
        int twice = 0, found;
        size_t i, k;
        json_t *el;

        for (k = 0; k < 2; k++) {
                ref[k] = image_filter_value(c, keys[k], &twice);
                if (twice) {
                        call_fail(c, DG_INVALID_INPUT, "input.filters: %s: at most one",
                                  keys[k]);
                        return -1;
                }
                if (ref[k] == NULL)
                        continue;
                found = 0;
                json_array_foreach(list, i, el)
                {
                        if (!found && image_is(c, el, ref[k])) {
                                at[k] = json_integer_value(json_object_get(el, "Created"));
                                found = 1;
                        }
                }
                if (!found) {
                        call_fail(c, DG_NOT_FOUND, "no such image: %s", ref[k]);
                        return -1;
                }
        }
        for (i = json_array_size(list); i-- > 0;) {
                created =
                    json_integer_value(json_object_get(json_array_get(list, i), "Created"));
                if ((ref[0] != NULL && created >= at[0]) ||
                    (ref[1] != NULL && created <= at[1]))
                        json_array_remove(list, i);
        }
        return 0;
}

static void list_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status == 200 && json_is_array(body)) {
                image_list_own(c, body);
                if (image_list_window(c, body) == -1)
                        return;
        }
        ops_reply_list(c, status, body, NULL, 0,
                       call_engine_view(c) ? image_item_engine : image_item);
}

void op_image_list(struct call *c)
{
        /* Images are shared: the filters are the caller's only (filters.h). */
        ops_list_owned(c, list_done, "/images/json");
}

/* doc[key]'s names as dockerd shows them (profile.h). */
static void image_familiar(const struct call *c, json_t *doc, const char *key)
{
        json_t *a = json_object_get(doc, key);

        if (json_is_array(a))
                json_object_set_new(doc, key,
                                    profile_image_names(engine_profile(c->engine), a));
}

static void inspect_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status == 200 && image_doc_foreign(c, body)) {
                image_missing(c);
        } else if (status == 200 && json_is_object(body)) {
                image_doc_own_names(c, body);
                redact_image(body);
                image_familiar(c, body, "RepoTags");
                image_familiar(c, body, "RepoDigests");
                call_reply(c, json_incref(body));
        } else
                call_fail_engine(c, status, body);
}

void op_image_inspect(struct call *c)
{
        const char *ref = image_ref_visible(c);

        if (ref != NULL)
                ops_send(c, "GET", NULL, 0, inspect_done, "/images/%s/json", ref);
}

static void remove_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *out, *v;
        const char *u, *d;
        size_t i;

        c->pending = NULL;
        if (status == 409) {
                /* SECURITY: the engine's text names the container using it, maybe another
                 * peer's. */
                call_fail(c, DG_CONFLICT, "image is in use: %s", ops_str(c, "image"));
                return;
        }
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        out = json_array();
        json_array_foreach(body, i, v)
        {
                u = json_string_value(json_object_get(v, "Untagged"));
                d = json_string_value(json_object_get(v, "Deleted"));
                if (u != NULL)
                        json_array_append_new(
                            out, json_pack("{s:s}", "untagged",
                                           profile_image_name(engine_profile(c->engine), u)));
                if (d != NULL)
                        json_array_append_new(out, json_pack("{s:s}", "deleted", d));
        }
        call_reply(c, out);
}

/*
 * SECURITY: by ID (or by a shared name) with force, the engine would also
 * untag the names other peers gave the image: those are refused, and a
 * peer removes its own names by name.
 */
static void remove_checked(struct call *c)
{
        struct ops_state *st = c->state;
        const char *ref = ops_str(c, "image");

        if (!image_ref_own(c, ref) && image_doc_shared_names(c, st->keep)) {
                call_fail(c, DG_CONFLICT,
                          "image %s also has names of other peers: remove your own names of it "
                          "(%s/NAME:TAG) instead",
                          ref, c->peer->name);
                return;
        }
        ops_send(c, "DELETE", NULL, 0, remove_done, "/images/%s?force=%d&noprune=0", ref,
                 ops_bool(c, "force", 0));
}

void op_image_remove(struct call *c)
{
        const char *ref = image_ref_visible(c);

        if (ref != NULL)
                image_check(c, ref, remove_checked);
}

/* --- pull: data plane, the worker reads the progress (worker/stream_pull.c) --- */

/* A tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) or a digest (sha256:<64 hex>). */
static int image_tag_ok(const char *t)
{
        size_t n = strlen(t);

        if (strncmp(t, "sha256:", 7) == 0)
                return n == 7 + 64 && strspn(t + 7, "0123456789abcdef") == 64;
        return n >= 1 && n <= 128 && t[0] != '.' && t[0] != '-' &&
               strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
                   n;
}

/* Has the reference's last component a tag, or the reference a digest? */
static int image_ref_tagged(const char *ref)
{
        const char *slash = strrchr(ref, '/');

        return strchr(ref, '@') != NULL || strchr(slash ? slash : ref, ':') != NULL;
}

/*
 * The engine pulls every tag of a repository when neither the reference
 * nor tag names one: an untagged reference means ":latest" here, as it
 * does for the docker CLI.  The engine answers 200 at once and reports
 * failures inside the stream, which only the worker reads.
 */
void op_image_pull(struct call *c)
{
        const char *ref = image_ref_visible(c), *tag;
        char eref[IMAGE_REF_MAX * 3 + 1], etag[128 * 3 + 1],
            path[sizeof(eref) + sizeof(etag) + 64];

        if (ref == NULL)
                return; /* answered, and c is gone */
        tag = ops_str(c, "tag");
        if (tag != NULL && (image_ref_tagged(ref) || !image_tag_ok(tag))) {
                call_fail(c, DG_INVALID_INPUT,
                          "input.tag: a tag or sha256 digest, for an image reference without "
                          "one");
                return;
        }
        if (tag == NULL && !image_ref_tagged(ref))
                tag = "latest";
        if (engine_escape(eref, sizeof(eref), ref) == -1 ||
            engine_escape(etag, sizeof(etag), tag ? tag : "") == -1 ||
            engine_path(path, sizeof(path), "/images/create?fromImage=%s%s%s", eref,
                        tag ? "&tag=" : "", etag) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_stream(c, "POST", path, "Content-Length: 0\r\n", "pull", json_object());
}

/* --- tag: into the peer's own namespace only --- */

static void tag_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status == 201 || status == 200)
                call_reply(c, json_object());
        else
                call_fail_engine(c, status, body);
}

/*
 * SECURITY: images are shared; a tag elsewhere (busybox:latest) would change
 * what every other peer runs.  So repo is "<peer>/<path>": a name no other
 * peer may write, and tag a plain tag (no digest).
 */
/* The source is visible to the peer (image_check): the tag goes in. */
static void tag_send(struct call *c)
{
        const char *ref = ops_str(c, "image"), *repo = ops_str(c, "repo"),
                   *tag = ops_str(c, "tag");
        char eref[IMAGE_REF_MAX * 3 + 1], erepo[IMAGE_REF_MAX * 3 + 1], etag[128 * 3 + 1];

        if (tag == NULL)
                tag = "latest";
        if (engine_escape(eref, sizeof(eref), ref) == -1 ||
            engine_escape(erepo, sizeof(erepo), repo) == -1 ||
            engine_escape(etag, sizeof(etag), tag) == -1) {
                call_fail(c, DG_INTERNAL, "engine path too long");
                return;
        }
        ops_send(c, "POST", NULL, 0, tag_done, "/images/%s/tag?repo=%s&tag=%s", eref, erepo,
                 etag);
}

void op_image_tag(struct call *c)
{
        const char *ref = image_ref_visible(c), *repo, *tag;
        size_t n;

        if (ref == NULL)
                return; /* answered: c is gone */
        repo = ops_str(c, "repo");
        tag = ops_str(c, "tag");
        n = strlen(c->peer->name);
        if (strncmp(repo, c->peer->name, n) != 0 || repo[n] != '/' || !image_ref_ok(repo) ||
            image_ref_tagged(repo)) {
                call_fail(c, DG_FORBIDDEN,
                          "input.repo: tags go in the peer's own namespace: %s/NAME, without a "
                          "tag or digest",
                          c->peer->name);
                return;
        }
        if (tag != NULL && (!image_tag_ok(tag) || strncmp(tag, "sha256:", 7) == 0)) {
                call_fail(c, DG_INVALID_INPUT, "input.tag: a tag");
                return;
        }
        image_check(c, ref, tag_send);
}

/*
 * prune: the peer's own tags (<peer>/NAME:TAG, op_image_tag) of images no
 * container uses (the engine would untag those: containers are listed
 * first), one at a time; one the engine refuses (409) is kept.
 * Dangling images carry no tag and so belong to nobody: with
 * dangling=true (the engine's default) nothing is the peer's to prune.
 * Output {"untagged": [refs], "deleted": [image ids]}.
 */
static void prune_removed(struct call *c, json_t *item, const json_t *body, json_t *out)
{
        const json_t *v;
        size_t i;

        json_array_append(json_object_get(out, "untagged"), json_object_get(item, "ref"));
        json_array_foreach(body, i, v)
        {
                const char *d = json_string_value(json_object_get(v, "Deleted"));
                json_t *id;

                if (d == NULL)
                        continue;
                /* "sha256:<hex>" as dockerd writes it (Podman: the hex alone). */
                id = strchr(d, ':') == NULL ? json_sprintf("sha256:%s", d) : json_string(d);
                json_array_append(json_object_get(out, "deleted"), id);
                /* The image itself went (not only its tag): its size is freed. */
                if (json_equal(id, json_object_get(item, "imageId")))
                        ops_reclaimed(out, json_object_get(item, "size"));
                json_decref(id);
        }
}

/* The images containers use (any container's: the image is in use all the same). */
static void prune_users(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st = c->state;
        json_t *cand = json_object_get(st->keep, "candidates"), *v, *ctr;
        json_t *todo = json_object_get(st->keep, "todo");
        const char *img;
        size_t i, j;
        int used;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        json_array_foreach(cand, i, v)
        {
                img = json_string_value(json_object_get(v, "imageId"));
                used = 0;
                json_array_foreach(body, j, ctr)
                {
                        const char *cimg = json_string_value(json_object_get(ctr, "ImageID"));

                        if (img != NULL && cimg != NULL && strcmp(img, cimg) == 0)
                                used = 1;
                }
                if (!used)
                        json_array_append(todo, v);
        }
        ops_remove_each(c, todo, json_object_get(st->keep, "out"), "/images/",
                        "?force=0&noprune=0", prune_removed);
}

static void prune_listed(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct ops_state *st;
        size_t n = strlen(c->peer->name), i, j;
        json_t *cand, *v, *t;
        const char *s;

        c->pending = NULL;
        if (status != 200 || !json_is_array(body)) {
                call_fail_engine(c, status, body);
                return;
        }
        if ((st = ops_state(c)) == NULL)
                return;
        st->keep = json_pack("{s:[],s:[],s:{s:[],s:[],s:i}}", "candidates", "todo", "out",
                             "untagged", "deleted", "spaceReclaimed", 0);
        cand = json_object_get(st->keep, "candidates");
        json_array_foreach(body, i, v)
        {
                json_array_foreach(json_object_get(v, "RepoTags"), j, t)
                {
                        /* As dockerd names it: Podman's docker.io/alpha/x:1 too (profile.h). */
                        s = profile_image_name(engine_profile(c->engine), json_string_value(t));
                        /* SECURITY: only names in the peer's namespace, as tag made them. */
                        if (s != NULL && strncmp(s, c->peer->name, n) == 0 && s[n] == '/' &&
                            image_ref_ok(s))
                                json_array_append_new(
                                    cand, json_pack("{s:s,s:O?,s:O?}", "ref", s, "imageId",
                                                    json_object_get(v, "Id"), "size",
                                                    json_object_get(v, "Size")));
                }
        }
        /* The engine untags an image a container uses: containers are asked first. */
        ops_send(c, "GET", NULL, 0, prune_users, "/containers/json?all=1");
}

void op_image_prune(struct call *c)
{
        const json_t *v;
        size_t i;
        int dangling = 1;

        json_array_foreach(json_object_get(c->input, "filters"), i, v)
        {
                const char *s = json_string_value(v);

                if (strcmp(s, "dangling=false") == 0 || strcmp(s, "dangling=0") == 0)
                        dangling = 0;
                else if (strcmp(s, "dangling=true") != 0 && strcmp(s, "dangling=1") != 0) {
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.filters: only dangling=true or dangling=false");
                        return;
                }
        }
        if (dangling) {
                /* Untagged images are nobody's: nothing of the peer's to prune. */
                call_reply(c, json_pack("{s:[],s:[]}", "untagged", "deleted"));
                return;
        }
        ops_send(c, "GET", NULL, 0, prune_listed, "/images/json");
}
