/*
 * run.c - `dockgate run`: create, start, follow the logs until the
 * container exits, fetch its exit code, remove it with --rm, and exit with
 * that code.  The calls go one after the other on the tool's one stream.
 * With -i or -t the middle part is an interactive session (exec.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invoke.h"
#include "create_flags.h"
#include "raw.h"

#define RUN_USAGE                                                                              \
        "run [-d] [-i] [-t] [--rm] [--name NAME] [-e KEY=VALUE]... [-p [IP:][HOST:]PORT]...\n" \
        "       [-v SRC:/PATH[:ro]]... [--network NET] [-m SIZE] [--cpus N] [OPTIONS] IMAGE "  \
        "[CMD...]\n       (see docs/cli.md for every flag)"
#define CREATE_USAGE "create [OPTIONS as for run, without -d and --rm] IMAGE [CMD...]"

/* Creates the container; *id is malloc'd on success. */
static int run_create(struct cli *cli, const struct cflags *o, char **id)
{
        json_t *out, *w;
        const char *cid;
        size_t i;
        int rc;

        rc = invoke_query(cli, "docker/container/create", o->input, &out);
        if (rc != CLI_OK)
                return rc;
        json_array_foreach(json_object_get(out, "warnings"), i, w)
        {
                if (json_is_string(w))
                        cli_warn("warning: %s", json_string_value(w));
        }
        cid = json_string_value(json_object_get(out, "containerId"));
        if (cid == NULL || *cid == '\0' || (*id = strdup(cid)) == NULL) {
                cli_seterr(cli, "docker/container/create: output without containerId");
                rc = CLI_FAILED;
        }
        json_decref(out);
        return rc;
}

/* docker/container/wait where the server has it and lets us use it; else inspect. */
static int run_exit_code(struct cli *cli, const char *id, int *code)
{
        json_t *out, *v;
        const char *err;
        int rc;

        rc = invoke_named(cli, "docker/container/wait", "containerId", id, &out);
        if (rc == CLI_OK) {
                v = json_object_get(out, "exitCode");
                if ((err = json_string_value(json_object_get(out, "error"))) && *err != '\0')
                        cli_warn("container error: %s", err);
                if (json_is_true(json_object_get(out, "oomKilled")))
                        cli_warn("container was killed: out of memory");
        } else if (rc == CLI_FAILED && (strcmp(cli->errcode, "INVALID_INPUT") == 0 ||
                                        strcmp(cli->errcode, "FORBIDDEN") == 0)) {
                if ((rc = invoke_named(cli, "docker/container/inspect", "containerId", id,
                                       &out)) != CLI_OK)
                        return rc;
                v = json_object_get(json_object_get(out, "State"), "ExitCode");
        } else
                return rc;
        if (!json_is_integer(v)) {
                cli_seterr(cli, "no exit code for container %.12s", id);
                rc = CLI_FAILED;
        } else {
                /* An exit status holds 0..255; anything else is not a process's code. */
                *code = json_integer_value(v) >= 0 && json_integer_value(v) <= 255
                            ? (int)json_integer_value(v)
                            : 255;
        }
        json_decref(out);
        return rc;
}

/* --rm: remove, keeping the error (if any) that the run itself ended with. */
static void run_remove(struct cli *cli, const char *id)
{
        char err[sizeof(cli->err)], code[sizeof(cli->errcode)];
        json_t *in, *out;

        memcpy(err, cli->err, sizeof(err));
        memcpy(code, cli->errcode, sizeof(code));
        if ((in = json_pack("{s:s, s:b}", "containerId", id, "force", 1)) == NULL)
                cli_warn("removing %.12s: out of memory", id);
        else if (invoke_query(cli, "docker/container/remove", in, &out) != CLI_OK)
                cli_warn("removing %.12s: %s", id, cli->err);
        else
                json_decref(out);
        json_decref(in);
        memcpy(cli->err, err, sizeof(err));
        memcpy(cli->errcode, code, sizeof(code));
}

/* Without -i or -t: start, follow the logs to the end, then the exit code. */
static int run_detached_io(struct cli *cli, const char *id, int *code)
{
        json_t *out;
        int rc;

        if ((rc = invoke_named(cli, "docker/container/start", "containerId", id, &out)) ==
            CLI_OK) {
                json_decref(out);
                rc = container_follow_logs(cli, id, 1);
        }
        if (rc == CLI_OK)
                rc = run_exit_code(cli, id, code);
        return rc;
}

/* Parses run's or create's flags; CLI_OK, or the status to return. */
static int run_flags(struct cli *cli, int argc, char **argv, int run, struct cflags *o)
{
        char err[512];
        int rc = cflags_parse(argc, argv, run, o, err, sizeof(err));

        if (rc == -2) {
                if (err[0] != '\0')
                        cli_seterr(cli, "%s", err);
                return cli->err[0] != '\0' ? CLI_USAGE
                                           : cli_usage(cli, run ? RUN_USAGE : CREATE_USAGE);
        }
        if (rc == -1) {
                cli_seterr(cli, "%s", err[0] ? err : "out of memory");
                return CLI_USAGE;
        }
        return CLI_OK;
}

/* -d: start, print the ID, and leave it running. */
static int run_detach(struct cli *cli, const char *id)
{
        json_t *out;
        int rc;

        if ((rc = invoke_named(cli, "docker/container/start", "containerId", id, &out)) ==
            CLI_OK) {
                json_decref(out);
                printf("%s\n", id);
        }
        return rc;
}

int run_verb(struct cli *cli, int argc, char **argv)
{
        struct cflags o;
        struct raw_io io;
        char *id = NULL;
        int rc, code = 0;

        if ((rc = run_flags(cli, argc, argv, 1, &o)) != CLI_OK)
                return rc;
        if (o.detach && (o.interactive || o.tty)) {
                /* docker's -dit keeps a terminal for a later attach: no session here. */
                o.interactive = o.tty = 0;
        }
        /* Our side is checked before anything is created. */
        if ((o.interactive || o.tty) && exec_io_setup(cli, o.interactive, o.tty, &io) == -1) {
                json_decref(o.input);
                return CLI_USAGE;
        }
        rc = run_create(cli, &o, &id);
        json_decref(o.input);
        if (rc != CLI_OK)
                return rc;
        if (o.detach) {
                rc = run_detach(cli, id);
                free(id);
                return rc;
        }
        if (o.interactive || o.tty)
                rc = exec_run_session(cli, id, o.interactive, &io, &code);
        else
                rc = run_detached_io(cli, id, &code);
        /* After a second SIGINT the user wants out now, not more calls; the lease reaps. */
        if (o.rm && !cli->forced)
                run_remove(cli, id);
        free(id);
        return rc == CLI_OK ? code : rc;
}

int create_verb(struct cli *cli, int argc, char **argv)
{
        struct cflags o;
        char *id = NULL;
        int rc;

        if ((rc = run_flags(cli, argc, argv, 0, &o)) != CLI_OK)
                return rc;
        rc = run_create(cli, &o, &id);
        json_decref(o.input);
        if (rc == CLI_OK)
                printf("%s\n", id);
        free(id);
        return rc;
}
