/*
 * each.c - one mutation on each of several named resources (rm, kill,
 * pause, network rm...), printing each name that succeeded as docker does.
 */
#include <stdio.h>

#include "invoke.h"

int each_call(struct cli *cli, const char *op, const char *key, char **names, int n,
              json_t *extra)
{
        int i, rc, worst = CLI_OK;
        json_t *in, *out;

        for (i = 0; i < n; i++) {
                if ((in = json_pack("{s:s}", key, names[i])) == NULL ||
                    (extra != NULL && json_object_update(in, extra) == -1)) {
                        json_decref(in);
                        cli_seterr(cli, "invalid %s (not UTF-8?)", key);
                        return CLI_USAGE;
                }
                rc = invoke_query(cli, op, in, &out);
                json_decref(in);
                json_decref(out);
                if (rc == CLI_OK) {
                        printf("%s\n", names[i]);
                        fflush(stdout);
                        continue;
                }
                /* The stream is gone or the user wants out: no point going on. */
                if (rc == CLI_ABORTED || rc == CLI_CLOSED || rc == CLI_USAGE)
                        return rc;
                /* Report this one now; the next call clears cli->err. */
                if (i < n - 1)
                        cli_warn("%s: %s", names[i], cli->err);
                if (worst == CLI_OK)
                        worst = rc;
        }
        return worst;
}
