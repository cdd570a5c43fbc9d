/*
 * imageown.h - whose an image is (issue 15).  Images a peer builds carry
 * the owner label and its tags live in its namespace ("<peer>/NAME:TAG");
 * shared images (the allowlist's) carry neither and stay everyone's.
 *
 * For a non-admin peer, an image is another's when its owner label names
 * another peer, or when every name it has lies in another peer's
 * namespace; a reference is another's when its first component is the
 * name of another peer of the policy (after the registry prefixes the
 * engine drops: "docker.io/", "index.docker.io/").  Another's image is
 * answered exactly as a missing one (NOT_FOUND "no such image"), and
 * other peers' names are left out of the names a peer is shown.
 */
#ifndef DG_IMAGEOWN_H
#define DG_IMAGEOWN_H

#include <jansson.h>

struct call;

/* 1 when ref lies in another peer's namespace. */
int image_ref_foreign(const struct call *c, const char *ref);
/* 1 when the engine document (inspect: Config.Labels; list element: Labels) is another's. */
int image_doc_foreign(const struct call *c, const json_t *doc);
/* 1 when doc has a name in another peer's namespace (removing it by ID would untag it). */
int image_doc_shared_names(const struct call *c, const json_t *doc);
/* Drops other peers' names from doc's RepoTags and RepoDigests. */
void image_doc_own_names(const struct call *c, json_t *doc);
/* Drops other peers' images from an engine list, and their names from the rest. */
void image_list_own(const struct call *c, json_t *list);
/*
 * 1 when the engine could read ref as an image ID or a prefix of one
 * ("sha256:..." or hex alone, which it tries after the name): the
 * document must then be asked for and checked with image_doc_foreign.
 */
int image_ref_may_be_id(const char *ref);
/* 1 when ref lies in the caller's own namespace. */
int image_ref_own(const struct call *c, const char *ref);

/*
 * A bare reference is the peer's own first, as a container name is
 * (docs/policy.md): for a non-admin peer's container/create,
 * image/inspect, image/remove and image/tag, input.image "REF" is read as
 * "<peer>/REF" when that image exists and is not another's; else it stays
 * REF (a shared image, the allowlist's).  image_own_candidate writes the
 * name tried first and returns 1, or returns 0 when REF is tried as given
 * (already in a namespace, an ID, a registry's, or too long).
 * image_resolve_own rewrites c->input's "image" and runs then(c).
 */
int image_own_candidate(const struct call *c, const char *ref, char *out, size_t outlen);
void image_resolve_own(struct call *c, void (*then)(struct call *c));

/*
 * The policy's image quotas (quotas.images, quotas.imageBytes), counted
 * from the engine's list of the images carrying the peer's owner label:
 * then() runs when both are under their limit; else the call fails
 * QUOTA_EXCEEDED saying which and what to do.
 */
void image_quota_check(struct call *c, void (*then)(struct call *c));

#endif
