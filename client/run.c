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
#include "raw.h"

#define RUN_USAGE "run [-i] [-t] [--rm] [--name NAME] [-e KEY=VALUE]... IMAGE [CMD...]"

struct run_opts {
        int rm, i, t;
        const char *name;
        json_t *env; /* array of "KEY=VALUE" */
        const char *image;
        char **cmd;
        int ncmd;
};

static int run_parse(int argc, char **argv, struct run_opts *o)
{
        static const struct option longopts[] = {
            {"rm", no_argument, NULL, 'r'},        {"name", required_argument, NULL, 'n'},
            {"env", required_argument, NULL, 'e'}, {"interactive", no_argument, NULL, 'i'},
            {"tty", no_argument, NULL, 't'},       {NULL, 0, NULL, 0},
        };
        int ch;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+ite:", longopts, NULL)) != -1) {
                switch (ch) {
                case 'i':
                        o->i = 1;
                        break;
                case 't':
                        o->t = 1;
                        break;
                case 'r':
                        o->rm = 1;
                        break;
                case 'n':
                        o->name = optarg;
                        break;
                case 'e':
                        if (cli_env_add(o->env, optarg) == -1)
                                return -1;
                        break;
                default:
                        return -1;
                }
        }
        if (optind == argc)
                return -1;
        o->image = argv[optind];
        o->cmd = argv + optind + 1;
        o->ncmd = argc - optind - 1;
        return 0;
}

static json_t *run_create_input(const struct run_opts *o)
{
        json_t *in;

        /* stdinOnce: with -i, the end of our input (a pipe's EOF) closes the container's. */
        if ((in = json_pack("{s:s}", "image", o->image)) == NULL)
                return NULL;
        if ((o->i || o->t) && (json_object_set_new(in, "tty", json_boolean(o->t)) == -1 ||
                               json_object_set_new(in, "openStdin", json_boolean(o->i)) == -1 ||
                               json_object_set_new(in, "stdinOnce", json_boolean(o->i)) == -1))
                goto fail;
        if (o->name != NULL && json_object_set_new(in, "name", json_string(o->name)) == -1)
                goto fail;
        if (o->ncmd > 0 && json_object_set_new(in, "cmd", cli_strings(o->cmd, o->ncmd)) == -1)
                goto fail;
        if (json_array_size(o->env) > 0 && json_object_set(in, "env", o->env) == -1)
                goto fail;
        return in;
fail:
        json_decref(in);
        return NULL;
}

/* Creates the container; *id is malloc'd on success. */
static int run_create(struct cli *cli, const struct run_opts *o, char **id)
{
        json_t *in, *out, *w;
        const char *cid;
        size_t i;
        int rc;

        if ((in = run_create_input(o)) == NULL) {
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "docker/container/create", in, &out);
        json_decref(in);
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

int run_verb(struct cli *cli, int argc, char **argv)
{
        struct run_opts o = {0};
        struct raw_io io;
        char *id = NULL;
        int rc, code = 0;

        if ((o.env = json_array()) == NULL)
                return CLI_FAILED;
        if (run_parse(argc, argv, &o) == -1) {
                json_decref(o.env);
                return cli_usage(cli, RUN_USAGE);
        }
        /* Our side is checked before anything is created. */
        if ((o.i || o.t) && exec_io_setup(cli, o.i, o.t, &io) == -1) {
                json_decref(o.env);
                return CLI_USAGE;
        }
        rc = run_create(cli, &o, &id);
        json_decref(o.env);
        if (rc != CLI_OK)
                return rc;
        if (o.i || o.t)
                rc = exec_run_session(cli, id, o.i, &io, &code);
        else
                rc = run_detached_io(cli, id, &code);
        /* After a second SIGINT the user wants out now, not more calls. */
        if (o.rm && !cli->forced)
                run_remove(cli, id);
        free(id);
        return rc == CLI_OK ? code : rc;
}
