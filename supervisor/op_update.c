/*
 * op_update.c - docker/container/update: a container's limits and restart
 * policy changed in place (POST /containers/{id}/update).
 *
 * SECURITY (quotas): the quota totals count each container's limits as
 * stamped at create (<ownerLabel>.memory, <ownerLabel>.nanocpus: quota.h),
 * and labels cannot change.  So memory and CPUs may only go down from the
 * stamped value (or back up to it): the totals then stay at or above what
 * the containers really hold.  A raise above the stamp is FORBIDDEN, as is
 * anything above the peer's ceilings.  pidsLimit is in no quota: within
 * the ceiling.  The engine's body is built here from the checked input
 * only; swap stays off (MemorySwap follows Memory, as at create).
 */
#include <stdio.h>
#include <string.h>

#include "create_body.h"
#include "ops_impl.h"

static void update_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        json_t *w = json_object_get(body, "Warnings");

        c->pending = NULL;
        if (status != 200) {
                ops_fail_engine(c, status, body);
                return;
        }
        /* "o": the object passed is the reply's, a borrowed w taken first. */
        call_reply(c, json_pack("{s:o}", "warnings",
                                json_is_array(w) ? json_incref(w) : json_array()));
}

/*
 * One limit of input.limits into body as the engine's key: 0 when absent or
 * set, -1 after answering.  stamp: the create-time value (-1: not counted).
 */
static int update_limit(struct call *c, json_t *body, const char *key, const char *engine_key,
                        int64_t ceiling, int64_t stamp)
{
        json_t *v = json_object_get(json_object_get(c->input, "limits"), key);
        int64_t n;

        if (!json_is_integer(v))
                return 0;
        n = json_integer_value(v);
        if (n > ceiling) {
                call_fail(c, DG_FORBIDDEN,
                          "input.limits.%s: %lld is above this peer's ceiling of %lld", key,
                          (long long)n, (long long)ceiling);
                return -1;
        }
        if (stamp >= 0 && n > stamp) {
                call_fail(c, DG_FORBIDDEN,
                          "input.limits.%s: %lld is above the container's create-time value "
                          "of %lld: an update may lower a limit, or raise it back to that "
                          "value, never above (quota totals count the create-time value)",
                          key, (long long)n, (long long)stamp);
                return -1;
        }
        json_object_set_new(body, engine_key, json_integer((json_int_t)n));
        return 0;
}

static void update_resolved(struct call *c, const char *id, json_t *inspect)
{
        const struct peer_policy *pp = c->peer;
        const json_t *labels = json_object_get(json_object_get(inspect, "Config"), "Labels");
        const char *owner = c->policy->owner_label, *rp = ops_str(c, "restartPolicy"), *why;
        json_t *body = json_object(), *doc;
        int64_t mem = quota_stamped(owner, labels, "memory", pp->defaults.memory_bytes);
        int64_t cpus = quota_stamped(owner, labels, "nanocpus", pp->defaults.nano_cpus);

        if (body == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        if (update_limit(c, body, "memoryBytes", "Memory", pp->ceilings.memory_bytes, mem) ==
                -1 ||
            update_limit(c, body, "nanoCpus", "NanoCpus", pp->ceilings.nano_cpus, cpus) == -1 ||
            update_limit(c, body, "pidsLimit", "PidsLimit", pp->ceilings.pids_limit, -1) ==
                -1) {
                json_decref(body);
                return;
        }
        /* No swap beyond the memory limit, as at create. */
        if ((doc = json_object_get(body, "Memory")) != NULL)
                json_object_set_new(body, "MemorySwap", json_integer(json_integer_value(doc)));
        if (rp != NULL) {
                if ((doc = create_restart_policy(rp, &why)) == NULL) {
                        json_decref(body);
                        call_fail(c, DG_INVALID_INPUT, "input.restartPolicy: %s", why);
                        return;
                }
                if (strcmp(rp, "no") != 0 &&
                    json_is_true(json_object_get(json_object_get(inspect, "HostConfig"),
                                                 "AutoRemove"))) {
                        json_decref(doc);
                        json_decref(body);
                        call_fail(c, DG_INVALID_INPUT,
                                  "input.restartPolicy: the container is removed when it "
                                  "stops (autoRemove): no restart policy");
                        return;
                }
                json_object_set_new(body, "RestartPolicy", doc);
        }
        ops_send(c, "POST", body, 0, update_done, "/containers/%s/update", id);
        json_decref(body);
}

void op_container_update(struct call *c)
{
        resolve_container(c, ops_str(c, "containerId"), update_resolved);
}
