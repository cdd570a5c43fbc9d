/*
 * dapi_render.c - responses written as the Docker Engine (API 1.41) writes
 * them: the headers its clients read, JSON documents, the {"message": ...}
 * error shape, chunked streams and the hijack answers.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapi.h"
#include "jdump.h"
#include "log.h"

/* Every answer carries what the engine's carry, so that clients negotiate the same. */
#define DAPI_COMMON_HEADERS                                                                    \
        "Api-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\n"                 \
        "Server: dockgate (Docker Engine API 1.41)\r\n"

static const char *dapi_reason(int status)
{
        switch (status) {
        case 101:
                return "UPGRADED";
        case 200:
                return "OK";
        case 201:
                return "Created";
        case 204:
                return "No Content";
        case 304:
                return "Not Modified";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 408:
                return "Request Timeout";
        case 409:
                return "Conflict";
        case 413:
                return "Payload Too Large";
        case 414:
                return "URI Too Long";
        case 429:
                return "Too Many Requests";
        case 431:
                return "Request Header Fields Too Large";
        case 500:
                return "Internal Server Error";
        case 501:
                return "Not Implemented";
        case 503:
                return "Service Unavailable";
        case 504:
                return "Gateway Timeout";
        case 505:
                return "HTTP Version Not Supported";
        default:
                return status < 400 ? "OK" : "Error";
        }
}

static void dapi_head(struct dapi *d, int status, const char *ctype, const char *length,
                      const char *headers)
{
        char buf[12288]; /* headers may carry a path stat (dapi_relay.c) */
        int n;

        n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d %s\r\n" DAPI_COMMON_HEADERS "%s%s%s%s%s%s",
                     status, dapi_reason(status), ctype ? "Content-Type: " : "",
                     ctype ? ctype : "", ctype ? "\r\n" : "", length ? length : "",
                     headers ? headers : "",
                     d->close_after || d->state == DA_CLOSING ? "Connection: close\r\n" : "");
        if (n < 0 || (size_t)n >= sizeof(buf) - 2)
                fatalx("response head too long");
        /* Sent by its length, not a C string. */
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
        memcpy(buf + n, "\r\n", 2);
        dapi_send(d, buf, (size_t)n + 2);
}

void dapi_reply(struct dapi *d, int status, const char *ctype, const char *body, size_t len,
                const char *headers)
{
        char cl[64];

        snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", len);
        dapi_head(d, status, ctype, status == 204 || status == 304 ? NULL : cl, headers);
        if (!d->head_only && len > 0)
                dapi_send(d, body, len);
}

void dapi_reply_json(struct dapi *d, int status, const json_t *doc)
{
        size_t n;
        char *txt = jdump(doc, &n); /* json_dumps' bytes (compact, any value), faster */

        if (txt == NULL) {
                dapi_reply_error(d, 500, "cannot encode the answer");
                return;
        }
        /* The engine ends its JSON answers with a newline; some scripts rely on it. */
        txt = realloc(txt, n + 2);
        if (txt == NULL)
                fatal("realloc");
        txt[n] = '\n';
        txt[n + 1] = '\0';
        if (d->chunked_open) {
                /* The head is out already (an early route): the document is the body. */
                dapi_chunk(d, txt, n + 1);
                dapi_chunk(d, NULL, 0);
        } else {
                dapi_reply(d, status, "application/json", txt, n + 1, NULL);
        }
        free(txt);
}

void dapi_reply_empty(struct dapi *d, int status)
{
        dapi_reply(d, status, NULL, NULL, 0, NULL);
}

static void dapi_reply_message(struct dapi *d, int status, const char *msg, const char *headers)
{
        json_t *o = json_pack("{s:s}", "message", msg);
        char *txt;

        if (o == NULL) /* not UTF-8 */
                o = json_pack("{s:s}", "message", "error");
        txt = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (txt == NULL)
                fatalx("out of memory");
        {
                size_t n = strlen(txt);
                char *t2 = realloc(txt, n + 2);

                if (t2 == NULL)
                        fatal("realloc");
                t2[n] = '\n';
                t2[n + 1] = '\0';
                dapi_reply(d, status, "application/json", t2, n + 1, headers);
                free(t2);
        }
}

void dapi_reply_error(struct dapi *d, int status, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        dapi_reply_message(d, status, msg, NULL);
}

int dapi_status_of(enum dg_err code, const json_t *details)
{
        json_int_t st;

        switch (code) {
        case DG_PROTOCOL_ERROR:
        case DG_INVALID_INPUT:
                return 400;
        case DG_UNAUTHENTICATED:
                return 401;
        case DG_FORBIDDEN:
                return 403;
        case DG_NOT_FOUND:
                return 404;
        case DG_CONFLICT:
                return 409;
        case DG_QUOTA_EXCEEDED:
        case DG_RATE_LIMITED:
                return 429;
        case DG_UNAVAILABLE:
                return 503;
        case DG_TIMEOUT:
                return 504;
        case DG_DOCKER_ERROR:
                st = json_integer_value(json_object_get(details, "status"));
                return st >= 400 && st <= 599 ? (int)st : 500;
        default:
                return 500;
        }
}

void dapi_reply_fail(struct dapi *d, enum dg_err code, const char *text, const json_t *details)
{
        char msg[MSG_TEXT_MAX + 1], hdr[64] = "";
        json_int_t ms;

        snprintf(msg, sizeof(msg), "%s", text != NULL && text[0] ? text : dg_err_name(code));
        /* The engine's wording: "No such container: web". */
        if (code == DG_NOT_FOUND)
                msg[0] = (char)toupper((unsigned char)msg[0]);
        if (d->chunked_open) {
                /* After the head (wait): the engine's shape for a wait that failed. */
                json_t *doc =
                    json_pack("{s:i,s:{s:s}}", "StatusCode", -1, "Error", "Message", msg);

                dapi_reply_json(d, 200, doc);
                json_decref(doc);
                return;
        }
        if (code == DG_RATE_LIMITED) {
                ms = json_integer_value(json_object_get(details, "retryAfterMs"));
                snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\n",
                         (long long)(ms > 0 ? (ms + 999) / 1000 : 1));
        }
        dapi_reply_message(d, dapi_status_of(code, details), msg, hdr[0] ? hdr : NULL);
}

void dapi_reply_chunked(struct dapi *d, int status, const char *ctype)
{
        dapi_head(d, status, ctype, "Transfer-Encoding: chunked\r\n", NULL);
}

void dapi_reply_chunked_with(struct dapi *d, int status, const char *ctype, const char *headers)
{
        dapi_head(d, status, ctype, "Transfer-Encoding: chunked\r\n", headers);
}

void dapi_chunk(struct dapi *d, const void *p, size_t n)
{
        char hdr[24];
        int k = snprintf(hdr, sizeof(hdr), "%zx\r\n", n);

        dapi_send(d, hdr, (size_t)k);
        if (n > 0)
                dapi_send(d, p, n);
        dapi_send(d, "\r\n", 2);
}

void dapi_reply_hijack(struct dapi *d, const char *ctype)
{
        char buf[512];
        int n;

        if (d->upgrade)
                n = snprintf(buf, sizeof(buf),
                             "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: "
                             "Upgrade\r\nUpgrade: tcp\r\n" DAPI_COMMON_HEADERS "\r\n",
                             ctype);
        else
                n = snprintf(buf, sizeof(buf),
                             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n" DAPI_COMMON_HEADERS
                             "\r\n",
                             ctype);
        dapi_send(d, buf, (size_t)n);
}
