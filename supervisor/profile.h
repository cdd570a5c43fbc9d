/*
 * profile.h - the engine profile: which engine answers on the engine socket
 * (dockerd or Podman's Docker-compatible service), its version and API
 * version, and every choice dockgate makes differently for it.  No other
 * module asks "is this Podman?": each reads the choice it needs from here.
 * docs/engines.md lists the differences and the test that shows each.
 *
 * A leaf: it never calls the engine.  detect.c fills it (at start and on
 * reconnect); engine.c keeps it (engine_profile()) and corrects statuses
 * with it.  Until the first detection the kind is unknown; a caller that
 * needs a choice before that (container create) asks GET /version itself
 * and passes the answer to profile_from_version().
 */
#ifndef DG_PROFILE_H
#define DG_PROFILE_H

#include <jansson.h>

struct engine;

enum engine_kind { ENGINE_UNKNOWN = 0, ENGINE_DOCKER, ENGINE_PODMAN };

struct engine_profile {
        enum engine_kind kind;
        char version[64];     /* the engine's own version ("28.2.2", "4.3.1") */
        char api_version[16]; /* the Docker API version it serves ("1.41") */

        /* --- the choices, set from kind (profile.c's table) --- */
        const char *name; /* "docker", "podman", "unknown": reported by version */
        /*
         * The log driver of every container dockgate creates: one that keeps
         * output bytes (not UTF-8 only) and their order.  dockerd: "local"
         * (json-file turns invalid UTF-8 into U+FFFD).  Podman has no
         * "local"; its "k8s-file" keeps bytes as written.
         */
        const char *log_driver;
        /*
         * The engine drops events whose actor has no labels from a label
         * filter but also puts no labels on network and volume events:
         * set for both engines today; kept as a choice so that an engine
         * that labels them can serve them to their owners.
         */
        int events_labels_containers_only;
        /*
         * Podman names images fully ("docker.io/library/dgtest:latest") where
         * dockerd gives the familiar form ("dgtest:latest"): set, dockgate
         * shows peers the familiar form, as dockerd would (profile_image_name()).
         */
        int qualified_image_names;
        /*
         * The ps_args of container top, or NULL for the engine's default.
         * Podman's default (and dockerd's "-ef") runs ps inside the
         * container and answers each row as one unsplit string; with ps
         * descriptors it reads /proc itself and splits the columns.
         */
        const char *top_ps_args;
        /*
         * Podman's compat DELETE /networks/X removes a network that running
         * containers are on (dockerd answers 403): set, dockgate refuses it
         * itself (CONFLICT) when the network's inspect lists containers.
         */
        int network_rm_removes_in_use;
        /*
         * Podman 4.3 loses log lines when following a container that has
         * exited (k8s-file; seen in 3 runs of 3 straight on the engine), and
         * answers them all without follow: set, dockgate drops follow for a
         * container that is not running.
         */
        int logs_follow_exited_loses;
        /*
         * Podman 4.3 answers top of a container that is not running with 200
         * and an empty body (dockerd: 409, "is not running"): set, dockgate
         * refuses it itself (CONFLICT) when the inspect says not running.
         */
        int top_not_running_answers;
        /*
         * Podman 4.3's wait with condition "removed" answers StatusCode 0
         * whatever the container exited with (next-exit gives the code): set,
         * dockgate waits for the exit first (next-exit for a container not
         * yet started, not-running otherwise), keeps its code, then waits
         * for the removal (a container already gone counts as removed).
         */
        int wait_removed_loses_code;
        /*
         * SECURITY: Podman 4.3's events OR several label filters (seen with
         * curl: label=[own=alpha, t=x] sends a container labelled own=beta,
         * t=x).  Set, a non-admin peer's own label filters on events are
         * refused (INVALID_INPUT): the owner label must be the only one.
         */
        int events_labels_ored;
        /*
         * SECURITY: Podman 4.3's compat create ignores HostConfig.Runtime
         * (a create asking for "nosuchrt" starts under runc), so a policy's
         * runtime (runsc, say) would silently not hold.  Set, the path
         * before "<id>/json" of the engine's own inspect, whose OCIRuntime
         * says which runtime the container got: dockgate checks it after a
         * create that asked for a runtime, and removes the container and
         * refuses the create when it is not the one asked.  NULL: the
         * engine honours Runtime.
         */
        const char *runtime_inspect;
        /*
         * Podman 4.3's container list filter health=none matches nothing
         * (a container without a health check has no health status to
         * match), and its list elements carry no health: set, dockgate
         * refuses health=none (INVALID_INPUT, "not supported on Podman").
         */
        int health_none_unmatched;
        /*
         * Podman 4.3's compat create ignores Config.Domainname (the
         * container's kernel domainname stays "(none)"): set, dockgate
         * refuses a create with a domainname (INVALID_INPUT).
         */
        int domainname_ignored;
        /*
         * Podman 4.3 (file events backend) ends an events answer when until
         * has passed on the clock, whatever it has read: an until already
         * past answers nothing (seen with curl: the same window answered
         * once, then nothing).  Set, dockgate asks for such a window with
         * stream=false (everything up to now, then the end) and drops what
         * comes after until itself (evrelay.h).
         */
        int events_until_past_empty;
        /*
         * Podman 4.3 names a container's removal event "remove" where
         * dockerd says "destroy": set, the engine's name; dockgate shows it
         * as "destroy" (evrelay.c, every stream) and sends an event=destroy
         * filter as both.  NULL: the engine says destroy.
         */
        const char *container_destroy_action;
        /*
         * Podman 4.3's container list filter network=none matches nothing
         * (its list shows such a container's Networks as null): set,
         * dockgate applies network=none itself (filters_keep(): no network
         * but "none") and refuses it beside other network values.
         */
        int network_none_unmatched;
        /*
         * Podman 4.3's /system/df shows every container's and volume's
         * Labels as {}: set, dockgate tells the caller's own from the
         * engine's lists under its owner label (op_df.c).
         */
        int df_without_labels;
        /*
         * Podman 4.3's archive put into a path that does not exist makes
         * it, directories and all (dockerd: 404): set, dockgate asks the
         * engine's stat of the path first (HEAD) and answers NOT_FOUND for
         * a missing one.  docker cp's "is it a directory" probe relies on it.
         */
        int archive_put_makes_path;

        /* --- detection state (detect.c's own) --- */
        struct engine *engine;
        int detecting; /* a detection is in flight */
        int stale;     /* the engine went away since the last detection */
        int reported;  /* logged at least once */
};

/* Sets the choices from p->kind. */
void profile_apply(struct engine_profile *p);
/* Sets kind, versions and choices from a GET /version document; 0, or -1 if not one. */
int profile_from_version(struct engine_profile *p, const json_t *version);
/*
 * Sets kind, versions and choices from /_ping's headers (as
 * engine_request_headers() gives them) when they name Podman; 0, or -1 when
 * they do not (then GET /version tells).
 */
int profile_from_ping(struct engine_profile *p, const json_t *headers);
/* The engine's name for messages: "Docker Engine", "Podman". */
const char *profile_display_name(const struct engine_profile *p);
/*
 * An image reference as dockerd would show it: past "docker.io/library/" or
 * "docker.io/" when the engine qualifies names; s itself otherwise.
 */
const char *profile_image_name(const struct engine_profile *p, const char *s);
/*
 * An image reference as an engine that qualifies names matches it in
 * filters (Podman's ancestor matches "docker.io/library/dgtest", not
 * "dgtest"): 1 with it in buf, 0 when the engine does not qualify names or
 * ref names a registry or is an ID already.
 */
int profile_qualified_ref(const struct engine_profile *p, const char *ref, char *buf,
                          size_t len);
/* A new array of the string elements of a, each through profile_image_name(). */
json_t *profile_image_names(const struct engine_profile *p, const json_t *a);
/*
 * The status dockerd would have answered for an engine error: Podman
 * answers some refusals with 500 where dockerd says 404 or 409 (profile.c's
 * table).  Called by engine.c for every answer of 400 and up.
 */
int profile_status(const struct engine_profile *p, int status, const json_t *body);

#endif
