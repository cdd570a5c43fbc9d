/*
 * cli.h - the dockgate command-line tool: shared state, exit statuses, and
 * the verbs listed in main.c's verb table.
 */
#ifndef DG_CLI_H
#define DG_CLI_H

#include <sys/types.h>

#include <time.h>

#include "dgclient.h"

#define CLI_DEFAULT_SOCKET "/run/dockgate/dockgate.sock"
#define CLI_DEFAULT_ID "c1"

/* Exit statuses: a verb returns one of these (run returns the container's code). */
enum cli_exit {
        CLI_OK = 0,
        CLI_FAILED = 1,   /* call.error, or output the tool could not use */
        CLI_USAGE = 2,    /* bad arguments, or no connection to the server */
        CLI_CLOSED = 3,   /* the server closed (or broke) the stream before a terminal frame */
        CLI_ABORTED = 130 /* interrupted by SIGINT (128 + 2, as shells report it) */
};

struct cli {
        const char *addr; /* --socket */
        const char *id;   /* --id: the call id of every call */
        struct dgc *conn; /* opened by the first call, reused by the next ones */
        int forced;       /* a second SIGINT: give up at once, no cleanup calls */
        char errcode[32]; /* the code of the last call.error, "" otherwise */
        char err[1024];   /* printed by main when a verb fails; "" when nothing to say */
};

/* cli.c */
void cli_seterr(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage(struct cli *cli, const char *usage);
/* -e KEY=VALUE, or -e KEY for our own KEY's value (left out when unset), as docker does. */
int cli_env_add(json_t *env, const char *arg);
/* A new JSON array of the strings v[0..n), or NULL. */
json_t *cli_strings(char **v, int n);

/*
 * flags.c: after a verb's getopt refused a flag, a line that names it and the
 * nearest flag the verb knows, or why dockgate refuses it on purpose
 * (--privileged...).  Returns 0 when no flag was refused.
 */
int flags_explain(char *buf, size_t len);
/* cli.c: a connection that failed, said with what to check. */
void cli_connect_failed(struct cli *cli, const char *why);
/*
 * cli.c: the exit status of a `run` that failed before its command ran, as
 * docker's: 127 command not found, 126 command not executable, else 125.
 */
int cli_run_status(const struct cli *cli);

/* container.c: logs of a container to stdout/stderr, as `logs` and run print them. */
int container_follow_logs(struct cli *cli, const char *container, int follow);

/*
 * each.c: runs op on each of names[0..n), input {key: name} plus extra
 * (borrowed, may be NULL), printing each name that succeeded; goes on after
 * a failure and returns the first one.
 */
int each_call(struct cli *cli, const char *op, const char *key, char **names, int n,
              json_t *extra);

/* watch.c: --since/--until as docker takes them (UNIX seconds, 10m, RFC 3339); -1 if not. */
int watch_parse_time(const char *s, time_t now, json_int_t *out);
/* container.c: inspect's -f for op's document (container and image inspect). */
int container_inspect_doc(struct cli *cli, int argc, char **argv, const char *op,
                          const char *key, const char *usage);

/* Verbs: argv[0] is the verb's name; each returns an exit status. */
int invoke_verb(struct cli *cli, int argc, char **argv);
int container_ps(struct cli *cli, int argc, char **argv);
int container_logs(struct cli *cli, int argc, char **argv);
int container_rm(struct cli *cli, int argc, char **argv);
int container_start(struct cli *cli, int argc, char **argv);
int container_stop(struct cli *cli, int argc, char **argv);
int container_inspect(struct cli *cli, int argc, char **argv);
int run_verb(struct cli *cli, int argc, char **argv);
int create_verb(struct cli *cli, int argc, char **argv);   /* run.c */
int system_info(struct cli *cli, int argc, char **argv);   /* system.c */
int image_inspect(struct cli *cli, int argc, char **argv); /* image.c */
int exec_verb(struct cli *cli, int argc, char **argv);     /* exec.c */
int attach_verb(struct cli *cli, int argc, char **argv);   /* exec.c */
/*
 * exec.c: the interactive half of `run -i/-t`.  exec_io_setup() checks our
 * side first (-t needs a terminal); exec_run_session() attaches to the
 * created container, starts it once the session is up, relays until it
 * ends and sets *code to its exit code.
 */
struct raw_io;
int exec_io_setup(struct cli *cli, int in, int tty, struct raw_io *io);
int exec_run_session(struct cli *cli, const char *id, int in, struct raw_io *io, int *code);
int cp_verb(struct cli *cli, int argc, char **argv);    /* cp.c */
int build_verb(struct cli *cli, int argc, char **argv); /* build.c */
/*
 * cp.c: /bin/tar with argv, its stdin (create 0: extract) or stdout (create 1)
 * the pipe end returned (-1: errno); and its wait, whose failure becomes the
 * verb's only when rc is CLI_OK.
 */
int cp_tar(char *const argv[], int create, pid_t *pid);
int cp_tar_wait(struct cli *cli, pid_t pid, int rc);
int system_version(struct cli *cli, int argc, char **argv);
int system_ping(struct cli *cli, int argc, char **argv);
int usage_verb(struct cli *cli, int argc, char **argv);     /* usage.c */
int audit_verb(struct cli *cli, int argc, char **argv);     /* audit.c: offline, no server */
int lifecycle_wait(struct cli *cli, int argc, char **argv); /* lifecycle.c */
int lifecycle_kill(struct cli *cli, int argc, char **argv);
int lifecycle_restart(struct cli *cli, int argc, char **argv);
int lifecycle_pause(struct cli *cli, int argc, char **argv);
int lifecycle_unpause(struct cli *cli, int argc, char **argv);
int lifecycle_top(struct cli *cli, int argc, char **argv);
int image_pull(struct cli *cli, int argc, char **argv); /* image.c */
int image_list(struct cli *cli, int argc, char **argv);
int watch_stats(struct cli *cli, int argc, char **argv); /* watch.c */
int watch_events(struct cli *cli, int argc, char **argv);
int network_verb(struct cli *cli, int argc, char **argv); /* network.c */
int volume_verb(struct cli *cli, int argc, char **argv);  /* volume.c */

#endif
