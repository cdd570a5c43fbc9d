/*
 * lifecycle.c - the container verbs that change or report a container's
 * state: wait, kill, restart, pause, unpause, top.  Each is one operation
 * per container named (each.c), printed as docker prints it.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "invoke.h"
#include "table.h"

#define LIFECYCLE_TOP_COLS 64 /* ps columns we print at most; ps has a dozen */

/* The verb takes no options and one or more containers. */
static int lifecycle_names(struct cli *cli, int argc, char **argv, const char *usage)
{
        optind = 0;
        if (getopt(argc, argv, "+") != -1 || optind == argc)
                return cli_usage(cli, usage);
        return CLI_OK;
}

/* One container's wait: its exit code on a line of its own. */
static int lifecycle_wait_one(struct cli *cli, const char *name)
{
        json_t *out, *code;
        int rc;

        if ((rc = invoke_named(cli, "docker/container/wait", "containerId", name, &out)) !=
            CLI_OK)
                return rc;
        if (!json_is_integer(code = json_object_get(out, "exitCode"))) {
                cli_seterr(cli, "docker/container/wait: output without exitCode");
                rc = CLI_FAILED;
        } else {
                printf("%" JSON_INTEGER_FORMAT "\n", json_integer_value(code));
                fflush(stdout);
        }
        json_decref(out);
        return rc;
}

/* wait exits 0 whatever the codes: they are its output, as with docker. */
int lifecycle_wait(struct cli *cli, int argc, char **argv)
{
        int i, rc, worst = CLI_OK;

        if ((rc = lifecycle_names(cli, argc, argv, "wait CONTAINER...")) != CLI_OK)
                return rc;
        for (i = optind; i < argc; i++) {
                if ((rc = lifecycle_wait_one(cli, argv[i])) == CLI_OK)
                        continue;
                if (rc == CLI_ABORTED || rc == CLI_CLOSED || rc == CLI_USAGE)
                        return rc;
                if (i < argc - 1)
                        cli_warn("%s: %s", argv[i], cli->err);
                if (worst == CLI_OK)
                        worst = rc;
        }
        return worst;
}

int lifecycle_kill(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"signal", required_argument, NULL, 's'},
            {NULL, 0, NULL, 0},
        };
        const char *sig = NULL;
        json_t *extra = NULL;
        int ch, rc;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+s:", longopts, NULL)) != -1) {
                if (ch != 's' || *optarg == '\0')
                        return cli_usage(cli, "kill [-s SIGNAL] CONTAINER...");
                sig = optarg;
        }
        if (optind == argc)
                return cli_usage(cli, "kill [-s SIGNAL] CONTAINER...");
        /* The name or number goes as given: the supervisor checks it. */
        if (sig != NULL && (extra = json_pack("{s:s}", "signal", sig)) == NULL) {
                cli_seterr(cli, "invalid signal (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = each_call(cli, "docker/container/kill", "containerId", argv + optind,
                       argc - optind, extra);
        json_decref(extra);
        return rc;
}

int lifecycle_restart(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"time", required_argument, NULL, 't'},
            {NULL, 0, NULL, 0},
        };
        json_t *extra = NULL;
        long timeout = -1;
        char *end;
        int ch, rc;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+t:", longopts, NULL)) != -1) {
                if (ch != 't')
                        return cli_usage(cli, "restart [-t SECONDS] CONTAINER...");
                timeout = strtol(optarg, &end, 10);
                if (*optarg == '\0' || *end != '\0' || timeout < 0 || timeout > INT_MAX)
                        return cli_usage(cli, "restart [-t SECONDS] CONTAINER...");
        }
        if (optind == argc)
                return cli_usage(cli, "restart [-t SECONDS] CONTAINER...");
        if (timeout >= 0)
                extra = json_pack("{s:I}", "timeoutSeconds", (json_int_t)timeout);
        rc = each_call(cli, "docker/container/restart", "containerId", argv + optind,
                       argc - optind, extra);
        json_decref(extra);
        return rc;
}

int lifecycle_pause(struct cli *cli, int argc, char **argv)
{
        int rc;

        if ((rc = lifecycle_names(cli, argc, argv, "pause CONTAINER...")) != CLI_OK)
                return rc;
        return each_call(cli, "docker/container/pause", "containerId", argv + optind,
                         argc - optind, NULL);
}

int lifecycle_unpause(struct cli *cli, int argc, char **argv)
{
        int rc;

        if ((rc = lifecycle_names(cli, argc, argv, "unpause CONTAINER...")) != CLI_OK)
                return rc;
        return each_call(cli, "docker/container/unpause", "containerId", argv + optind,
                         argc - optind, NULL);
}

/*
 * docker/container/top's {"titles": [...], "processes": [[...]...]} as a
 * table.  The titles decide the columns; a short row is padded, a long
 * one cut, so that hostile output cannot misalign what follows.
 */
static int lifecycle_top_table(json_t *out)
{
        json_t *titles = json_object_get(out, "titles"),
               *procs = json_object_get(out, "processes");
        const char *row[LIFECYCLE_TOP_COLS];
        struct table t;
        size_t ncols = json_array_size(titles), i, k;
        json_t *p;
        int rc;

        if (ncols == 0 || ncols > LIFECYCLE_TOP_COLS || !json_is_array(procs))
                return -1;
        for (k = 0; k < ncols; k++)
                row[k] = json_string_value(json_array_get(titles, k));
        if (table_init(&t, ncols, row) == -1)
                return -1;
        json_array_foreach(procs, i, p)
        {
                for (k = 0; k < ncols; k++)
                        row[k] = json_string_value(json_array_get(p, k));
                table_add(&t, row);
        }
        rc = table_print(&t);
        table_free(&t);
        return rc;
}

int lifecycle_top(struct cli *cli, int argc, char **argv)
{
        json_t *out;
        int rc;

        optind = 0;
        if (getopt(argc, argv, "+") != -1 || argc - optind != 1)
                return cli_usage(cli, "top CONTAINER");
        rc = invoke_named(cli, "docker/container/top", "containerId", argv[optind], &out);
        if (rc == CLI_OK && lifecycle_top_table(out) == -1) {
                cli_seterr(cli, "docker/container/top: output is not a process table");
                rc = CLI_FAILED;
        }
        json_decref(out);
        return rc;
}
