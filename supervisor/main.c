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
#include <sys/resource.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "ops.h"
#include "listener.h"
#include "account.h"
#include "admin.h"
#include "admit.h"
#include "audit.h"
#include "log.h"
#include "notify.h"
#include "pool.h"
#include "opencall.h"
#include "detect.h"
#include "quota.h"
#include "rate.h"
#include "lease.h"
#include "buildtab.h"
#include "exectab.h"
#include "evrelay.h"
#include "sampler.h"
#include "supervisor.h"
#include "wlog.h"

#define STATE_FILE "accounting.json"
#define STATE_SAVE_S 5 /* a crash loses at most this much accounting */

/* Every flag here is in docs/man/dockgated.8 (tests/integration/test_install.py checks). */
static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: dockgated [--config FILE] [--socket PATH] [--engine PATH] [--policy FILE]\n"
            "                 [--worker PATH] [--worker-user USER] [--pool N]\n"
            "                 [--log-level error|warn|info|debug] [--syslog]\n"
            "                 [--audit FILE] [--admin-socket PATH] [--state-dir DIR]\n"
            "                 [--tcp [HOST:]PORT] [--docker-socket PATH]\n"
            "       dockgated --check-policy FILE\n"
            "       dockgated --hash-token < TOKEN | --new-token\n"
            "       dockgated --version\n");
}

/* "512 MiB", "1.5 CPUs": the units an operator thinks in. */
static const char *show_bytes(int64_t v, char *buf, size_t len)
{
        if (v > 0 && v % (1LL << 30) == 0)
                snprintf(buf, len, "%lld GiB", (long long)(v >> 30));
        else if (v > 0 && v % (1LL << 20) == 0)
                snprintf(buf, len, "%lld MiB", (long long)(v >> 20));
        else
                snprintf(buf, len, "%lld bytes", (long long)v);
        return buf;
}

static const char *show_quota(int64_t v, int bytes, char *buf, size_t len)
{
        if (v <= 0)
                return "no limit";
        if (bytes)
                return show_bytes(v, buf, len);
        snprintf(buf, len, "%lld", (long long)v);
        return buf;
}

/* What a peer gets, in two lines, so that an operator can check intent, not just syntax. */
static void describe_peer(const struct peer_policy *pp)
{
        const struct policy_quotas *q = &pp->quotas;
        char a[32], b[32], c[32], d[32], e[48];

        printf("  %s%s: %zu uid(s), %zu gid(s), %zu token(s); %zu operation pattern(s); "
               "images: %s%s\n",
               pp->name, pp->admin ? " (admin: sees every peer's resources)" : "", pp->nuids,
               pp->ngids, pp->ntokens, pp->noperations, pp->nimages ? pp->images[0] : "none",
               pp->nimages > 1 ? " and more" : "");
        printf("    containers: default %s, %.3g CPU, %lld pids (at most %s, %.3g CPU, %lld "
               "pids); network %s; %zu capabilities kept%s%s%s%s\n",
               show_bytes(pp->defaults.memory_bytes, a, sizeof(a)),
               (double)pp->defaults.nano_cpus / 1e9, (long long)pp->defaults.pids_limit,
               show_bytes(pp->ceilings.memory_bytes, b, sizeof(b)),
               (double)pp->ceilings.nano_cpus / 1e9, (long long)pp->ceilings.pids_limit,
               pp->network, pp->ncaps, pp->read_only_forced ? "; read-only root" : "",
               pp->refuse_root ? "; never as root" : "", pp->runtime[0] ? "; runtime " : "",
               pp->runtime);
        printf("    quotas: containers %s, live memory %s, live CPUs %s, streams %s, "
               "calls/s %s\n",
               show_quota(q->containers, 0, a, sizeof(a)),
               show_quota(q->memory_bytes, 1, b, sizeof(b)),
               q->nano_cpus > 0
                   ? (snprintf(c, sizeof(c), "%.3g", (double)q->nano_cpus / 1e9), c)
                   : "no limit",
               show_quota(q->streams, 0, d, sizeof(d)),
               q->calls_per_second > 0
                   ? (snprintf(e, sizeof(e), "%lld (burst %lld)",
                               (long long)q->calls_per_second, (long long)q->burst),
                      e)
                   : "no limit");
}

/* --check-policy: every problem, each with its place in the file; 0 when usable. */
static int check_policy(const char *path)
{
        struct policy_report *r = calloc(1, sizeof(*r));
        struct policy *p;
        char *line, *save = NULL;

        if (r == NULL)
                return 1;
        p = policy_check_file(path, r);
        if (p == NULL)
                fprintf(stderr, "dockgated: %s: refused: %d problem%s to fix%s\n", path,
                        r->errors, r->errors == 1 ? "" : "s",
                        r->warnings ? " (and warnings)" : "");
        else
                printf("%s: ok, %zu peer(s)%s\n", path, p->npeers,
                       r->warnings ? " (see the warnings)" : "");
        for (line = strtok_r(r->text, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save))
                fprintf(p == NULL ? stderr : stdout, "  %s\n", line);
        for (size_t i = 0; p != NULL && i < p->npeers; i++)
                describe_peer(&p->peers[i]);
        free(r);
        if (p == NULL)
                return 1;
        policy_unref(p);
        return 0;
}

/* --hash-token: what to put in a peer's "tokens" for the token on stdin. */
static int hash_token(void)
{
        char token[1024], out[80];
        size_t n;

        if (fgets(token, sizeof(token), stdin) == NULL) {
                fprintf(stderr,
                        "dockgated: --hash-token reads the token from standard input\n");
                return 1;
        }
        n = strcspn(token, "\r\n");
        token[n] = '\0';
        if (n < 16 || n > 512) {
                fprintf(stderr, "dockgated: a token must be 16 to 512 characters (make one "
                                "with --new-token)\n");
                return 1;
        }
        if (policy_hash_token(token, out, sizeof(out)) < 0)
                return 1;
        explicit_bzero(token, sizeof(token));
        printf("%s\n", out);
        return 0;
}

/* --new-token: a random token (256 bits) and its hash for the policy. */
static int new_token(void)
{
        unsigned char r[32];
        char token[80], out[80];
        size_t i;

        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
                return 1;
        memcpy(token, "dgt_", 4);
        for (i = 0; i < sizeof(r); i++)
                snprintf(token + 4 + 2 * i, 3, "%02x", r[i]);
        if (policy_hash_token(token, out, sizeof(out)) < 0)
                return 1;
        printf("token (give it to the peer; it is not stored): %s\n"
               "for the policy's \"tokens\" list:                %s\n",
               token, out);
        explicit_bzero(token, sizeof(token));
        explicit_bzero(r, sizeof(r));
        return 0;
}

/*
 * Each stream holds a descriptor here until its worker takes it (and each
 * worker its channel): maxWorkers of them need more than the usual 1024.
 */
static void raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static void on_terminate(evutil_socket_t sig, short what, void *arg)
{
        struct sv *sv = arg;
        log_info("signal %d: shutting down", (int)sig);
        notify_send("STOPPING=1");
        sv->shutting_down = 1;
        event_base_loopbreak(sv->base);
}

/* SIGHUP: a new policy replaces the old whole, or not at all. */
static void on_reload(evutil_socket_t sig, short what, void *arg)
{
        struct sv *sv = arg;
        char err[1024];
        struct policy *p;

        notify_send("RELOADING=1");
        if ((p = policy_load(sv->cfg.policy, err, sizeof(err))) == NULL) {
                log_warnx("policy reload refused, the old policy stays in force: %s", err);
                notify_send("READY=1\nSTATUS=policy reload refused, the old one in force");
                return;
        }
        policy_unref(sv->policy);
        sv->policy = p;
        log_info("policy reloaded from %s: %zu peer(s)", sv->cfg.policy, p->npeers);
        notify_send("READY=1\nSTATUS=policy reloaded");
        audit_append(
            sv->audit, "policy",
            json_pack("{s:s,s:I}", "path", sv->cfg.policy, "peers", (json_int_t)p->npeers));
}

static void on_child(evutil_socket_t sig, short what, void *arg)
{
        pool_reap(arg);
}

enum {
        OPT_CONFIG = 256,
        OPT_SOCKET,
        OPT_ENGINE,
        OPT_POLICY,
        OPT_WORKER,
        OPT_WUSER,
        OPT_POOL,
        OPT_LEVEL,
        OPT_SYSLOG,
        OPT_CHECK,
        OPT_VERSION,
        OPT_HELP,
        OPT_TCP,
        OPT_DOCKER_SOCKET,
        OPT_HASH,
        OPT_NEWTOK,
        OPT_AUDIT,
        OPT_ADMIN,
        OPT_STATE
};

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
    {"tcp", required_argument, NULL, OPT_TCP},
    {"docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET},
    {"hash-token", no_argument, NULL, OPT_HASH},
    {"new-token", no_argument, NULL, OPT_NEWTOK},
    {"version", no_argument, NULL, OPT_VERSION},
    {"help", no_argument, NULL, OPT_HELP},
    {"audit", required_argument, NULL, OPT_AUDIT},
    {"admin-socket", required_argument, NULL, OPT_ADMIN},
    {"state-dir", required_argument, NULL, OPT_STATE},
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
                else if (ch == OPT_HASH)
                        exit(hash_token());
                else if (ch == OPT_NEWTOK)
                        exit(new_token());
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
                        rc = set_flag(c->worker_path, sizeof(c->worker_path), optarg,
                                      "--worker");
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
                case OPT_TCP:
                        rc = set_flag(c->tcp, sizeof(c->tcp), optarg, "--tcp");
                        break;
                case OPT_DOCKER_SOCKET:
                        rc = set_flag(c->docker_socket, sizeof(c->docker_socket), optarg,
                                      "--docker-socket");
                        break;
                case OPT_AUDIT:
                        rc = set_flag(c->audit, sizeof(c->audit), optarg, "--audit");
                        break;
                case OPT_ADMIN:
                        rc = set_flag(c->admin_socket, sizeof(c->admin_socket), optarg,
                                      "--admin-socket");
                        break;
                case OPT_STATE:
                        rc =
                            set_flag(c->state_dir, sizeof(c->state_dir), optarg, "--state-dir");
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

/*
 * Accounting (with its state), the audit log, the engine sampler and the
 * admin socket: all before the first peer, so that no call goes unrecorded.
 */
static int open_records(struct sv *sv)
{
        static char state[4096 + sizeof(STATE_FILE) + 1];
        char err[1024];

        if ((sv->account = account_new()) == NULL)
                fatalx("out of memory");
        if (sv->cfg.state_dir[0] != '\0') {
                if (mkdir(sv->cfg.state_dir, 0700) < 0 && errno != EEXIST) {
                        log_warn("state directory %s", sv->cfg.state_dir);
                        return -1;
                }
                snprintf(state, sizeof(state), "%s/%s", sv->cfg.state_dir, STATE_FILE);
                if (account_load(sv->account, state, err, sizeof(err)) < 0) {
                        log_warnx(
                            "accounting state refused (move it aside to start afresh): %s",
                            err);
                        return -1;
                }
        }
        if (sv->cfg.audit[0] != '\0') {
                struct audit_conf ac = {.path = sv->cfg.audit,
                                        .rotate_bytes = sv->cfg.audit_rotate_bytes,
                                        .sync = sv->cfg.audit_sync};
                /* The state file remembers where this log ended: a shorter log lost its end. */
                if (strcmp(sv->account->audit_path, sv->cfg.audit) == 0) {
                        ac.expect_seq = sv->account->audit_seq;
                        ac.expect_hash = sv->account->audit_hash;
                }
                if ((sv->audit = audit_open(sv->base, &ac, err, sizeof(err))) == NULL) {
                        log_warnx("audit log: %s", err);
                        return -1;
                }
                audit_set_release(sv->audit, pool_release, sv);
        }
        if (state[0] != '\0' && account_autosave(sv->account, sv->base, state, STATE_SAVE_S,
                                                 sv->audit, sv->cfg.audit) < 0)
                fatalx("cannot schedule accounting saves");
        if ((sv->sampler = sampler_start(sv, sv->cfg.accounting_interval)) == NULL)
                fatalx("cannot start the accounting sampler");
        if ((sv->lease = lease_start(sv, sv->cfg.lease_tick)) == NULL)
                fatalx("cannot start the lease reaper");
        if ((sv->execs = exectab_new()) == NULL)
                fatalx("cannot make the exec table");
        if ((sv->evrelays = evrelays_new(sv->base, sv->engine)) == NULL)
                fatalx("cannot make the events relays");
        if ((sv->builds = buildtab_new(sv->base, sv->cfg.build_cgroup)) == NULL)
                fatalx("cannot make the build table");
        if (sv->cfg.admin_socket[0] != '\0' &&
            (sv->admin = admin_open(sv, sv->cfg.admin_socket)) == NULL)
                return -1;
        return 0;
}

/* After the workers are gone (their last calls are recorded). */
static void close_records(struct sv *sv)
{
        admin_close(sv->admin);
        lease_free(sv->lease);
        exectab_free(sv->execs);
        evrelays_free(sv->evrelays);
        buildtab_free(sv->builds);
        sampler_free(sv->sampler);
        account_save(sv->account);
        audit_close(sv->audit);
        account_free(sv->account);
}

int main(int argc, char **argv)
{
        struct sv sv;
        memset(&sv, 0, sizeof(sv));
        sv.listen_fd = -1;
        notify_init();
        sv.ops = &ops_table;
        sv.up = &broker_pool_up;
        if (parse_args(argc, argv, &sv) < 0)
                return 2;
        /* Workers follow: without a syslog daemon they log through our stderr too. */
        sv.cfg.syslog = log_init("dockgated", sv.cfg.syslog, sv.cfg.log_level);

        char err[1024];
        if ((sv.policy = policy_load(sv.cfg.policy, err, sizeof(err))) == NULL)
                fatalx("policy refused: %s", err);
        if (resolve_worker_user(&sv) < 0)
                return 1;
        if (access(sv.cfg.worker_path, X_OK) < 0)
                fatal("worker %s", sv.cfg.worker_path);
        signal(SIGPIPE, SIG_IGN);
        raise_fd_limit();

        if ((sv.base = event_base_new()) == NULL)
                fatalx("event_base_new failed");
        if ((sv.engine = engine_new(sv.base, sv.cfg.engine)) == NULL)
                fatalx("cannot set up the engine client");
        if ((sv.profile = detect_new(sv.engine)) == NULL)
                fatalx("out of memory");
        if ((sv.quota = quota_new()) == NULL || (sv.rate = rate_new()) == NULL)
                fatalx("out of memory");
        pool_init(&sv);
        if (open_records(&sv) < 0 || wlog_open(&sv) < 0 || listener_open(&sv) < 0)
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
        detect_run(sv.profile);
        notify_ready(sv.cfg.socket); /* the listeners listen: a peer is served from now */

        event_base_dispatch(sv.base);

        listener_close(&sv);
        pool_shutdown(&sv);
        opencall_shutdown(&sv); /* after the pool: its workers' calls counted here */
        admit_free(&sv);
        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
                event_free(sigs[i]);
        wlog_close(&sv);
        close_records(&sv);
        detect_free(sv.profile);
        engine_free(sv.engine);
        quota_free(sv.quota);
        rate_free(sv.rate);
        policy_unref(sv.policy);
        event_base_free(sv.base);
        log_info("stopped");
        return 0;
}
