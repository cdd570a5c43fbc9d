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

void cli_connect_failed(struct cli *cli, const char *why)
{
        cli_seterr(cli,
                   "cannot connect to dockgated at %s; is dockgated running? Set "
                   "DOCKGATE_SOCKET (or --socket) to the socket it listens on",
                   why);
}

int cli_run_status(const struct cli *cli)
{
        /* The engine's words for a command runc could not start (the start call's error). */
        if (strstr(cli->err, "starting container process") == NULL &&
            strstr(cli->err, "exec: ") == NULL)
                return 125;
        if (strstr(cli->err, "executable file not found") != NULL ||
            strstr(cli->err, "no such file or directory") != NULL)
                return 127;
        if (strstr(cli->err, "permission denied") != NULL)
                return 126;
        return 125;
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
