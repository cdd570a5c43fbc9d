/*
 * cli.c - error and warning helpers of the dockgate tool, and the argument
 * helpers more than one verb needs.  A verb records
 * its failure in cli->err; main prints it once, so that a verb made of
 * several calls (run) decides which failure the user sees.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_seterr(struct cli *cli, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(cli->err, sizeof(cli->err), fmt, ap);
        va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("dockgate: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_usage(struct cli *cli, const char *usage)
{
        cli_seterr(cli, "usage: dockgate %s", usage);
        return CLI_USAGE;
}

int cli_env_add(json_t *env, const char *arg)
{
        const char *val;
        char *kv;
        int rc;

        if (*arg == '\0' || *arg == '=')
                return -1;
        if (strchr(arg, '=') != NULL)
                return json_array_append_new(env, json_string(arg));
        if ((val = getenv(arg)) == NULL)
                return 0;
        if (asprintf(&kv, "%s=%s", arg, val) == -1)
                return -1;
        rc = json_array_append_new(env, json_string(kv));
        free(kv);
        return rc;
}

json_t *cli_strings(char **v, int n)
{
        json_t *a = json_array();
        int i;

        for (i = 0; a != NULL && i < n; i++) {
                if (json_array_append_new(a, json_string(v[i])) == -1) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}
