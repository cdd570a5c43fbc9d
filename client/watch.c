/*
 * watch.c - the verbs that watch the engine as it goes: stats (a table
 * line per sample) and events (a line per event).  Both are subscriptions:
 * they run until the stream completes or the user interrupts them
 * (invoke.c turns SIGINT into call.aborted).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "invoke.h"
#include "output.h"
#include "units.h"

#define WATCH_STATS_USAGE "stats [--no-stream] CONTAINER"
#define WATCH_EVENTS_USAGE "events [--since TIME] [--until TIME] [--type TYPE]..."
#define WATCH_ATTRS_MAX 256 /* attributes shown per event; more are left out */

/* s (cleaned) left-aligned in width columns, then the gap. */
static void watch_cell(const char *s, size_t width)
{
        size_t w;

        fputs(s, stdout);
        for (w = output_width(s); w < width + 3; w++)
                fputc(' ', stdout);
}

/* --- stats --- */

struct watch_stats {
        char *name;   /* the container as the user named it, cleaned */
        size_t namew; /* its column's width */
        int shown;    /* the header is out: once, before the first sample */
};

static double watch_num(json_t *obj, const char *key)
{
        return json_number_value(json_object_get(obj, key));
}

static void watch_stats_header(const struct watch_stats *ws)
{
        watch_cell("CONTAINER", ws->namew);
        watch_cell("CPU %", 8);
        watch_cell("MEM USAGE / LIMIT", 20);
        watch_cell("NET I/O", 18);
        watch_cell("BLOCK I/O", 18);
        fputs("PIDS\n", stdout);
}

/* One sample {"cpuPercent", "memoryUsage", "memoryLimit", "networkRx", ...}. */
static int watch_stats_sample(struct cli *cli, json_t *s, void *arg)
{
        struct watch_stats *ws = arg;
        char cpu[32], mem[2][32], net[2][32], blk[2][32], buf[80];

        if (!json_is_object(s)) {
                cli_seterr(cli, "docker/container/stats: a sample is not an object");
                return -1;
        }
        if (!ws->shown++)
                watch_stats_header(ws);
        snprintf(cpu, sizeof(cpu), "%.2f%%", watch_num(s, "cpuPercent"));
        units_bytes(mem[0], sizeof(mem[0]), watch_num(s, "memoryUsage"));
        units_bytes(mem[1], sizeof(mem[1]), watch_num(s, "memoryLimit"));
        units_size(net[0], sizeof(net[0]), watch_num(s, "networkRx"), 3);
        units_size(net[1], sizeof(net[1]), watch_num(s, "networkTx"), 3);
        units_size(blk[0], sizeof(blk[0]), watch_num(s, "blockRead"), 3);
        units_size(blk[1], sizeof(blk[1]), watch_num(s, "blockWrite"), 3);
        watch_cell(ws->name, ws->namew);
        watch_cell(cpu, 8);
        snprintf(buf, sizeof(buf), "%s / %s", mem[0], mem[1]);
        watch_cell(buf, 20);
        snprintf(buf, sizeof(buf), "%s / %s", net[0], net[1]);
        watch_cell(buf, 18);
        snprintf(buf, sizeof(buf), "%s / %s", blk[0], blk[1]);
        watch_cell(buf, 18);
        printf("%.0f\n", watch_num(s, "pids"));
        fflush(stdout);
        return 0;
}

int watch_stats(struct cli *cli, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"no-stream", no_argument, NULL, 'n'},
            {NULL, 0, NULL, 0},
        };
        struct watch_stats ws;
        struct invoke_hooks h = {NULL, watch_stats_sample, &ws};
        int ch, stream = 1, rc;
        json_t *in;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                if (ch != 'n')
                        return cli_usage(cli, WATCH_STATS_USAGE);
                stream = 0;
        }
        if (argc - optind != 1)
                return cli_usage(cli, WATCH_STATS_USAGE);
        in = json_pack("{s:s,s:b}", "containerId", argv[optind], "stream", stream);
        ws.name = output_clean(argv[optind], strlen(argv[optind]));
        if (in == NULL || ws.name == NULL) {
                json_decref(in);
                free(ws.name);
                cli_seterr(cli, "invalid container name (not UTF-8?)");
                return CLI_USAGE;
        }
        ws.namew = output_width(ws.name) > 9 ? output_width(ws.name) : 9;
        ws.shown = 0;
        rc = invoke_run(cli, "docker/container/stats", in, &h);
        json_decref(in);
        free(ws.name);
        return rc;
}

/* --- events --- */

/* "1h30m", "90s", "5m": a Go-style duration of s, m and h parts, in seconds. */
static int watch_duration(const char *s, long long *secs)
{
        long long n, total = 0;
        char *end;

        if (*s == '\0')
                return -1;
        while (*s != '\0') {
                if (!isdigit((unsigned char)*s))
                        return -1;
                n = strtoll(s, &end, 10);
                if (n < 0 || n > 100LL * 365 * 24 * 3600)
                        return -1;
                if (*end == 'h')
                        n *= 3600;
                else if (*end == 'm')
                        n *= 60;
                else if (*end != 's')
                        return -1;
                total += n;
                s = end + 1;
        }
        *secs = total;
        return 0;
}

/* The zone of an RFC 3339 time: "Z" or "+hh:mm" / "-hh:mm", in seconds east. */
static int watch_zone(const char *s, long *east)
{
        int h, m, n = 0;

        if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0) {
                *east = 0;
                return 0;
        }
        if ((*s != '+' && *s != '-') || sscanf(s + 1, "%2d:%2d%n", &h, &m, &n) != 2 ||
            s[1 + n] != '\0' || h > 23 || m > 59)
                return -1;
        *east = (*s == '-' ? -1 : 1) * (h * 3600L + m * 60L);
        return 0;
}

/* "2024-01-02T03:04:05[.frac](Z|+hh:mm)", or "2024-01-02" (local midnight). */
static int watch_rfc3339(const char *s, long long *secs)
{
        struct tm tm;
        const char *p;
        long east;

        memset(&tm, 0, sizeof(tm));
        if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
                return -1;
        if (*p == '\0') {
                tm.tm_isdst = -1;
                *secs = (long long)mktime(&tm);
                return 0;
        }
        if ((*p != 'T' && *p != 't') || (p = strptime(p + 1, "%H:%M:%S", &tm)) == NULL)
                return -1;
        if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++)
                        ;
        if (watch_zone(p, &east) == -1)
                return -1;
        *secs = (long long)timegm(&tm) - east;
        return 0;
}

/* --since/--until as docker takes them: UNIX seconds, a duration ago, or a date. */
static int watch_time(const char *s, time_t now, json_int_t *out)
{
        long long secs;
        char *end;

        if (isdigit((unsigned char)*s) && (secs = strtoll(s, &end, 10)) >= 0 &&
            (*end == '\0' ||
             (*end == '.' && strspn(end + 1, "0123456789") == strlen(end + 1)))) {
                *out = secs;
                return 0;
        }
        if (watch_duration(s, &secs) == 0) {
                *out = (json_int_t)now - secs;
                return *out >= 0 ? 0 : -1;
        }
        if (watch_rfc3339(s, &secs) == 0 && secs >= 0) {
                *out = secs;
                return 0;
        }
        return -1;
}

int watch_parse_time(const char *s, time_t now, json_int_t *out)
{
        return watch_time(s, now, out);
}

/* The event's time as docker prints it: local RFC 3339 with nanoseconds. */
static void watch_event_time(json_t *ev)
{
        json_int_t ns = json_integer_value(json_object_get(ev, "timeNano"));
        time_t t;
        struct tm tm;
        char buf[64];
        long off;

        if (ns <= 0)
                ns = json_integer_value(json_object_get(ev, "time")) * 1000000000LL;
        t = (time_t)(ns / 1000000000LL);
        if (localtime_r(&t, &tm) == NULL ||
            strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                printf("%lld ", (long long)t);
                return;
        }
        printf("%s.%09lld", buf, (long long)(ns % 1000000000LL));
        if ((off = tm.tm_gmtoff) == 0)
                fputs("Z ", stdout);
        else
                printf("%c%02ld:%02ld ", off < 0 ? '-' : '+', labs(off) / 3600,
                       labs(off) % 3600 / 60);
}

static void watch_put_clean(const char *s)
{
        char *c = output_clean(s, strlen(s));

        fputs(c != NULL ? c : "?", stdout);
        free(c);
}

static int watch_strcmp(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* " (key=value, ...)" sorted by key, as docker prints an event's attributes. */
static void watch_event_attrs(json_t *attrs)
{
        const char *keys[WATCH_ATTRS_MAX], *k;
        size_t n = 0, i;
        json_t *v;

        json_object_foreach(attrs, k, v)
        {
                if (json_is_string(v) && n < WATCH_ATTRS_MAX)
                        keys[n++] = k;
        }
        if (n == 0)
                return;
        qsort(keys, n, sizeof(keys[0]), watch_strcmp);
        fputs(" (", stdout);
        for (i = 0; i < n; i++) {
                fputs(i > 0 ? ", " : "", stdout);
                watch_put_clean(keys[i]);
                fputc('=', stdout);
                watch_put_clean(json_string_value(json_object_get(attrs, keys[i])));
        }
        fputc(')', stdout);
}

/* One event {"type", "action", "id", "time", "timeNano", "attributes"}. */
static int watch_event(struct cli *cli, json_t *ev, void *arg)
{
        static const char *const words[] = {"type", "action", "id"};
        size_t i;

        (void)arg;
        if (!json_is_object(ev)) {
                cli_seterr(cli, "docker/system/events: an event is not an object");
                return -1;
        }
        watch_event_time(ev);
        for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                const char *s = json_string_value(json_object_get(ev, words[i]));

                fputs(i > 0 ? " " : "", stdout);
                watch_put_clean(s != NULL && *s != '\0' ? s : "-");
        }
        watch_event_attrs(json_object_get(ev, "attributes"));
        fputc('\n', stdout);
        fflush(stdout);
        return 0;
}

/* Fills in the events input from the options; -1 on a bad one. */
static int watch_events_input(int argc, char **argv, json_t *in, json_t *types)
{
        static const struct option longopts[] = {
            {"since", required_argument, NULL, 's'},
            {"until", required_argument, NULL, 'u'},
            {"type", required_argument, NULL, 't'},
            {NULL, 0, NULL, 0},
        };
        time_t now = time(NULL);
        json_int_t t;
        int ch;

        optind = 0;
        while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
                switch (ch) {
                case 's':
                case 'u':
                        if (watch_time(optarg, now, &t) == -1 ||
                            json_object_set_new(in, ch == 's' ? "since" : "until",
                                                json_integer(t)) == -1)
                                return -1;
                        break;
                case 't':
                        if (*optarg == '\0' ||
                            json_array_append_new(types, json_string(optarg)))
                                return -1;
                        break;
                default:
                        return -1;
                }
        }
        if (optind != argc)
                return -1;
        return json_array_size(types) > 0 ? json_object_set(in, "types", types) : 0;
}

int watch_events(struct cli *cli, int argc, char **argv)
{
        struct invoke_hooks h = {NULL, watch_event, NULL};
        json_t *in = json_object(), *types = json_array();
        int rc;

        if (in == NULL || types == NULL || watch_events_input(argc, argv, in, types) == -1)
                rc = cli_usage(cli, WATCH_EVENTS_USAGE "\n  TIME: UNIX seconds, a duration "
                                                       "ago (10m, 1h30m) or RFC 3339");
        else
                rc = invoke_run(cli, "docker/system/events", in, &h);
        json_decref(in);
        json_decref(types);
        return rc;
}
