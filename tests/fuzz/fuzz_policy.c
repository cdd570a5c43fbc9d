/*
 * fuzz_policy.c - the policy file parser (supervisor/policy.c).
 *
 * Input: a policy file.  It is loaded as policy_load() loads it (jansson,
 * duplicate keys refused), then parsed.  A refused policy must say why in
 * its report; an accepted one must be usable: every peer is found again by
 * name, by each of its uids and gids, and every query the broker makes of
 * it (operations, images, networks, users, a create's input, whoami)
 * terminates without a sanitizer finding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy.h"

static const char *const fuzz_ops[] = {
    "docker/system/ping", "docker/container/create", "docker/image/remove", "gateway/usage", "",
};

static const char *const fuzz_images[] = {
    "dgtest:latest", "127.0.0.1:5000/dgtest", "library/debian@sha256:0123", "", "a:b:c",
};

static const char *const fuzz_users[] = {"",     "0",         "1000", "1000:0",
                                         "root", "1000:1000", "x:y:z"};

static void fuzz_queries(const struct policy *p, const struct peer_policy *pp)
{
        char err[256], id[POLICY_TOKEN_ID_LEN + 1];
        json_t *in, *who;
        size_t i;

        if (pp->name[0] == '\0' || policy_by_name(p, pp->name) != pp)
                abort();
        if (pp->nuids > POLICY_MAX_IDS || pp->ngids > POLICY_MAX_IDS ||
            pp->noperations > POLICY_MAX_PATTERNS || pp->nimages > POLICY_MAX_PATTERNS)
                abort();
        for (i = 0; i < pp->nuids; i++)
                if (policy_by_uid(p, pp->uids[i]) != pp ||
                    policy_by_cred(p, pp->uids[i], (gid_t)-1) != pp)
                        abort();
        for (i = 0; i < pp->ngids; i++)
                if (policy_by_cred(p, (uid_t)-2, pp->gids[i]) == NULL)
                        abort();
        for (i = 0; i < sizeof(fuzz_ops) / sizeof(fuzz_ops[0]); i++)
                (void)policy_allows(pp, fuzz_ops[i]);
        for (i = 0; i < sizeof(fuzz_images) / sizeof(fuzz_images[0]); i++) {
                (void)policy_image_allowed(pp, fuzz_images[i], NULL);
                (void)policy_image_allowed(pp, fuzz_images[i], "v1");
        }
        (void)policy_network_allowed(pp, "none");
        (void)policy_network_allowed(pp, "bridge");
        for (i = 0; i < sizeof(fuzz_users) / sizeof(fuzz_users[0]); i++)
                (void)policy_check_user(pp, fuzz_users[i], err, sizeof(err));
        (void)policy_check_user(pp, NULL, err, sizeof(err));
        in = json_pack("{s:s,s:s}", "image", "dgtest:latest", "user", "1000");
        (void)policy_check_call(pp, "docker/container/create", in, err, sizeof(err));
        json_decref(in);
        (void)policy_by_token(p, "not-a-real-token", id);
        if ((who = policy_peer_json(pp)) == NULL)
                abort();
        json_decref(who);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct policy_report report;
        struct policy *p;
        json_t *root;

        root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
        if (root == NULL)
                return 0;
        memset(&report, 0, sizeof(report));
        p = policy_parse(root, &report);
        json_decref(root);
        if (report.len >= sizeof(report.text) || report.text[report.len] != '\0')
                abort();
        if (p == NULL) {
                if (report.errors == 0 || report.len == 0)
                        abort(); /* refused without saying why */
                return 0;
        }
        if (report.errors != 0 || p->npeers == 0 || p->refs != 1)
                abort();
        for (size_t i = 0; i < p->npeers; i++)
                fuzz_queries(p, &p->peers[i]);
        policy_unref(policy_ref(p));
        policy_unref(p);
        return 0;
}
