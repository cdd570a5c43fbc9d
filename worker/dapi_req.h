/*
 * dapi_req.h - reading one HTTP/1.1 request from a Docker-API peer.
 *
 * A wrapper over http_parser (HTTP_REQUEST) that keeps what the front needs
 * and refuses what a careful server must: headers over DREQ_HEAD_MAX (431),
 * a body over the reader's cap (413), Content-Length twice or together with
 * Transfer-Encoding, a Transfer-Encoding other than chunked, HTTP other
 * than 1.1 (505), and anything http_parser finds malformed, CR or LF inside
 * a header value among it (400).  Each refusal carries the status and a
 * message for the peer; the connection is then closed by the caller.  It
 * never logs and never exits.
 */
#ifndef DG_WORKER_DAPI_REQ_H
#define DG_WORKER_DAPI_REQ_H

#include <stddef.h>

#include <http_parser.h>

#define DREQ_HEAD_MAX (16u << 10) /* request line and headers */
#define DREQ_URL_MAX 4096
#define DREQ_BODY_MAX (1u << 20) /* a JSON body */
#define DREQ_VALUE_MAX 1024      /* a header value we keep */

enum dreq_status {
        DREQ_MORE = 0, /* all input taken, the request is not complete */
        DREQ_DONE,     /* one request is complete; *used says where it ended */
        DREQ_ERROR,    /* refused: status and err say how to answer */
        DREQ_HEAD      /* a streamed request's head (PUT, streamed()) is complete; its body
                          waits for dreq_body_stream */
};

struct dreq {
        enum http_method method;
        char url[DREQ_URL_MAX + 1];
        size_t url_len;
        char content_type[DREQ_VALUE_MAX + 1];
        char connection[DREQ_VALUE_MAX + 1]; /* lower-cased */
        char upgrade[DREQ_VALUE_MAX + 1];    /* lower-cased */
        int n_content_length, n_transfer_encoding, chunked;
        int keep_alive; /* http_should_keep_alive() */
        char *body;     /* NUL-terminated, malloc'd; NULL when none */
        size_t body_len;
};

struct dreq_reader {
        http_parser parser;
        http_parser_settings settings;
        struct dreq req;
        size_t body_max;
        size_t head_bytes;
        int started;     /* a byte of this request was seen */
        int head_paused; /* a PUT's head was read and its body is not (DREQ_HEAD) */
        /*
         * Whether a request other than a PUT streams its body too (POST
         * /build): asked with the method and target once the head is read;
         * NULL: only PUTs do.  Kept across dreq_reset.
         */
        int (*streamed)(enum http_method method, const char *url);
        /* A streamed body (PUT): each piece goes here instead of req.body. */
        int (*body_cb)(void *arg, const char *p, size_t n); /* -1: stop (err set by caller) */
        void *body_arg;
        int complete; /* the request is complete (parser paused) */
        int status;   /* on DREQ_ERROR: the HTTP status to answer */
        char err[160];
        /* the header being read */
        char field[32];
        size_t field_len;
        int field_long; /* longer than field[]: not one we keep */
        char value[DREQ_VALUE_MAX + 1];
        size_t value_len;
        int in_value;
        int value_long;
};

void dreq_init(struct dreq_reader *r, size_t body_max);
/* Frees the last request and gets ready for the next one on the connection. */
void dreq_reset(struct dreq_reader *r);
void dreq_free(struct dreq_reader *r);
/*
 * A PUT's body (docker cp's tar) is not held: after DREQ_HEAD, the caller
 * routes the request and either streams the body to cb (the next feeds call
 * it; DREQ_DONE once it ended) or answers and closes the connection.
 */
void dreq_body_stream(struct dreq_reader *r, int (*cb)(void *arg, const char *p, size_t n),
                      void *arg);

/* Feeds len bytes; *used tells how many were taken (less than len after DREQ_DONE). */
enum dreq_status dreq_feed(struct dreq_reader *r, const char *buf, size_t len, size_t *used);

#endif
