/*
 * create_flags.c - docker's run/create flags, turned into the input of
 * docker/container/create (docs/operations.md says what each input does
 * and what the gateway refuses).  Shared by `run` and `create`.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create_flags.h"

enum {
        CF_RM = 256,
        CF_NAME,
        CF_NETWORK,
        CF_RESTART,
        CF_CPUS,
        CF_PIDS,
        CF_ULIMIT,
        CF_HCMD,
        CF_HINT,
        CF_HTIMEOUT,
        CF_HRETRIES,
        CF_HSTART,
        CF_NOHC,
        CF_ENVFILE,
        CF_READONLY,
        CF_TMPFS,
        CF_ENTRYPOINT,
        CF_CPUQUOTA,
        CF_CPUPERIOD,
        CF_CPUSET,
        CF_SHM,
        CF_SWAP,
        CF_STOPSIG,
        CF_STOPTIME,
        CF_INIT,
        CF_DOMAIN,
        CF_ADDHOST,
        CF_DNS,
        CF_CAPADD,
        CF_RUNTIME,
        CF_LEASE_TTL,
};

static const struct option cf_longopts[] = {
    {"detach", no_argument, NULL, 'd'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, CF_ENVFILE},
    {"publish", required_argument, NULL, 'p'},
    {"publish-all", no_argument, NULL, 'P'},
    {"volume", required_argument, NULL, 'v'},
    {"network", required_argument, NULL, CF_NETWORK},
    {"net", required_argument, NULL, CF_NETWORK},
    {"restart", required_argument, NULL, CF_RESTART},
    {"memory", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, CF_CPUS},
    {"pids-limit", required_argument, NULL, CF_PIDS},
    {"ulimit", required_argument, NULL, CF_ULIMIT},
    {"health-cmd", required_argument, NULL, CF_HCMD},
    {"health-interval", required_argument, NULL, CF_HINT},
    {"health-timeout", required_argument, NULL, CF_HTIMEOUT},
    {"health-retries", required_argument, NULL, CF_HRETRIES},
    {"health-start-period", required_argument, NULL, CF_HSTART},
    {"no-healthcheck", no_argument, NULL, CF_NOHC},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"name", required_argument, NULL, CF_NAME},
    {"rm", no_argument, NULL, CF_RM},
    {"label", required_argument, NULL, 'l'},
    {"read-only", no_argument, NULL, CF_READONLY},
    {"tmpfs", required_argument, NULL, CF_TMPFS},
    {"entrypoint", required_argument, NULL, CF_ENTRYPOINT},
    {"cpu-quota", required_argument, NULL, CF_CPUQUOTA},
    {"cpu-period", required_argument, NULL, CF_CPUPERIOD},
    {"cpuset-cpus", required_argument, NULL, CF_CPUSET},
    {"shm-size", required_argument, NULL, CF_SHM},
    {"memory-swap", required_argument, NULL, CF_SWAP},
    {"stop-signal", required_argument, NULL, CF_STOPSIG},
    {"stop-timeout", required_argument, NULL, CF_STOPTIME},
    {"init", no_argument, NULL, CF_INIT},
    {"hostname", required_argument, NULL, 'h'},
    {"domainname", required_argument, NULL, CF_DOMAIN},
    {"add-host", required_argument, NULL, CF_ADDHOST},
    {"dns", required_argument, NULL, CF_DNS},
    {"cap-add", required_argument, NULL, CF_CAPADD},
    {"runtime", required_argument, NULL, CF_RUNTIME},
    {"lease-ttl", required_argument, NULL, CF_LEASE_TTL},
    {NULL, 0, NULL, 0},
};

static int cf_bad(char *err, size_t len, const char *flag, const char *arg, const char *want)
{
        snprintf(err, len, "invalid argument \"%.100s\" for %s: %s", arg, flag, want);
        return -1;
}

/* docker's RAMInBytes: a number with an optional b, k, m, g (binary) suffix. */
static int cf_bytes(const char *s, long long *out)
{
        char *end;
        double v;
        int shift = 0;

        errno = 0;
        v = strtod(s, &end);
        if (end == s || v < 0 || errno != 0)
                return -1;
        switch (tolower((unsigned char)*end)) {
        case '\0':
        case 'b':
                break;
        case 'k':
                shift = 10;
                break;
        case 'm':
                shift = 20;
                break;
        case 'g':
                shift = 30;
                break;
        case 't':
                shift = 40;
                break;
        default:
                return -1;
        }
        if (*end != '\0' && end[1] != '\0' &&
            !(tolower((unsigned char)end[1]) == 'b' && end[2] == '\0'))
                return -1;
        *out = (long long)(v * (double)(1LL << shift));
        return 0;
}

/* Go durations as docker takes them: "1m30s", "500ms", "2h"; into milliseconds. */
static int cf_duration_ms(const char *s, long long *out)
{
        double total = 0, v;
        char *end;

        if (*s == '\0')
                return -1;
        while (*s != '\0') {
                v = strtod(s, &end);
                if (end == s || v < 0)
                        return -1;
                s = end;
                if (strncmp(s, "ms", 2) == 0) {
                        total += v;
                        s += 2;
                } else if (strncmp(s, "us", 2) == 0) {
                        total += v / 1000;
                        s += 2;
                } else if (*s == 's') {
                        total += v * 1000;
                        s++;
                } else if (*s == 'm') {
                        total += v * 60000;
                        s++;
                } else if (*s == 'h') {
                        total += v * 3600000;
                        s++;
                } else
                        return -1;
        }
        *out = (long long)total;
        return 0;
}

static int cf_int(const char *s, long long lo, long long hi, long long *out)
{
        char *end;

        errno = 0;
        *out = strtoll(s, &end, 10);
        return *s == '\0' || *end != '\0' || errno != 0 || *out < lo || *out > hi ? -1 : 0;
}

static json_t *cf_obj(json_t *in, const char *key)
{
        json_t *o = json_object_get(in, key);

        if (o == NULL) {
                o = json_object();
                json_object_set_new(in, key, o);
        }
        return o;
}

static json_t *cf_arr(json_t *in, const char *key)
{
        json_t *a = json_object_get(in, key);

        if (a == NULL) {
                a = json_array();
                json_object_set_new(in, key, a);
        }
        return a;
}

/*
 * -p: [ip:][hostPort:]containerPort[/proto] -> ports {"cport/proto": "[ip:]hostPort"};
 * an omitted host port is "" (the gateway picks one from the peer's ranges).
 */
static int cf_publish(json_t *in, const char *arg, char *err, size_t len)
{
        char buf[128], *parts[3], *p, key[32], val[96];
        const char *proto = "tcp", *slash;
        int n = 0;

        if (strlen(arg) >= sizeof(buf))
                return cf_bad(err, len, "--publish", arg, "too long");
        snprintf(buf, sizeof(buf), "%s", arg);
        if ((slash = strrchr(buf, '/')) != NULL) {
                proto = slash + 1;
                buf[slash - buf] = '\0';
        }
        for (p = buf; n < 3; n++) {
                parts[n] = p;
                if ((p = strchr(p, ':')) == NULL) {
                        n++;
                        break;
                }
                *p++ = '\0';
        }
        if (p != NULL || parts[n - 1][0] == '\0' ||
            strspn(parts[n - 1], "0123456789") != strlen(parts[n - 1]))
                return cf_bad(err, len, "--publish", arg,
                              "[ip:][hostPort:]containerPort[/tcp|/udp]");
        snprintf(key, sizeof(key), "%s/%s", parts[n - 1], proto);
        if (n == 1)
                val[0] = '\0';
        else if (n == 2)
                snprintf(val, sizeof(val), "%s", parts[0]);
        else
                snprintf(val, sizeof(val), "%s:%s", parts[0], parts[1]);
        json_object_set_new(cf_obj(in, "ports"), key, json_string(val));
        return 0;
}

/* -v: NAME:/path[:ro|rw] (a volume of yours) or /host:/path[:ro|rw] (beneath a bind root). */
static int cf_volume(json_t *in, const char *arg, char *err, size_t len)
{
        char buf[2048], *src, *dst, *mode;

        if (strlen(arg) >= sizeof(buf))
                return cf_bad(err, len, "--volume", arg, "too long");
        snprintf(buf, sizeof(buf), "%s", arg);
        src = buf;
        if ((dst = strchr(src, ':')) == NULL)
                return cf_bad(err, len, "--volume", arg,
                              "VOLUME:/path[:ro] or /host/path:/path[:ro] (anonymous volumes "
                              "are not supported)");
        *dst++ = '\0';
        if ((mode = strchr(dst, ':')) != NULL) {
                *mode++ = '\0';
                if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
                        return cf_bad(err, len, "--volume", arg, "the mode is ro or rw");
        }
        if (*src == '\0' || dst[0] != '/')
                return cf_bad(err, len, "--volume", arg, "the target is an absolute path");
        {
                char v[2100];
                snprintf(v, sizeof(v), "%s%s%s", src, mode ? ":" : "", mode ? mode : "");
                json_object_set_new(cf_obj(in, src[0] == '/' ? "binds" : "volumes"), dst,
                                    json_string(v));
        }
        return 0;
}

int cflags_env_file(json_t *env, const char *path, char *err, size_t len)
{
        char line[65536], *p, *eq;
        FILE *f = fopen(path, "r");
        int lineno = 0;

        if (f == NULL) {
                snprintf(err, len, "--env-file %.200s: %s", path, strerror(errno));
                return -1;
        }
        while (fgets(line, sizeof(line), f) != NULL) {
                lineno++;
                line[strcspn(line, "\n")] = '\0';
                p = line;
                /* A UTF-8 byte order mark on the first line, and leading white space, go. */
                if (lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
                        p += 3;
                while (isspace((unsigned char)*p))
                        p++;
                if (*p == '\0' || *p == '#')
                        continue;
                eq = strchr(p, '=');
                if (eq == p) {
                        snprintf(err, len, "--env-file %.200s: no variable name on line %d",
                                 path, lineno);
                        fclose(f);
                        return -1;
                }
                if (strcspn(p, " \t") < (size_t)(eq ? eq - p : (long)strlen(p))) {
                        snprintf(err, len,
                                 "--env-file %.200s: variable '%.*s' contains "
                                 "whitespaces",
                                 path, (int)(eq ? eq - p : (long)strlen(p)), p);
                        fclose(f);
                        return -1;
                }
                /* NAME=VALUE taken as it is (no quotes removed); NAME alone from our env. */
                if (eq != NULL)
                        json_array_append_new(env, json_string(p));
                else if (getenv(p) != NULL) {
                        char *kv;
                        if (asprintf(&kv, "%s=%s", p, getenv(p)) < 0)
                                break;
                        json_array_append_new(env, json_string(kv));
                        free(kv);
                }
        }
        fclose(f);
        return 0;
}

static int cf_health_ms(json_t *in, const char *key, const char *flag, const char *arg,
                        char *err, size_t len)
{
        long long ms;

        if (cf_duration_ms(arg, &ms) < 0)
                return cf_bad(err, len, flag, arg, "a duration such as 30s or 500ms");
        json_object_set_new(cf_obj(in, "healthcheck"), key, json_integer(ms));
        return 0;
}

/* One flag into the create input (or into o); -1 with err. */
static int cf_one(struct cflags *o, int ch, const char *arg, char *err, size_t len)
{
        json_t *in = o->input;
        long long n;
        char buf[128], *eq;

        switch (ch) {
        case 'd':
                o->detach = 1;
                return 0;
        case 'i':
                o->interactive = 1;
                return 0;
        case 't':
                o->tty = 1;
                return 0;
        case CF_RM:
                o->rm = 1;
                return 0;
        case 'e':
                if (cli_env_add(cf_arr(in, "env"), arg) == -1)
                        return cf_bad(err, len, "--env", arg, "KEY=VALUE or KEY");
                return 0;
        case CF_ENVFILE:
                return cflags_env_file(cf_arr(in, "env"), arg, err, len);
        case 'p':
                return cf_publish(in, arg, err, len);
        case 'P':
                json_object_set_new(in, "publishAllPorts", json_true());
                return 0;
        case 'v':
                return cf_volume(in, arg, err, len);
        case CF_NETWORK:
                json_object_set_new(in, "network", json_string(arg));
                return 0;
        case CF_RESTART:
                json_object_set_new(in, "restartPolicy", json_string(arg));
                return 0;
        case 'm':
                if (cf_bytes(arg, &n) < 0)
                        return cf_bad(err, len, "--memory", arg, "a size such as 512m or 1g");
                json_object_set_new(cf_obj(in, "limits"), "memoryBytes", json_integer(n));
                return 0;
        case CF_CPUS: {
                char *end;
                double c = strtod(arg, &end);
                if (end == arg || *end != '\0' || c <= 0)
                        return cf_bad(err, len, "--cpus", arg, "a number of CPUs such as 1.5");
                json_object_set_new(cf_obj(in, "limits"), "nanoCpus",
                                    json_integer((json_int_t)(c * 1e9 + 0.5)));
                return 0;
        }
        case CF_PIDS:
                if (cf_int(arg, 1, 1000000, &n) < 0)
                        return cf_bad(err, len, "--pids-limit", arg, "a positive number");
                json_object_set_new(cf_obj(in, "limits"), "pidsLimit", json_integer(n));
                return 0;
        case CF_ULIMIT:
                if ((eq = strchr(arg, '=')) == NULL || eq == arg ||
                    (size_t)(eq - arg) >= sizeof(buf))
                        return cf_bad(err, len, "--ulimit", arg, "NAME=SOFT[:HARD]");
                snprintf(buf, sizeof(buf), "%.*s", (int)(eq - arg), arg);
                json_object_set_new(cf_obj(in, "ulimits"), buf, json_string(eq + 1));
                return 0;
        case CF_HCMD:
                json_object_set_new(cf_obj(in, "healthcheck"), "test",
                                    json_pack("[s,s]", "CMD-SHELL", arg));
                return 0;
        case CF_HINT:
                return cf_health_ms(in, "intervalMs", "--health-interval", arg, err, len);
        case CF_HTIMEOUT:
                return cf_health_ms(in, "timeoutMs", "--health-timeout", arg, err, len);
        case CF_HSTART:
                return cf_health_ms(in, "startPeriodMs", "--health-start-period", arg, err,
                                    len);
        case CF_HRETRIES:
                if (cf_int(arg, 0, 1000, &n) < 0)
                        return cf_bad(err, len, "--health-retries", arg, "a number");
                json_object_set_new(cf_obj(in, "healthcheck"), "retries", json_integer(n));
                return 0;
        case CF_NOHC:
                o->no_healthcheck = 1;
                return 0;
        case 'w':
                json_object_set_new(in, "workingDir", json_string(arg));
                return 0;
        case 'u':
                json_object_set_new(in, "user", json_string(arg));
                return 0;
        case CF_NAME:
                json_object_set_new(in, "name", json_string(arg));
                return 0;
        case 'l':
                eq = strchr(arg, '=');
                if (eq == arg || strlen(arg) >= sizeof(buf))
                        return cf_bad(err, len, "--label", arg, "KEY=VALUE or KEY");
                snprintf(buf, sizeof(buf), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg),
                         arg);
                json_object_set_new(cf_obj(in, "labels"), buf, json_string(eq ? eq + 1 : ""));
                return 0;
        case CF_READONLY:
                json_object_set_new(in, "readOnlyRootfs", json_true());
                return 0;
        case CF_TMPFS:
                eq = strchr(arg, ':');
                snprintf(buf, sizeof(buf), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg),
                         arg);
                json_object_set_new(cf_obj(in, "tmpfs"), buf, json_string(eq ? eq + 1 : ""));
                return 0;
        case CF_ENTRYPOINT:
                json_object_set_new(in, "entrypoint", json_pack("[s]", arg));
                return 0;
        case CF_CPUQUOTA:
        case CF_CPUPERIOD:
                if (cf_int(arg, 1, 1LL << 40, &n) < 0)
                        return cf_bad(err, len,
                                      ch == CF_CPUQUOTA ? "--cpu-quota" : "--cpu-period", arg,
                                      "microseconds");
                json_object_set_new(in, ch == CF_CPUQUOTA ? "cpuQuota" : "cpuPeriod",
                                    json_integer(n));
                return 0;
        case CF_CPUSET:
                json_object_set_new(in, "cpusetCpus", json_string(arg));
                return 0;
        case CF_SHM:
        case CF_SWAP:
                if (cf_bytes(arg, &n) < 0)
                        return cf_bad(err, len, ch == CF_SHM ? "--shm-size" : "--memory-swap",
                                      arg, "a size such as 64m");
                json_object_set_new(in, ch == CF_SHM ? "shmSize" : "memorySwap",
                                    json_integer(n));
                return 0;
        case CF_STOPSIG:
                json_object_set_new(in, "stopSignal", json_string(arg));
                return 0;
        case CF_STOPTIME:
                if (cf_int(arg, 0, 3600, &n) < 0)
                        return cf_bad(err, len, "--stop-timeout", arg, "seconds, 0..3600");
                json_object_set_new(in, "stopTimeout", json_integer(n));
                return 0;
        case CF_INIT:
                json_object_set_new(in, "init", json_true());
                return 0;
        case 'h':
                json_object_set_new(in, "hostname", json_string(arg));
                return 0;
        case CF_DOMAIN:
                json_object_set_new(in, "domainname", json_string(arg));
                return 0;
        case CF_ADDHOST:
                json_array_append_new(cf_arr(in, "extraHosts"), json_string(arg));
                return 0;
        case CF_DNS:
                json_array_append_new(cf_arr(in, "dns"), json_string(arg));
                return 0;
        case CF_CAPADD:
                json_array_append_new(cf_arr(in, "capAdd"), json_string(arg));
                return 0;
        case CF_RUNTIME:
                json_object_set_new(in, "runtime", json_string(arg));
                return 0;
        case CF_LEASE_TTL:
                if (cf_int(arg, 1, 30LL * 86400, &n) < 0)
                        return cf_bad(err, len, "--lease-ttl", arg, "seconds");
                json_object_set_new(cf_obj(in, "lease"), "ttlSeconds", json_integer(n));
                return 0;
        }
        return -2;
}

int cflags_parse(int argc, char **argv, int run, struct cflags *o, char *err, size_t len)
{
        int ch, rc;

        memset(o, 0, sizeof(*o));
        err[0] = '\0';
        if ((o->input = json_object()) == NULL)
                return -1;
        optind = 0;
        while ((ch = getopt_long(argc, argv,
                                 run ? "+dite:p:Pv:m:w:u:l:h:" : "+ite:p:Pv:m:w:u:l:h:",
                                 cf_longopts, NULL)) != -1) {
                if ((!run && (ch == 'd' || ch == CF_RM)) ||
                    (rc = cf_one(o, ch, optarg, err, len)) == -2) {
                        json_decref(o->input);
                        o->input = NULL;
                        return -2; /* getopt's refusal: main names the flag */
                }
                if (rc < 0) {
                        json_decref(o->input);
                        o->input = NULL;
                        return -1;
                }
        }
        if (optind == argc) {
                snprintf(err, len, "an image is required");
                json_decref(o->input);
                o->input = NULL;
                return -2;
        }
        if (o->no_healthcheck) {
                if (json_object_get(o->input, "healthcheck") != NULL) {
                        snprintf(err, len,
                                 "--no-healthcheck conflicts with --health-* options");
                        json_decref(o->input);
                        o->input = NULL;
                        return -1;
                }
                json_object_set_new(o->input, "healthcheck",
                                    json_pack("{s:[s]}", "test", "NONE"));
        } else if (json_object_get(o->input, "healthcheck") != NULL &&
                   json_object_get(json_object_get(o->input, "healthcheck"), "test") == NULL) {
                snprintf(err, len, "--health-* options need --health-cmd");
                json_decref(o->input);
                o->input = NULL;
                return -1;
        }
        o->image = argv[optind];
        o->cmd = argv + optind + 1;
        o->ncmd = argc - optind - 1;
        json_object_set_new(o->input, "image", json_string(o->image));
        if (o->ncmd > 0)
                json_object_set_new(o->input, "cmd", cli_strings(o->cmd, o->ncmd));
        if (o->interactive || o->tty) {
                json_object_set_new(o->input, "tty", json_boolean(o->tty));
                json_object_set_new(o->input, "openStdin", json_boolean(o->interactive));
                /* With -i, the end of our input (a pipe's EOF) closes the container's. */
                json_object_set_new(o->input, "stdinOnce", json_boolean(o->interactive));
        }
        /*
         * --rm: detached, the engine removes it when it exits; attached, a
         * session lease too, so that a killed CLI leaves nothing behind.
         */
        if (o->rm && o->detach)
                json_object_set_new(o->input, "autoRemove", json_true());
        else if (o->rm)
                json_object_set_new(cf_obj(o->input, "lease"), "session", json_true());
        return 0;
}
