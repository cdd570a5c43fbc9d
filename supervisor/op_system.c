/*
 * op_system.c - docker/system operations: ping, version.  version names
 * the engine kind ("docker", "podman") beside its versions (profile.h).
 */
#include "ops_impl.h"
#include "profile.h"
#include "supervisor.h"

static void ping_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;

        c->pending = NULL;
        if (status == 200)
                call_reply(c, json_pack("{s:b}", "ok", 1));
        else
                call_fail_engine(c, status, body);
}

void op_ping(struct call *c)
{
        ops_send(c, "GET", NULL, 0, ping_done, "/_ping");
}

static void version_done(int status, json_t *body, const char *raw, size_t rawlen, void *arg)
{
        struct call *c = arg;
        struct engine_profile *p = engine_profile(c->engine);
        const char *ev, *av;

        c->pending = NULL;
        if (status != 200) {
                call_fail_engine(c, status, body);
                return;
        }
        if (call_engine_view(c)) {
                /* The Docker front renders the engine's document itself. */
                call_reply(c, json_incref(body));
                return;
        }
        ev = json_string_value(json_object_get(body, "Version"));
        av = json_string_value(json_object_get(body, "ApiVersion"));
        /* The answer is a fresh detection too: keep the profile in step. */
        profile_from_version(p, body);
        call_reply(c, json_pack("{s:s,s:s,s:s,s:s}", "engine", p->name, "engineVersion",
                                ev ? ev : "", "apiVersion", av ? av : "", "dockgateVersion",
                                DG_VERSION));
}

void op_version(struct call *c)
{
        ops_send(c, "GET", NULL, 0, version_done, "/version");
}
