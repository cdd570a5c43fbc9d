/*
 * buildcg.h - the per-peer cgroup parent of builds (docker/image/build,
 * issue 15).
 *
 * The classic builder has no pids option, so a fork bomb in a RUN would
 * be bounded by nothing but the host.  Every build is therefore passed a
 * cgroup parent, "/<root>/<peer>", that the supervisor made with a pids
 * limit and a memory limit (the policy's build.pidsMax, build.memoryBytes):
 * every RUN container of that peer's builds is created inside it, so the
 * limits hold over all of them together.  <root> is the setting
 * buildCgroup (default "dockgate-build").
 *
 * Only the engine's cgroupfs driver can be given such a parent: the
 * engine's GET /info says which driver and which cgroup version it uses.
 * On cgroup v1 the directory is made in the pids and memory hierarchies
 * (the other ones runc makes itself); on cgroup v2 in the unified one,
 * with the pids and memory controllers enabled on the way down.  With the
 * systemd driver a parent must be a slice that systemd makes and owns,
 * which dockgate cannot give limits without systemd's bus: refused.
 * Mount points come from /proc/self/mountinfo; dockgated must run in the
 * engine's mount and cgroup namespaces with the cgroup filesystem writable.
 */
#ifndef DG_SV_BUILDCG_H
#define DG_SV_BUILDCG_H

#include <stddef.h>
#include <stdint.h>

struct buildcg_want {
        const char *driver;  /* the engine's CgroupDriver: "cgroupfs" (else refused) */
        const char *version; /* its CgroupVersion: "1" or "2" */
        const char *root;    /* the buildCgroup setting: one path component */
        const char *peer;    /* a policy name: one path component */
        int64_t pids_max;    /* > 0 */
        int64_t memory_max;  /* bytes, > 0 */
};

/*
 * Makes <root>/<peer> (or finds it made) and sets its limits: 0 with
 * parent set to "/<root>/<peer>", the engine's cgroupparent; -1 with err
 * saying what could not be done (peer-facing: it names no host path but
 * the cgroup's own).
 */
int buildcg_make(const struct buildcg_want *w, char *parent, size_t plen, char *err,
                 size_t errlen);
/*
 * Removes <root>/<peer> from every cgroup hierarchy (runc made it in the
 * other v1 ones too): 0 when none is left, -1 when one could not be
 * removed (errno EBUSY: a container is still in it).
 */
int buildcg_remove(const char *root, const char *peer);
/* Removes <root> from every hierarchy where it is empty (shutdown). */
void buildcg_remove_root(const char *root);
/* 1 when s is a name buildcg accepts for a root: [A-Za-z0-9_.-], not "." or "..", at most 64.
 */
int buildcg_name_ok(const char *s);

#endif
