/*
 * dockgated - the privileged supervisor.
 *
 * It alone holds the Docker socket.  It listens for peers, identifies each
 * one from the kernel, hands its connection to a sandboxed worker from the
 * pool, and brokers the worker's calls: policy, ownership, and every request
 * to the engine.  One libevent loop; see README.md and docs/SECURITY.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "supervisor.h"
#include "wlog.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: dockgated [--config FILE] [--socket PATH] [--engine PATH] [--policy FILE]\n"
                   "                 [--worker PATH] [--worker-user USER] [--pool N]\n"
                   "                 [--log-level error|warn|info|debug] [--syslog]\n"
                   "       dockgated --check-policy FILE\n"
                   "       dockgated --version\n");
}

static int check_policy(const char *path)
{
        char err[1024];
        struct policy *p = policy_load(path, err, sizeof(err));
        if (p == NULL) {
                fprintf(stderr, "dockgated: policy refused: %s\n", err);
                return 1;
        }
        printf("%s: ok, %zu peer(s)\n", path, p->npeers);
        for (size_t i = 0; i < p->npeers; i++)
                printf("  %s%s: %zu uid(s), %zu operation pattern(s)\n", p->peers[i].name,
                       p->peers[i].admin ? " (admin)" : "", p->peers[i].nuids,
                       p->peers[i].noperations);
        policy_unref(p);
        return 0;
}

static void on_terminate(evutil_socket_t sig, short what, void *arg)
{
        struct sv *sv = arg;
        log_info("signal %d: shutting down", (int)sig);
        sv->shutting_down = 1;
        event_base_loopbreak(sv->base);
}

/* SIGHUP: a new policy replaces the old whole, or not at all. */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
        struct sv *sv = arg;
        char err[1024];
        struct policy *p = policy_load(sv->cfg.policy, err, sizeof(err));
        if (p == NULL) {
                log_warnx("policy reload refused, the old policy stays in force: %s", err);
                return;
        }
        policy_unref(sv->policy);
        sv->policy = p;
        log_info("policy reloaded from %s: %zu peer(s)", sv->cfg.policy, p->npeers);
}

static void on_child(evutil_socket_t sig, short what, void *arg)
{
        pool_reap(arg);
}

enum { OPT_CONFIG = 256, OPT_SOCKET, OPT_ENGINE, OPT_POLICY, OPT_WORKER, OPT_WUSER, OPT_POOL,
       OPT_LEVEL, OPT_SYSLOG, OPT_CHECK, OPT_VERSION, OPT_HELP };

static const struct option longopts[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"worker", required_argument, NULL, OPT_WORKER},
    {"worker-user", required_argument, NULL, OPT_WUSER},
    {"pool", required_argument, NULL, OPT_POOL},
    {"log-level", required_argument, NULL, OPT_LEVEL},
    {"syslog", no_argument, NULL, OPT_SYSLOG},
    {"check-policy", required_argument, NULL, OPT_CHECK},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int set_flag(char *dst, size_t len, const char *val, const char *flag)
{
        if (strlen(val) == 0 || strlen(val) >= len) {
                fprintf(stderr, "dockgated: %s: value empty or too long\n", flag);
                return -1;
        }
        memcpy(dst, val, strlen(val) + 1);
        return 0;
}

/* Flags override the config file, which overrides the defaults. */
static int parse_args(int argc, char **argv, struct sv *sv)
{
        const char *config = NULL;
        int ch;
        config_defaults(&sv->cfg, argv[0]);
        /* First pass: find --config, --check-policy and --version. */
        while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                if (ch == OPT_CONFIG)
                        config = optarg;
                else if (ch == OPT_CHECK)
                        exit(check_policy(optarg));
                else if (ch == OPT_VERSION) {
                        printf("dockgated %s\n", DG_VERSION);
                        exit(0);
                } else if (ch == OPT_HELP) {
                        usage(stdout);
                        exit(0);
                } else if (ch == '?') {
                        usage(stderr);
                        return -1;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return -1;
        }
        if (config != NULL) {
                char err[512];
                if (config_load(&sv->cfg, config, err, sizeof(err)) < 0) {
                        fprintf(stderr, "dockgated: config %s: %s\n", config, err);
                        return -1;
                }
        }
        optind = 1;
        while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                struct config *c = &sv->cfg;
                int rc = 0;
                switch (ch) {
                case OPT_SOCKET:
                        rc = set_flag(c->socket, sizeof(c->socket), optarg, "--socket");
                        break;
                case OPT_ENGINE:
                        rc = set_flag(c->engine, sizeof(c->engine), optarg, "--engine");
                        break;
                case OPT_POLICY:
                        rc = set_flag(c->policy, sizeof(c->policy), optarg, "--policy");
                        break;
                case OPT_WORKER:
                        rc = set_flag(c->worker_path, sizeof(c->worker_path), optarg, "--worker");
                        break;
                case OPT_WUSER:
                        rc = set_flag(c->worker_user, sizeof(c->worker_user), optarg,
                                      "--worker-user");
                        break;
                case OPT_POOL: {
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end != '\0' || n < 1 || n > 256) {
                                fprintf(stderr, "dockgated: --pool: 1 to 256\n");
                                rc = -1;
                        }
                        c->pool_size = (int)n;
                        break;
                }
                case OPT_LEVEL:
                        if ((c->log_level = log_level_parse(optarg)) < 0) {
                                fprintf(stderr, "dockgated: --log-level: error, warn, info or "
                                                "debug\n");
                                rc = -1;
                        }
                        break;
                case OPT_SYSLOG:
                        c->syslog = 1;
                        break;
                default:
                        break;
                }
                if (rc < 0)
                        return -1;
        }
        return 0;
}

static int resolve_worker_user(struct sv *sv)
{
        struct passwd *pw = getpwnam(sv->cfg.worker_user);
        if (pw == NULL) {
                log_warnx("worker user %s does not exist", sv->cfg.worker_user);
                return -1;
        }
        /* SECURITY: workers must never run as root. */
        if (pw->pw_uid == 0 || pw->pw_gid == 0) {
                log_warnx("worker user %s is root; refusing", sv->cfg.worker_user);
                return -1;
        }
        sv->worker_uid = pw->pw_uid;
        sv->worker_gid = pw->pw_gid;
        return 0;
}

int main(int argc, char **argv)
{
        struct sv sv;
        memset(&sv, 0, sizeof(sv));
        sv.listen_fd = -1;
        if (parse_args(argc, argv, &sv) < 0)
                return 2;
        log_init("dockgated", sv.cfg.syslog, sv.cfg.log_level);

        char err[1024];
        if ((sv.policy = policy_load(sv.cfg.policy, err, sizeof(err))) == NULL)
                fatalx("policy refused: %s", err);
        if (resolve_worker_user(&sv) < 0)
                return 1;
        if (access(sv.cfg.worker_path, X_OK) < 0)
                fatal("worker %s", sv.cfg.worker_path);
        signal(SIGPIPE, SIG_IGN);

        if ((sv.base = event_base_new()) == NULL)
                fatalx("event_base_new failed");
        if ((sv.engine = engine_new(sv.base, sv.cfg.engine)) == NULL)
                fatalx("cannot set up the engine client");
        pool_init(&sv);
        if (wlog_open(&sv) < 0 || listener_open(&sv) < 0)
                return 1;

        struct event *sigs[] = {
            evsignal_new(sv.base, SIGTERM, on_terminate, &sv),
            evsignal_new(sv.base, SIGINT, on_terminate, &sv),
            evsignal_new(sv.base, SIGHUP, on_reload, &sv),
            evsignal_new(sv.base, SIGCHLD, on_child, &sv),
        };
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0)
                        fatalx("cannot set up signal handling");
        pool_fill(&sv);
        log_info("dockgated %s: engine %s, pool of %d workers as %s", DG_VERSION, sv.cfg.engine,
                 sv.cfg.pool_size, sv.cfg.worker_user);

        event_base_dispatch(sv.base);

        listener_close(&sv);
        pool_shutdown(&sv);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                event_free(sigs[i]);
        wlog_close(&sv);
        engine_free(sv.engine);
        policy_unref(sv.policy);
        event_base_free(sv.base);
        log_info("stopped");
        return 0;
}
