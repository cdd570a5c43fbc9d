/*
 * exec.c - the interactive verbs of the dockgate tool: exec, attach and
 * run -it, each one raw-carriage session (raw.c) that exits with the
 * process's exit code.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "invoke.h"
#include "raw.h"

#define EXEC_USAGE "exec [-i] [-t] [-e KEY=VALUE]... [-w DIR] [-u USER] CONTAINER CMD..."
#define ATTACH_USAGE "attach [--no-stdin] CONTAINER"
#define RUN_IT_USAGE "run -i|-t|-it [--rm] [--name NAME] [-e KEY=VALUE]... IMAGE [CMD...]"

/* -e KEY=VALUE, or -e KEY for our own KEY's value (left out when unset), as docker does. */
static int exec_env(json_t *env, const char *arg)
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

static json_t *exec_strings(char **v, int n)
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

/* -t needs a terminal on our side; -i without it is fine (a pipe or a file). */
static int exec_io(struct cli *cli, int in, int tty, struct raw_io *io)
{
        if (tty && !isatty(STDIN_FILENO)) {
                cli_seterr(cli, "-t: the input is not a terminal");
                return -1;
        }
        memset(io, 0, sizeof(*io));
        io->in_fd = in ? STDIN_FILENO : -1;
        io->out_fd = STDOUT_FILENO;
        io->err_fd = STDERR_FILENO;
        io->tty = in && tty;
        return 0;
}

int exec_verb(struct cli *cli, int argc, char **argv)
{
        json_t *in, *env;
        struct raw_io io;
        int ch, i = 0, t = 0, rc, code = 0;
        const char *dir = NULL, *user = NULL;

        if ((env = json_array()) == NULL || (in = json_object()) == NULL) {
                json_decref(env);
                return CLI_FAILED;
        }
        optind = 0;
        while ((ch = getopt(argc, argv, "+ite:w:u:")) != -1) {
                switch (ch) {
                case 'i':
                        i = 1;
                        break;
                case 't':
                        t = 1;
                        break;
                case 'e':
                        if (exec_env(env, optarg) == -1)
                                goto usage;
                        break;
                case 'w':
                        dir = optarg;
                        break;
                case 'u':
                        user = optarg;
                        break;
                default:
                        goto usage;
                }
        }
        if (argc - optind < 2)
                goto usage;
        if (json_object_set_new(in, "containerId", json_string(argv[optind])) == -1 ||
            json_object_set_new(in, "cmd",
                                exec_strings(argv + optind + 1, argc - optind - 1)) == -1 ||
            json_object_set_new(in, "stdin", json_boolean(i)) == -1 ||
            json_object_set_new(in, "tty", json_boolean(t)) == -1 ||
            (json_array_size(env) > 0 && json_object_set(in, "env", env) == -1) ||
            (dir != NULL && json_object_set_new(in, "workingDir", json_string(dir)) == -1) ||
            (user != NULL && json_object_set_new(in, "user", json_string(user)) == -1)) {
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                rc = CLI_USAGE;
                goto out;
        }
        if (exec_io(cli, i, t, &io) == -1) {
                rc = CLI_USAGE;
                goto out;
        }
        rc = raw_run(cli, "docker/container/exec", in, &io, &code);
        goto out;
usage:
        rc = cli_usage(cli, EXEC_USAGE);
out:
        json_decref(env);
        json_decref(in);
        return rc == CLI_OK ? code : rc;
}

/* What attach needs to know of the container: a TTY, an open stdin. */
static int exec_inspect(struct cli *cli, const char *id, int *tty, int *open_stdin)
{
        json_t *in = json_pack("{s:s}", "containerId", id), *out, *cfg;
        int rc;

        if (in == NULL) {
                cli_seterr(cli, "invalid container name");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "docker/container/inspect", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        cfg = json_object_get(out, "Config");
        *tty = json_is_true(json_object_get(cfg, "Tty"));
        *open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
        json_decref(out);
        return CLI_OK;
}

int attach_verb(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"no-stdin", no_argument, NULL, 'n'},
            {NULL, 0, NULL, 0},
        };
        struct raw_io io;
        json_t *in;
        int ch, no_stdin = 0, tty, open_stdin, rc, code = 0;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                if (ch != 'n')
                        return cli_usage(cli, ATTACH_USAGE);
                no_stdin = 1;
        }
        if (argc - optind != 1)
                return cli_usage(cli, ATTACH_USAGE);
        if ((rc = exec_inspect(cli, argv[optind], &tty, &open_stdin)) != CLI_OK)
                return rc;
        open_stdin = open_stdin && !no_stdin;
        if (exec_io(cli, open_stdin, tty && isatty(STDIN_FILENO), &io) == -1)
                return CLI_USAGE;
        in = json_pack("{s:s,s:b}", "containerId", argv[optind], "stdin", open_stdin);
        rc = raw_run(cli, "docker/container/attach", in, &io, &code);
        json_decref(in);
        return rc == CLI_OK ? code : rc;
}

/* --- run -it: create, attach, start, wait for the session's end, remove --- */

struct exec_run {
        int i, t, rm;
        const char *name, *image;
        json_t *env;
        char **cmd;
        int ncmd;
};

static int exec_run_parse(int argc, char **argv, struct exec_run *o)
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
                        if (exec_env(o->env, optarg) == -1)
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

/* 1 when a run's options before the image ask for -i or -t: then it is ours. */
static int exec_run_wants_it(int argc, char **argv)
{
        int k;

        for (k = 1; k < argc && argv[k][0] == '-'; k++) {
                if (strcmp(argv[k], "--") == 0)
                        break;
                if (strcmp(argv[k], "--interactive") == 0 || strcmp(argv[k], "--tty") == 0)
                        return 1;
                if (argv[k][1] != '-' && strpbrk(argv[k] + 1, "it") != NULL &&
                    strspn(argv[k] + 1, "ite") == strlen(argv[k] + 1))
                        return 1;
                if ((strcmp(argv[k], "-e") == 0 || strcmp(argv[k], "--name") == 0 ||
                     strcmp(argv[k], "--env") == 0) &&
                    k + 1 < argc)
                        k++;
        }
        return 0;
}

static int exec_run_create(struct cli *cli, const struct exec_run *o, char **id)
{
        json_t *in, *out;
        const char *cid;
        int rc;

        /* stdinOnce: the end of our input (a pipe's EOF) closes the container's stdin. */
        in = json_pack("{s:s,s:b,s:b,s:b}", "image", o->image, "tty", o->t, "openStdin", o->i,
                       "stdinOnce", o->i);
        if (in == NULL ||
            (o->name != NULL && json_object_set_new(in, "name", json_string(o->name)) == -1) ||
            (o->ncmd > 0 &&
             json_object_set_new(in, "cmd", exec_strings(o->cmd, o->ncmd)) == -1) ||
            (json_array_size(o->env) > 0 && json_object_set(in, "env", o->env) == -1)) {
                json_decref(in);
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                return CLI_USAGE;
        }
        rc = invoke_query(cli, "docker/container/create", in, &out);
        json_decref(in);
        if (rc != CLI_OK)
                return rc;
        cid = json_string_value(json_object_get(out, "containerId"));
        if (cid == NULL || (*id = strdup(cid)) == NULL) {
                cli_seterr(cli, "docker/container/create: output without containerId");
                rc = CLI_FAILED;
        }
        json_decref(out);
        return rc;
}

static int exec_run_simple(struct cli *cli, const char *op, json_t *in)
{
        json_t *out;
        int rc = invoke_query(cli, op, in, &out);

        json_decref(out);
        return rc;
}

/*
 * The attach is made before the start, on its own stream (a raw call owns
 * it), so that no output is missed; start goes on the tool's other stream
 * once the attach's session is up: raw_run() calls back here.
 */
struct exec_started {
        struct cli *cli;
        const char *id;
};

static int exec_run_start(void *arg)
{
        struct exec_started *es = arg;
        json_t *in = json_pack("{s:s}", "containerId", es->id);
        int rc = exec_run_simple(es->cli, "docker/container/start", in);

        json_decref(in);
        return rc;
}

int exec_run_verb(struct cli *cli, int argc, char **argv)
{
        struct exec_run o;
        struct exec_started es;
        struct raw_io io;
        char *id = NULL, err[sizeof(cli->err)], code_s[sizeof(cli->errcode)];
        json_t *in;
        int rc, code = 0;

        if (!exec_run_wants_it(argc, argv))
                return run_verb(cli, argc, argv);
        memset(&o, 0, sizeof(o));
        if ((o.env = json_array()) == NULL)
                return CLI_FAILED;
        if (exec_run_parse(argc, argv, &o) == -1) {
                json_decref(o.env);
                return cli_usage(cli, RUN_IT_USAGE);
        }
        if (exec_io(cli, o.i, o.t, &io) == -1) {
                json_decref(o.env);
                return CLI_USAGE;
        }
        rc = exec_run_create(cli, &o, &id);
        json_decref(o.env);
        if (rc != CLI_OK)
                return rc;
        es.cli = cli;
        es.id = id;
        io.opened = exec_run_start;
        io.opened_arg = &es;
        in = json_pack("{s:s,s:b}", "containerId", id, "stdin", o.i);
        rc = raw_run(cli, "docker/container/attach", in, &io, &code);
        json_decref(in);
        if (o.rm && !cli->forced) {
                memcpy(err, cli->err, sizeof(err));
                memcpy(code_s, cli->errcode, sizeof(code_s));
                in = json_pack("{s:s,s:b}", "containerId", id, "force", 1);
                if (exec_run_simple(cli, "docker/container/remove", in) != CLI_OK)
                        cli_warn("removing %.12s: %s", id, cli->err);
                json_decref(in);
                memcpy(cli->err, err, sizeof(err));
                memcpy(cli->errcode, code_s, sizeof(code_s));
        }
        free(id);
        return rc == CLI_OK ? code : rc;
}
