/*
 * http.h - reading one HTTP response from an engine connection.
 *
 * A thin wrapper over http_parser (HTTP_RESPONSE): it does the chunked
 * decoding and framing; callers get the status once the headers are done,
 * then body bytes, then the end of the message.  It never logs, never
 * exits, and never frees anything from inside a callback.
 */
#ifndef DG_WORKER_HTTP_H
#define DG_WORKER_HTTP_H

#include <stddef.h>

#include <http_parser.h>

#define HTTP_KEEP_NAME_MAX 64
#define HTTP_KEEP_VALUE_MAX 8192

/*
 * Appends the n bytes at `at` (one piece of a header name, as http_parser
 * hands them over) to buf (size bytes, *len used, kept NUL-terminated).  A
 * name that does not fit sets *too_long, and once set nothing more is
 * appended: a cut name is never mistaken for a shorter one.
 */
void http_name_append(char *buf, size_t size, size_t *len, int *too_long, const char *at,
                      size_t n);

/* Each returns 0 to go on, -1 to stop reading (the reader is then "stopped"). */
struct http_read_cb {
        int (*head)(void *arg, int status); /* status line and headers done */
        int (*body)(void *arg, const char *buf, size_t len);
        int (*done)(void *arg); /* the message is complete */
};

struct http_read {
        http_parser parser;
        http_parser_settings settings;
        const struct http_read_cb *cb;
        void *arg;
        int head_seen;
        int complete;
        int stopped;  /* a callback asked to stop */
        int upgraded; /* 101/Upgrade: the bytes after the headers are a raw stream */
        /* One response header kept, when the caller names it (http_read_keep). */
        const char *keep_name;
        char keep_field[HTTP_KEEP_NAME_MAX + 1];
        size_t keep_field_len;
        int keep_field_long;
        int keep_in_value; /* reading a header's value (else its name) */
        int keep_match;    /* the value being read is the kept header's */
        char keep_value[HTTP_KEEP_VALUE_MAX + 1];
        size_t keep_value_len;
        int keep_seen; /* the header was present (more than once: the last one) */
        int keep_long; /* its value was longer than HTTP_KEEP_VALUE_MAX: not kept */
};

enum http_read_status {
        HTTP_READ_OK = 0,  /* all input consumed (or the message is complete) */
        HTTP_READ_STOPPED, /* a callback returned -1 */
        HTTP_READ_UPGRADE, /* headers of an upgrade done; *used tells where raw bytes start */
        HTTP_READ_ERROR    /* malformed response */
};

void http_read_init(struct http_read *r, const struct http_read_cb *cb, void *arg);
/* Feeds len bytes (len 0: the connection reached EOF).  *used: bytes consumed. */
enum http_read_status http_read_feed(struct http_read *r, const char *buf, size_t len,
                                     size_t *used);
/*
 * Keeps the value of the response header name (matched without regard to
 * case) in r->keep_value, NUL-terminated, once the head is done.  Call
 * after http_read_init; name is borrowed.
 */
void http_read_keep(struct http_read *r, const char *name);

/* A short description of the last parse error, for logs. */
const char *http_read_error(const struct http_read *r);

#endif
