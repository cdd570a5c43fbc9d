/*
 * dapi_req.c - one HTTP request read with http_parser (dapi_req.h).
 *
 * SECURITY: the bytes come from a hostile peer.  Framing, chunked decoding
 * and the grammar of the request line and headers are http_parser's; this
 * file bounds every size before it keeps a byte, and refuses the requests
 * whose length two parties could read differently (the request-smuggling
 * shapes: Content-Length twice, or with Transfer-Encoding).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dapi_req.h"
#include "http.h"

static struct dreq_reader *dreq_of(http_parser *p)
{
        return p->data;
}

static int dreq_fail(struct dreq_reader *r, int status, const char *err)
{
        if (r->status == 0) {
                r->status = status;
                strncpy(r->err, err, sizeof(r->err) - 1);
                r->err[sizeof(r->err) - 1] = '\0';
        }
        return -1;
}

static int dreq_count(struct dreq_reader *r, size_t len)
{
        r->head_bytes += len;
        if (r->head_bytes > DREQ_HEAD_MAX)
                return dreq_fail(r, 431, "request header fields too large");
        return 0;
}

static int dreq_on_begin(http_parser *p)
{
        dreq_of(p)->started = 1;
        return 0;
}

static int dreq_on_url(http_parser *p, const char *at, size_t len)
{
        struct dreq_reader *r = dreq_of(p);

        if (dreq_count(r, len) == -1)
                return -1;
        if (r->req.url_len + len > DREQ_URL_MAX)
                return dreq_fail(r, 414, "request URI too long");
        memcpy(r->req.url + r->req.url_len, at, len);
        r->req.url_len += len;
        r->req.url[r->req.url_len] = '\0';
        return 0;
}

static void dreq_lower(char *s)
{
        for (; *s != '\0'; s++)
                *s = (char)tolower((unsigned char)*s);
}

/* The header just read (field and value complete). */
static int dreq_header_done(struct dreq_reader *r)
{
        struct dreq *q = &r->req;
        const char *f = r->field;

        r->in_value = 0;
        if (r->field_long)
                goto next;
        if (strcasecmp(f, "content-length") == 0) {
                if (++q->n_content_length > 1)
                        return dreq_fail(r, 400, "more than one Content-Length header");
        } else if (strcasecmp(f, "transfer-encoding") == 0) {
                if (++q->n_transfer_encoding > 1)
                        return dreq_fail(r, 400, "more than one Transfer-Encoding header");
                if (r->value_long || strcasecmp(r->value, "chunked") != 0)
                        return dreq_fail(r, 501,
                                         "only Transfer-Encoding: chunked is supported");
                q->chunked = 1;
        } else if (strcasecmp(f, "content-type") == 0) {
                if (r->value_long || q->content_type[0] != '\0')
                        return dreq_fail(r, 400,
                                         "one Content-Type header, of reasonable length");
                memcpy(q->content_type, r->value, r->value_len + 1);
        } else if (strcasecmp(f, "connection") == 0) {
                if (r->value_long || q->connection[0] != '\0')
                        return dreq_fail(r, 400, "one Connection header, of reasonable length");
                memcpy(q->connection, r->value, r->value_len + 1);
                dreq_lower(q->connection);
        } else if (strcasecmp(f, "upgrade") == 0) {
                if (r->value_long || q->upgrade[0] != '\0')
                        return dreq_fail(r, 400, "one Upgrade header, of reasonable length");
                memcpy(q->upgrade, r->value, r->value_len + 1);
                dreq_lower(q->upgrade);
        }
next:
        r->field_len = 0;
        r->field_long = 0;
        r->field[0] = '\0';
        r->value_len = 0;
        r->value_long = 0;
        r->value[0] = '\0';
        return 0;
}

static int dreq_on_field(http_parser *p, const char *at, size_t len)
{
        struct dreq_reader *r = dreq_of(p);

        if (dreq_count(r, len) == -1)
                return -1;
        if (r->in_value && dreq_header_done(r) == -1)
                return -1;
        http_name_append(r->field, sizeof(r->field), &r->field_len, &r->field_long, at, len);
        return 0;
}

static int dreq_on_value(http_parser *p, const char *at, size_t len)
{
        struct dreq_reader *r = dreq_of(p);

        if (dreq_count(r, len) == -1)
                return -1;
        r->in_value = 1;
        if (r->value_len + len > DREQ_VALUE_MAX) {
                r->value_long = 1;
                return 0;
        }
        if (memchr(at, '\0', len) != NULL)
                return dreq_fail(r, 400, "NUL in a header value");
        memcpy(r->value + r->value_len, at, len);
        r->value_len += len;
        r->value[r->value_len] = '\0';
        return 0;
}

static int dreq_on_headers_complete(http_parser *p)
{
        struct dreq_reader *r = dreq_of(p);
        struct dreq *q = &r->req;

        if (r->in_value && dreq_header_done(r) == -1)
                return -1;
        if (p->http_major != 1 || p->http_minor != 1)
                return dreq_fail(r, 505, "only HTTP/1.1 is supported");
        if (q->n_content_length > 0 && q->n_transfer_encoding > 0)
                return dreq_fail(r, 400, "Content-Length together with Transfer-Encoding");
        q->method = (enum http_method)p->method;
        q->keep_alive = http_should_keep_alive(p);
        if (q->method == HTTP_PUT || (r->streamed != NULL && r->streamed(q->method, q->url))) {
                /* Streamed, never held: the route decides (dreq_body_stream). */
                r->head_paused = 1;
                http_parser_pause(p, 1);
                return 0;
        }
        if (q->n_content_length > 0 && p->content_length > r->body_max)
                return dreq_fail(r, 413, "request body too large");
        return 0;
}

static int dreq_on_body(http_parser *p, const char *at, size_t len)
{
        struct dreq_reader *r = dreq_of(p);
        struct dreq *q = &r->req;
        char *nb;

        if (r->body_cb != NULL)
                return r->body_cb(r->body_arg, at, len) == -1 ? -1 : 0;
        if (q->body_len + len > r->body_max)
                return dreq_fail(r, 413, "request body too large");
        if ((nb = realloc(q->body, q->body_len + len + 1)) == NULL)
                return dreq_fail(r, 500, "out of memory");
        q->body = nb;
        memcpy(q->body + q->body_len, at, len);
        q->body_len += len;
        q->body[q->body_len] = '\0';
        return 0;
}

static int dreq_on_complete(http_parser *p)
{
        struct dreq_reader *r = dreq_of(p);

        r->complete = 1;
        /* One request at a time: what follows waits for the answer. */
        http_parser_pause(p, 1);
        return 0;
}

void dreq_init(struct dreq_reader *r, size_t body_max)
{
        memset(r, 0, sizeof(*r));
        r->body_max = body_max;
        http_parser_settings_init(&r->settings);
        r->settings.on_message_begin = dreq_on_begin;
        r->settings.on_url = dreq_on_url;
        r->settings.on_header_field = dreq_on_field;
        r->settings.on_header_value = dreq_on_value;
        r->settings.on_headers_complete = dreq_on_headers_complete;
        r->settings.on_body = dreq_on_body;
        r->settings.on_message_complete = dreq_on_complete;
        http_parser_init(&r->parser, HTTP_REQUEST);
        r->parser.data = r;
}

void dreq_body_stream(struct dreq_reader *r, int (*cb)(void *arg, const char *p, size_t n),
                      void *arg)
{
        r->body_cb = cb;
        r->body_arg = arg;
        r->head_paused = 0;
        http_parser_pause(&r->parser, 0);
}

void dreq_free(struct dreq_reader *r)
{
        free(r->req.body);
        r->req.body = NULL;
}

void dreq_reset(struct dreq_reader *r)
{
        size_t max = r->body_max;
        int (*streamed)(enum http_method, const char *) = r->streamed;

        dreq_free(r);
        dreq_init(r, max);
        r->streamed = streamed;
}

/* "PRI * HTTP/2.0": the HTTP/2 connection preface, refused in words. */
static int dreq_h2_preface(const char *buf, size_t len)
{
        static const char pri[] = "PRI * HTTP/2";
        size_t n = len < sizeof(pri) - 1 ? len : sizeof(pri) - 1;

        return n >= 3 && memcmp(buf, pri, n) == 0;
}

enum dreq_status dreq_feed(struct dreq_reader *r, const char *buf, size_t len, size_t *used)
{
        size_t n;

        *used = 0;
        if (r->status != 0)
                return DREQ_ERROR;
        if (r->complete)
                return DREQ_DONE;
        if (!r->started && len > 0 && dreq_h2_preface(buf, len)) {
                dreq_fail(r, 505, "HTTP/2 is not supported; use HTTP/1.1");
                return DREQ_ERROR;
        }
        n = http_parser_execute(&r->parser, &r->settings, buf, len);
        *used = n > len ? len : n;
        if (r->status != 0)
                return DREQ_ERROR;
        if (r->complete)
                return DREQ_DONE;
        if (r->head_paused)
                return DREQ_HEAD;
        if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) {
                dreq_fail(r, 400, http_errno_description(HTTP_PARSER_ERRNO(&r->parser)));
                return DREQ_ERROR;
        }
        if (r->parser.upgrade) {
                /* A request that upgrades must still be one we route (attach, exec). */
                return DREQ_DONE;
        }
        return DREQ_MORE;
}
