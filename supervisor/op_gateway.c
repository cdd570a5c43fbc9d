/*
 * op_gateway.c - gateway/whoami: who the caller is, as the supervisor knows
 * it (never as the worker says), and what the policy lets it do: the
 * operations, images, container defaults and ceilings, quotas, and its
 * usage now, read from the engine like every quota check.
 */
#include <string.h>

#include "ops_impl.h"
#include "pool.h"
#include "quota.h"
#include "schema.h"

static json_t *whoami_identity(const struct call *c)
{
        const struct worker *w = c->worker;

        if (w->tcp)
                return json_pack("{s:s,s:s}", "transport", "tcp", "tokenId", w->token_id);
        return json_pack("{s:s,s:I,s:I}", "transport", "unix", "uid", (json_int_t)w->peer_uid,
                         "gid", (json_int_t)w->peer_gid);
}

/* The operations the peer may call now, spelled out from its patterns. */
static json_t *whoami_operations(const struct call *c)
{
        json_t *out = json_array();

        for (size_t i = 0; out != NULL && i < OPID__COUNT; i++)
                if (policy_allows(c->peer, op_descs[i].verb))
                        json_array_append_new(out, json_string(op_descs[i].name));
        return out;
}

static void whoami_usage(struct call *c, const struct quota_usage *u)
{
        json_t *out = policy_peer_json(c->peer);

        if (out == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        json_object_set_new(out, "peer", json_string(c->peer->name));
        json_object_set_new(out, "identity", whoami_identity(c));
        json_object_set_new(out, "operations", whoami_operations(c));
        json_object_set_new(
            out, "usage",
            json_pack("{s:I,s:I,s:I,s:I,s:i}", "containers", (json_int_t)u->containers,
                      "liveContainers", (json_int_t)u->live, "memoryBytes",
                      (json_int_t)u->memory_bytes, "nanoCpus", (json_int_t)u->nano_cpus,
                      "streams", pool_streams(c->worker->sv, c->peer->name, NULL)));
        call_reply(c, out);
}

void op_gateway_whoami(struct call *c)
{
        quota_usage(c, whoami_usage);
}
