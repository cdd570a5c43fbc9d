/*
 * op_usage.c - gateway/usage: a peer's accounting (account.h).
 *
 * A peer sees its own usage; only admins may name another peer.  Live
 * streams are counted here, from the workers serving the peer now.
 */
#include <string.h>

#include "account.h"
#include "ops_impl.h"
#include "pool.h"

void op_usage(struct call *c)
{
        struct sv *sv = c->worker->sv;
        const char *want = ops_str(c, "peer");
        const char *who = c->peer->name;

        if (want != NULL && strcmp(want, who) != 0) {
                if (!c->peer->admin) {
                        call_fail(c, DG_FORBIDDEN,
                                  "only admin peers may see another peer's usage");
                        return;
                }
                if (policy_by_name(c->policy, want) == NULL &&
                    account_peer(sv->account, want) == NULL) {
                        call_fail(c, DG_NOT_FOUND, "no such peer");
                        return;
                }
                who = want;
        }
        json_t *out = account_usage(sv->account, who, pool_streams(sv, who, NULL));
        if (out == NULL) {
                call_fail(c, DG_INTERNAL, "out of memory");
                return;
        }
        call_reply(c, out);
}
