/*
 * buildtab.h - the builds each peer has running (docker/image/build,
 * issue 15): build.concurrent, and the per-peer cgroup parents.
 *
 * A build holds one slot of its peer from its handler until its call is
 * freed (the state's free); a peer at build.concurrent slots gets no more.
 * Entries are keyed by peer name and survive policy reloads (the limit is
 * the one in force when a build asks).
 *
 * The peer's build cgroup (buildcg.h) is removed once it has had no build
 * for BUILDTAB_LINGER_S, retried while a container is still in it, and at
 * shutdown.  It is not removed the moment the last build ends: the engine
 * tears an aborted build down after its connection closed, and the
 * cgroup must still be there (with its limits) should the engine start one
 * more RUN container meanwhile; runc would otherwise make the directory
 * anew, without limits.
 */
#ifndef DG_SV_BUILDTAB_H
#define DG_SV_BUILDTAB_H

#include <event2/event.h>
#include <stdint.h>

#define BUILDTAB_LINGER_S 30

struct buildtab;
struct build_slot;

/*
 * base: for the removal timer (NULL: no timer, removal only at free);
 * cgroot: the buildCgroup setting (NULL: no cgroups are made).
 */
struct buildtab *buildtab_new(struct event_base *base, const char *cgroot);
/* Removes the cgroups left (waiting up to a second or two for the engine's last containers). */
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
/* The build of s was given the peer's cgroup: it is to be removed later. */
void buildtab_cgroup_made(struct build_slot *s);
/* The buildCgroup root, or NULL. */
const char *buildtab_cgroot(const struct buildtab *t);

#endif
