/*
 * stream_stats.c - kind "stats" (stream_stats.h).
 *
 * The engine keeps a streamed stats answer open even after the container
 * stopped, sending zeroed samples (read time "0001-01-01T00:00:00Z") every
 * second; such a sample therefore ends a streamed call with call.completed.
 * It is relayed only when it is the call's first sample, so that a peer
 * asking about a stopped container still gets one (all zero) record.
 *
 * Numbers are decoded as reals: the engine's counters are unsigned 64-bit
 * and may not fit jansson's signed integers; they are summed in double,
 * exact to 2^53, and sent as integers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "log.h"
#include "stream_json.h"
#include "stream_stats.h"

#define STATS_ZERO_TIME "0001-01-01T00:00:00Z"

struct stats {
        struct stream_json j; /* first: stream_json_kind_* take the state as one */
        int stream;           /* a stream of samples, not one */
        int sent;             /* records sent */
};

/* The number at a dot-separated path in o, or 0 when absent or not a number. */
static double stream_stats_num(const json_t *o, const char *path)
{
        char key[64];
        const char *dot;

        while ((dot = strchr(path, '.')) != NULL) {
                snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
                o = json_object_get(o, key);
                path = dot + 1;
        }
        return json_number_value(json_object_get(o, path));
}

static json_t *stream_stats_int(double v)
{
        if (!isfinite(v) || v <= 0)
                return json_integer(0);
        if (v >= 9.2e18)
                return json_integer(INT64_MAX);
        return json_integer((json_int_t)v);
}

/* docker CLI: the container's share of the host's CPU time, times the online CPUs. */
static double stream_stats_cpu(const json_t *s)
{
        double cpu = stream_stats_num(s, "cpu_stats.cpu_usage.total_usage") -
                     stream_stats_num(s, "precpu_stats.cpu_usage.total_usage");
        double sys = stream_stats_num(s, "cpu_stats.system_cpu_usage") -
                     stream_stats_num(s, "precpu_stats.system_cpu_usage");
        double ncpu = stream_stats_num(s, "cpu_stats.online_cpus"), pct;

        if (ncpu <= 0)
                ncpu = (double)json_array_size(json_object_get(
                    json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage"),
                    "percpu_usage"));
        if (sys <= 0 || cpu <= 0)
                return 0;
        pct = cpu / sys * ncpu * 100.0;
        return isfinite(pct) ? pct : 0;
}

/* docker CLI: usage without the page cache that can be reclaimed (inactive files). */
static double stream_stats_mem(const json_t *s)
{
        const json_t *ms = json_object_get(json_object_get(s, "memory_stats"), "stats");
        double usage = stream_stats_num(s, "memory_stats.usage");
        const json_t *v1 = json_object_get(ms, "total_inactive_file"); /* cgroup v1 */
        double inactive;

        if (json_is_number(v1))
                inactive = json_number_value(v1);
        else
                inactive = stream_stats_num(ms, "inactive_file"); /* cgroup v2 */
        return inactive < usage ? usage - inactive : usage;
}

static void stream_stats_net(const json_t *s, double *rx, double *tx)
{
        const char *k;
        json_t *v;

        *rx = *tx = 0;
        json_object_foreach(json_object_get(s, "networks"), k, v)
        {
                *rx += stream_stats_num(v, "rx_bytes");
                *tx += stream_stats_num(v, "tx_bytes");
        }
}

/* cgroup v1 says "Read"/"Write", v2 "read"/"write". */
static void stream_stats_blk(const json_t *s, double *rd, double *wr)
{
        const json_t *a =
            json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive");
        const char *op;
        json_t *v;
        size_t i;

        *rd = *wr = 0;
        json_array_foreach(a, i, v)
        {
                if ((op = json_string_value(json_object_get(v, "op"))) == NULL)
                        continue;
                if (strcasecmp(op, "read") == 0)
                        *rd += stream_stats_num(v, "value");
                else if (strcasecmp(op, "write") == 0)
                        *wr += stream_stats_num(v, "value");
        }
}

static json_t *stream_stats_record(const json_t *s)
{
        const char *read = json_string_value(json_object_get(s, "read"));
        double rx, tx, rd, wr;
        json_t *o;

        stream_stats_net(s, &rx, &tx);
        stream_stats_blk(s, &rd, &wr);
        o = json_pack(
            "{s:f,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s?}", "cpuPercent", stream_stats_cpu(s),
            "memoryUsage", stream_stats_int(stream_stats_mem(s)), "memoryLimit",
            stream_stats_int(stream_stats_num(s, "memory_stats.limit")), "networkRx",
            stream_stats_int(rx), "networkTx", stream_stats_int(tx), "blockRead",
            stream_stats_int(rd), "blockWrite", stream_stats_int(wr), "pids",
            stream_stats_int(stream_stats_num(s, "pids_stats.current")), "read", read);
        if (o == NULL)
                fatalx("out of memory building a stats record");
        return o;
}

static int stream_stats_object(struct stream *st, json_t *obj)
{
        struct stats *x = st->state;
        const char *read = json_string_value(json_object_get(obj, "read"));
        int stopped = read != NULL && strcmp(read, STATS_ZERO_TIME) == 0;
        json_t *rec;

        if (x->stream && stopped && x->sent > 0) {
                call_complete(st->c);
                return -1;
        }
        rec = stream_stats_record(obj);
        if (call_respond(st->c, rec) == -1)
                fatalx("cannot build a stats record");
        json_decref(rec);
        x->sent++;
        if (st->dead)
                return -1;
        if (x->stream && stopped) {
                call_complete(st->c);
                return -1;
        }
        return 0;
}

static void *stream_stats_start(struct stream *st, const json_t *opts, char *err, size_t errlen)
{
        json_t *v = json_object_get(opts, "stream");
        struct stats *x;

        if (!json_is_object(opts) || json_object_size(opts) != 1 || !json_is_boolean(v)) {
                snprintf(err, errlen, "stats options must be {\"stream\": bool}");
                return NULL;
        }
        if ((x = calloc(1, sizeof(*x))) == NULL)
                fatal("calloc");
        x->stream = json_is_true(v);
        stream_json_init(&x->j, st, stream_stats_object, JSON_DECODE_INT_AS_REAL);
        return x;
}

const struct stream_kind stream_stats_kind = {
    .name = "stats",
    .start = stream_stats_start,
    .head = stream_json_kind_head,
    .body = stream_json_kind_body,
    .done = stream_json_kind_done,
    .free = stream_json_kind_free,
};
