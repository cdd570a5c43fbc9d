/*
 * http.c - one HTTP response read incrementally with http_parser.
 *
 * SECURITY: the engine connection carries bytes from containers; framing and
 * chunked decoding are left to http_parser, never done by hand.  After the
 * message is complete the parser is paused, so trailing bytes are ignored
 * instead of being read as a second response.
 */
#include <string.h>
#include <strings.h>

#include "http.h"

static struct http_read *http_of(http_parser *p)
{
        return p->data;
}

void http_name_append(char *buf, size_t size, size_t *len, int *too_long, const char *at,
                      size_t n)
{
        if (*too_long || *len + n >= size) {
                *too_long = 1;
                return;
        }
        memcpy(buf + *len, at, n);
        *len += n;
        buf[*len] = '\0';
}

static int http_on_header_field(http_parser *p, const char *at, size_t len)
{
        struct http_read *r = http_of(p);

        if (r->keep_in_value) {
                r->keep_in_value = 0;
                r->keep_field_len = 0;
                r->keep_field_long = 0;
        }
        http_name_append(r->keep_field, sizeof(r->keep_field), &r->keep_field_len,
                         &r->keep_field_long, at, len);
        return 0;
}

static int http_on_header_value(http_parser *p, const char *at, size_t len)
{
        struct http_read *r = http_of(p);

        if (!r->keep_in_value) {
                r->keep_in_value = 1;
                r->keep_match = !r->keep_field_long && r->keep_field_len > 0 &&
                                strcasecmp(r->keep_field, r->keep_name) == 0;
                if (r->keep_match) {
                        r->keep_seen = 1;
                        r->keep_long = 0;
                        r->keep_value_len = 0;
                        r->keep_value[0] = '\0';
                }
        }
        if (!r->keep_match || r->keep_long)
                return 0;
        if (r->keep_value_len + len > HTTP_KEEP_VALUE_MAX) {
                r->keep_long = 1;
                return 0;
        }
        memcpy(r->keep_value + r->keep_value_len, at, len);
        r->keep_value_len += len;
        r->keep_value[r->keep_value_len] = '\0';
        return 0;
}

static int http_on_headers_complete(http_parser *p)
{
        struct http_read *r = http_of(p);

        r->head_seen = 1;
        if (r->cb->head != NULL && r->cb->head(r->arg, (int)p->status_code) == -1) {
                r->stopped = 1;
                return -1;
        }
        return 0;
}

static int http_on_body(http_parser *p, const char *at, size_t len)
{
        struct http_read *r = http_of(p);

        if (r->cb->body != NULL && r->cb->body(r->arg, at, len) == -1) {
                r->stopped = 1;
                return -1;
        }
        return 0;
}

static int http_on_message_complete(http_parser *p)
{
        struct http_read *r = http_of(p);

        if (p->upgrade) {
                /* The caller takes the raw bytes that follow. */
                r->upgraded = 1;
                return 0;
        }
        r->complete = 1;
        /* One response per connection: whatever follows is not read. */
        http_parser_pause(p, 1);
        if (r->cb->done != NULL && r->cb->done(r->arg) == -1) {
                r->stopped = 1;
                return -1;
        }
        return 0;
}

void http_read_keep(struct http_read *r, const char *name)
{
        r->keep_name = name;
        r->settings.on_header_field = http_on_header_field;
        r->settings.on_header_value = http_on_header_value;
}

void http_read_init(struct http_read *r, const struct http_read_cb *cb, void *arg)
{
        memset(r, 0, sizeof(*r));
        http_parser_init(&r->parser, HTTP_RESPONSE);
        http_parser_settings_init(&r->settings);
        r->settings.on_headers_complete = http_on_headers_complete;
        r->settings.on_body = http_on_body;
        r->settings.on_message_complete = http_on_message_complete;
        r->parser.data = r;
        r->cb = cb;
        r->arg = arg;
}

enum http_read_status http_read_feed(struct http_read *r, const char *buf, size_t len,
                                     size_t *used)
{
        size_t n;

        *used = 0;
        if (r->stopped)
                return HTTP_READ_STOPPED;
        if (r->complete) {
                *used = len; /* after the one response: ignored */
                return HTTP_READ_OK;
        }
        if (r->upgraded)
                return HTTP_READ_UPGRADE;
        n = http_parser_execute(&r->parser, &r->settings, buf, len);
        /* At EOF (len 0) in mid-message, http_parser reports 1 byte "parsed". */
        *used = n > len ? len : n;
        if (r->stopped)
                return HTTP_READ_STOPPED;
        if (r->upgraded)
                return HTTP_READ_UPGRADE;
        if (r->complete) {
                *used = len;
                return HTTP_READ_OK;
        }
        if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK)
                return HTTP_READ_ERROR;
        return HTTP_READ_OK;
}

const char *http_read_error(const struct http_read *r)
{
        return http_errno_description(HTTP_PARSER_ERRNO(&r->parser));
}
