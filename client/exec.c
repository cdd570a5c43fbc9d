/*
 * exec.c - the interactive verbs of the dockgate tool: exec, attach and
 * the session of run -i/-t, each one raw-carriage session (raw.c) that
 * exits with the process's exit code.
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

/* -t needs a terminal on our side; -i without it is fine (a pipe or a file). */
int exec_io_setup(struct cli *cli, int in, int tty, struct raw_io *io)
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
                        if (cli_env_add(env, optarg) == -1)
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
            json_object_set_new(in, "cmd", cli_strings(argv + optind + 1, argc - optind - 1)) ==
                -1 ||
            json_object_set_new(in, "stdin", json_boolean(i)) == -1 ||
            json_object_set_new(in, "tty", json_boolean(t)) == -1 ||
            (json_array_size(env) > 0 && json_object_set(in, "env", env) == -1) ||
            (dir != NULL && json_object_set_new(in, "workingDir", json_string(dir)) == -1) ||
            (user != NULL && json_object_set_new(in, "user", json_string(user)) == -1)) {
                cli_seterr(cli, "invalid argument (not UTF-8?)");
                rc = CLI_USAGE;
                goto out;
        }
        if (exec_io_setup(cli, i, t, &io) == -1) {
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
        json_t *out, *cfg;
        int rc;

        if ((rc = invoke_named(cli, "docker/container/inspect", "containerId", id, &out)) !=
            CLI_OK)
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
        if (exec_io_setup(cli, open_stdin, tty && isatty(STDIN_FILENO), &io) == -1)
                return CLI_USAGE;
        in = json_pack("{s:s,s:b}", "containerId", argv[optind], "stdin", open_stdin);
        rc = raw_run(cli, "docker/container/attach", in, &io, &code);
        json_decref(in);
        return rc == CLI_OK ? code : rc;
}

/* --- run -i/-t: attach, start, wait for the session's end (run.c creates and removes) --- */

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
        json_t *out;
        int rc = invoke_named(es->cli, "docker/container/start", "containerId", es->id, &out);

        json_decref(out);
        return rc;
}

int exec_run_session(struct cli *cli, const char *id, int in, struct raw_io *io, int *code)
{
        struct exec_started es = {cli, id};
        json_t *input = json_pack("{s:s,s:b}", "containerId", id, "stdin", in);
        int rc;

        io->opened = exec_run_start;
        io->opened_arg = &es;
        rc = raw_run(cli, "docker/container/attach", input, io, code);
        io->opened = NULL; /* es is ours, and gone when we return */
        io->opened_arg = NULL;
        json_decref(input);
        return rc;
}
