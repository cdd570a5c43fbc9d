/*
 * pool_audit.c - the audit records of workers (audit.h): each call's end,
 * and what happens to workers.  Identity in every record comes from the
 * supervisor's own record of the connection (struct worker), never from
 * anything a worker sent.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "pool.h"

/*
 * A string for a record.  Text may hold bytes a peer or the engine chose
 * (names, messages); jansson escapes what JSON needs, and bytes that are
 * not UTF-8 become '?', so every line stays one valid JSON object.
 */
json_t *pool_audit_str(const char *s)
{
        json_t *j;
        char buf[MSG_TEXT_MAX + 1];
        size_t i;

        if (s == NULL || s[0] == '\0')
                return json_null();
        if ((j = json_string(s)) != NULL)
                return j;
        snprintf(buf, sizeof(buf), "%s", s);
        for (i = 0; buf[i] != '\0'; i++)
                if ((unsigned char)buf[i] >= 0x80)
                        buf[i] = '?';
        return json_string(buf);
}

int64_t pool_audit_since_us(const struct timespec *t0)
{
        struct timespec now;

        if (t0->tv_sec == 0 && t0->tv_nsec == 0)
                return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000 +
               (now.tv_nsec - t0->tv_nsec) / 1000;
}

/* Who, on which worker: the supervisor's record of the connection. */
json_t *pool_audit_who(const struct worker *w, const char *peer)
{
        if (w->tcp)
                return json_pack("{s:o,s:s,s:o,s:i}", "peer", pool_audit_str(peer), "transport",
                                 "tcp", "tokenId", pool_audit_str(w->token_id), "worker",
                                 (int)w->pid);
        return json_pack("{s:o,s:I,s:i}", "peer", pool_audit_str(peer), "uid",
                         (json_int_t)w->peer_uid, "worker", (int)w->pid);
}

void pool_audit_end(struct worker *w, const char *result, uint64_t bytes_in, uint64_t bytes_out,
                    int reported)
{
        struct audit *a = w->sv->audit;
        json_t *f;

        if (a == NULL || (f = pool_audit_who(w, w->open_peer)) == NULL)
                return;
        json_object_set_new(f, "call", pool_audit_str(w->open_id));
        json_object_set_new(f, "callSeq", json_integer((json_int_t)w->open_seq));
        json_object_set_new(f, "operation", pool_audit_str(w->open_op));
        json_object_set_new(f, "resource", pool_audit_str(w->open_resource));
        json_object_set_new(f, "result", json_string(result));
        json_object_set_new(f, "durationUs", json_integer(pool_audit_since_us(&w->open_t0)));
        json_object_set_new(f, "bytesIn", json_integer((json_int_t)bytes_in));
        json_object_set_new(f, "bytesOut", json_integer((json_int_t)bytes_out));
        json_object_set_new(f, "reported", json_boolean(reported));
        audit_append(a, "end", f);
}

void pool_audit_worker(struct worker *w, const char *event, const char *detail)
{
        struct audit *a = w->sv->audit;
        json_t *f;

        if (a == NULL ||
            (f = pool_audit_who(w, w->open_peer[0] ? w->open_peer : w->peer)) == NULL)
                return;
        json_object_set_new(f, "event", json_string(event));
        /* The operation it was serving, or its last one: what the peer was doing. */
        json_object_set_new(f, "operation", pool_audit_str(w->open_op));
        json_object_set_new(f, "inCall", json_boolean(w->open_seq != 0));
        json_object_set_new(f, "detail", pool_audit_str(detail));
        audit_append(a, "worker", f);
}
