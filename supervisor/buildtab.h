/*
 * buildtab.h - the builds each peer has running (docker/image/build,
 * issue 15), so that build.concurrent can be enforced.
 *
 * A build holds one slot of its peer from its handler until its call is
 * freed (the state's free); a peer at build.concurrent slots gets no more.
 * Entries are keyed by peer name, survive policy reloads (the limit is the
 * one in force when a build asks) and go when their last slot does.
 */
#ifndef DG_SV_BUILDTAB_H
#define DG_SV_BUILDTAB_H

#include <stdint.h>

struct buildtab;
struct build_slot;

struct buildtab *buildtab_new(void);
void buildtab_free(struct buildtab *t);

/*
 * One more build for peer, if it has fewer than max running: its slot, or
 * NULL (errno EBUSY when at max, ENOMEM when out of memory).
 */
struct build_slot *buildtab_take(struct buildtab *t, const char *peer, int64_t max);
/* The build ended (NULL is fine). */
void buildtab_release(struct build_slot *s);
/* Builds running for peer. */
int64_t buildtab_running(const struct buildtab *t, const char *peer);

#endif
