/*
 * dgclient.c - blocking client side of the dockgate wire protocol.
 *
 * One read buffer feeds both decoders: a raw call switches from frames to
 * chunks in the middle of whatever read() returned, so bytes after the
 * last frame must stay buffered for the chunk reader.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgclient.h"
#include "frame.h"

#define DGC_RBUF (64 * 1024)

struct dgc {
        int fd;
        struct frame_dec fdec;
        struct chunk_dec cdec;
        unsigned char rbuf[DGC_RBUF];
        size_t rpos, rlen; /* unconsumed input is rbuf[rpos..rlen) */
        /* The chunk being read; kept here so that DGC_INTR loses nothing. */
        unsigned char *cbuf;
        size_t clen;
        int use_mask;
        sigset_t waitmask;
        char err[256];
};

static const struct {
        const char *name;
        enum dgc_ftype type;
} dgc_ftypes[] = {
    {"call.responded", DGC_F_RESPONDED},
    {"call.completed", DGC_F_COMPLETED},
    {"call.error", DGC_F_ERROR},
    {"call.aborted", DGC_F_ABORTED},
};

static enum dgc_status dgc_fail(struct dgc *c, enum dgc_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum dgc_status dgc_fail(struct dgc *c, enum dgc_status st, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->err, sizeof(c->err), fmt, ap);
        va_end(ap);
        return st;
}

/* Only unix sockets for now; other transports get their own prefix. */
static int dgc_connect_unix(const char *path, char *err, size_t errlen)
{
        struct sockaddr_un sun;
        int fd;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
                snprintf(err, errlen, "socket path empty or too long");
                return -1;
        }
        memcpy(sun.sun_path, path, strlen(path) + 1);
        if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
                snprintf(err, errlen, "socket: %s", strerror(errno));
                return -1;
        }
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                close(fd);
                return -1;
        }
        return fd;
}

struct dgc *dgc_connect(const char *addr, char *err, size_t errlen)
{
        struct dgc *c;
        int fd;

        if (strncmp(addr, "unix:", 5) == 0)
                addr += 5;
        else if (strncmp(addr, "tcp:", 4) == 0) {
                snprintf(err, errlen, "%s: tcp transport not supported", addr);
                return NULL;
        }
        if ((fd = dgc_connect_unix(addr, err, errlen)) == -1)
                return NULL;
        if ((c = calloc(1, sizeof(*c))) == NULL) {
                snprintf(err, errlen, "out of memory");
                close(fd);
                return NULL;
        }
        c->fd = fd;
        frame_dec_init(&c->fdec, FRAME_MAX_SERVER);
        chunk_dec_init(&c->cdec);
        return c;
}

void dgc_close(struct dgc *c)
{
        if (c == NULL)
                return;
        frame_dec_free(&c->fdec);
        free(c->cbuf);
        close(c->fd);
        free(c);
}

int dgc_fd(const struct dgc *c)
{
        return c->fd;
}

size_t dgc_buffered(const struct dgc *c)
{
        return c->rlen - c->rpos;
}

const char *dgc_errmsg(const struct dgc *c)
{
        return c->err;
}

void dgc_set_waitmask(struct dgc *c, const sigset_t *mask)
{
        c->use_mask = mask != NULL;
        if (mask != NULL)
                c->waitmask = *mask;
}

/* Writes all of buf; the socket may take it in pieces. */
static enum dgc_status dgc_write(struct dgc *c, const void *buf, size_t len)
{
        const unsigned char *p = buf;
        ssize_t n;

        while (len > 0) {
                /* MSG_NOSIGNAL: a closed stream is an error to report, not SIGPIPE. */
                n = send(c->fd, p, len, MSG_NOSIGNAL);
                if (n == -1 && errno == EINTR)
                        continue;
                /*
                 * The gateway may refuse a stream at accept (an unmapped uid,
                 * a stream quota) and close it before we write: what it said
                 * is still to be read, and the read reports it or the close.
                 */
                if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
                        return DGC_OK;
                if (n == -1)
                        return dgc_fail(c, DGC_ERR_SYS, "send: %s", strerror(errno));
                p += n;
                len -= (size_t)n;
        }
        return DGC_OK;
}

/* Frames and sends a JSON envelope. */
static enum dgc_status dgc_send_json(struct dgc *c, json_t *env)
{
        unsigned char hdr[FRAME_HDR];
        enum dgc_status st;
        char *text;
        size_t len;

        /* json_pack fails on invalid UTF-8 in an argument, or out of memory. */
        if (env == NULL)
                return dgc_fail(c, DGC_ERR_USAGE, "cannot build frame (invalid UTF-8?)");
        text = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(env);
        if (text == NULL)
                return dgc_fail(c, DGC_ERR_SYS, "cannot encode frame");
        len = strlen(text);
        if (len > UINT32_MAX) {
                free(text);
                return dgc_fail(c, DGC_ERR_USAGE, "frame too large");
        }
        frame_put_header(hdr, (uint32_t)len);
        if ((st = dgc_write(c, hdr, sizeof(hdr))) == DGC_OK)
                st = dgc_write(c, text, len);
        free(text);
        return st;
}

enum dgc_status dgc_call(struct dgc *c, const char *id, const char *op, json_t *input,
                         enum carriage carriage)
{
        json_t *in;

        if (!envelope_id_valid(id))
                return dgc_fail(c, DGC_ERR_USAGE, "invalid call id");
        if (input != NULL && !json_is_object(input))
                return dgc_fail(c, DGC_ERR_USAGE, "input must be a JSON object");
        if ((in = input != NULL ? json_incref(input) : json_object()) == NULL)
                return dgc_fail(c, DGC_ERR_SYS, "out of memory");
        /* "o" steals the reference to in, on failure too. */
        return dgc_send_json(c, json_pack("{s:s, s:s, s:{s:s, s:o, s:s}}", "type",
                                          "call.requested", "id", id, "payload", "operationId",
                                          op, "input", in, "carriage",
                                          carriage == CARRIAGE_RAW ? "raw" : "json"));
}

enum dgc_status dgc_abort(struct dgc *c, const char *id)
{
        if (!envelope_id_valid(id))
                return dgc_fail(c, DGC_ERR_USAGE, "invalid call id");
        return dgc_send_json(
            c, json_pack("{s:s, s:s, s:{}}", "type", "call.aborted", "id", id, "payload"));
}

/*
 * Refills the read buffer once it is fully consumed.  Returns DGC_OK with
 * new bytes, DGC_EOF on end of stream, DGC_INTR on a signal.
 */
static enum dgc_status dgc_fill(struct dgc *c)
{
        struct pollfd pfd;
        ssize_t n;

        if (c->use_mask) {
                pfd.fd = c->fd;
                pfd.events = POLLIN;
                pfd.revents = 0;
                if (ppoll(&pfd, 1, NULL, &c->waitmask) == -1) {
                        if (errno == EINTR)
                                return DGC_INTR;
                        return dgc_fail(c, DGC_ERR_SYS, "poll: %s", strerror(errno));
                }
        }
        n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
        if (n == -1 && errno == EINTR)
                return DGC_INTR;
        if (n == -1 && errno == ECONNRESET)
                return dgc_fail(c, DGC_ERR_CLOSED, "server reset the stream");
        if (n == -1)
                return dgc_fail(c, DGC_ERR_SYS, "recv: %s", strerror(errno));
        c->rpos = 0;
        c->rlen = (size_t)n;
        if (n == 0)
                return DGC_EOF;
        return DGC_OK;
}

/* Checks the envelope shape and fills in f's borrowed fields. */
static enum dgc_status dgc_check_frame(struct dgc *c, struct dgc_frame *f)
{
        json_t *type, *id, *p;
        size_t i;

        type = json_object_get(f->json, "type");
        id = json_object_get(f->json, "id");
        p = json_object_get(f->json, "payload");
        if (!json_is_string(type) || !json_is_string(id) || !json_is_object(p))
                return dgc_fail(c, DGC_ERR_PROTO, "malformed envelope from server");
        for (i = 0; i < sizeof(dgc_ftypes) / sizeof(dgc_ftypes[0]); i++)
                if (strcmp(json_string_value(type), dgc_ftypes[i].name) == 0)
                        break;
        if (i == sizeof(dgc_ftypes) / sizeof(dgc_ftypes[0]))
                return dgc_fail(c, DGC_ERR_PROTO, "unknown frame type from server");
        f->type = dgc_ftypes[i].type;
        f->id = json_string_value(id);
        f->payload = p;
        if (f->type == DGC_F_RESPONDED && json_object_get(p, "output") == NULL)
                return dgc_fail(c, DGC_ERR_PROTO, "call.responded without output");
        if (f->type == DGC_F_ERROR && (!json_is_string(json_object_get(p, "code")) ||
                                       !json_is_string(json_object_get(p, "message"))))
                return dgc_fail(c, DGC_ERR_PROTO, "call.error without code or message");
        return DGC_OK;
}

static enum dgc_status dgc_parse_frame(struct dgc *c, struct dgc_frame *f)
{
        json_error_t jerr;

        /* Container output may hold NUL characters: they arrive as \u0000. */
        f->json = json_loadb(f->raw, f->rawlen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (f->json == NULL)
                return dgc_fail(c, DGC_ERR_PROTO, "invalid JSON from server: %s", jerr.text);
        if (!json_is_object(f->json))
                return dgc_fail(c, DGC_ERR_PROTO, "frame from server is not an object");
        return dgc_check_frame(c, f);
}

enum dgc_status dgc_read_frame(struct dgc *c, struct dgc_frame *f)
{
        enum frame_status fs;
        enum dgc_status st;
        size_t used;

        memset(f, 0, sizeof(*f));
        for (;;) {
                if (c->rpos == c->rlen) {
                        st = dgc_fill(c);
                        if (st == DGC_EOF && !frame_dec_idle(&c->fdec))
                                return dgc_fail(c, DGC_ERR_CLOSED,
                                                "server closed the stream inside a frame");
                        if (st == DGC_EOF)
                                return dgc_fail(c, DGC_EOF, "server closed the stream");
                        if (st != DGC_OK)
                                return st;
                }
                fs = frame_dec_feed(&c->fdec, c->rbuf + c->rpos, c->rlen - c->rpos, &used,
                                    &f->raw, &f->rawlen);
                c->rpos += used;
                if (fs == FRAME_OK)
                        break;
                if (fs == FRAME_ERR_EMPTY)
                        return dgc_fail(c, DGC_ERR_PROTO, "empty frame from server");
                if (fs == FRAME_ERR_TOO_BIG)
                        return dgc_fail(c, DGC_ERR_PROTO, "frame from server over 16 MiB");
                if (fs != FRAME_NEED_MORE)
                        return dgc_fail(c, DGC_ERR_SYS, "out of memory");
        }
        if ((st = dgc_parse_frame(c, f)) != DGC_OK)
                dgc_frame_clear(f);
        return st;
}

void dgc_frame_clear(struct dgc_frame *f)
{
        json_decref(f->json);
        free(f->raw);
        memset(f, 0, sizeof(*f));
}

enum dgc_status dgc_send_chunk(struct dgc *c, enum chunk_type type, const void *buf, size_t len)
{
        unsigned char hdr[CHUNK_HDR];
        enum dgc_status st;

        if (len > CHUNK_MAX)
                return dgc_fail(c, DGC_ERR_USAGE, "chunk over 1 MiB");
        if (type != CHUNK_STDIN && type != CHUNK_CONTROL)
                return dgc_fail(c, DGC_ERR_USAGE, "a peer sends only stdin and control chunks");
        chunk_put_header(hdr, type, (uint32_t)len);
        if ((st = dgc_write(c, hdr, sizeof(hdr))) != DGC_OK || len == 0)
                return st;
        return dgc_write(c, buf, len);
}

enum dgc_status dgc_send_control(struct dgc *c, json_t *obj)
{
        enum dgc_status st;
        char *text;

        if (!json_is_object(obj))
                return dgc_fail(c, DGC_ERR_USAGE, "control must be a JSON object");
        if ((text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
                return dgc_fail(c, DGC_ERR_SYS, "cannot encode control");
        st = dgc_send_chunk(c, CHUNK_CONTROL, text, strlen(text));
        free(text);
        return st;
}

/* Appends a piece of the current chunk, allocating the whole chunk on the first one. */
static enum dgc_status dgc_chunk_piece(struct dgc *c, const unsigned char *piece, size_t n)
{
        if (c->cbuf == NULL && (c->cbuf = malloc((size_t)c->cdec.len + 1)) == NULL)
                return dgc_fail(c, DGC_ERR_SYS, "out of memory");
        memcpy(c->cbuf + c->clen, piece, n);
        c->clen += n;
        return DGC_OK;
}

/* The chunk is complete: hand its bytes over to ch. */
static enum dgc_status dgc_chunk_end(struct dgc *c, struct dgc_chunk *ch)
{
        if (c->cdec.type == CHUNK_STDIN)
                return dgc_fail(c, DGC_ERR_PROTO, "stdin chunk from server");
        ch->type = (enum chunk_type)c->cdec.type;
        ch->data = c->cbuf;
        ch->len = c->clen;
        if (ch->data != NULL)
                ch->data[ch->len] = '\0';
        c->cbuf = NULL;
        c->clen = 0;
        return DGC_OK;
}

/* Refills the buffer in the middle of a chunk read; EOF is an error unless between chunks. */
static enum dgc_status dgc_chunk_fill(struct dgc *c)
{
        enum dgc_status st;

        st = dgc_fill(c);
        if (st == DGC_EOF && (c->cdec.in_payload || c->cdec.hdr_have > 0))
                return dgc_fail(c, DGC_ERR_CLOSED, "server closed the stream inside a chunk");
        if (st == DGC_EOF)
                return dgc_fail(c, DGC_EOF, "server closed the stream");
        return st;
}

enum dgc_status dgc_read_chunk(struct dgc *c, struct dgc_chunk *ch)
{
        const unsigned char *piece;
        enum chunk_status cs;
        enum dgc_status st = DGC_OK;
        size_t used, n;

        memset(ch, 0, sizeof(*ch));
        do {
                cs = chunk_dec_feed(&c->cdec, c->rbuf + c->rpos, c->rlen - c->rpos, &used,
                                    &piece, &n);
                c->rpos += used;
                switch (cs) {
                case CHUNK_END:
                        st = dgc_chunk_end(c, ch);
                        break;
                case CHUNK_PIECE:
                        st = dgc_chunk_piece(c, piece, n);
                        break;
                case CHUNK_NEED_MORE:
                        st = dgc_chunk_fill(c);
                        break;
                default:
                        st = dgc_fail(c, DGC_ERR_PROTO, "malformed chunk from server");
                        break;
                }
        } while (st == DGC_OK && cs != CHUNK_END);
        return st;
}

void dgc_chunk_clear(struct dgc_chunk *ch)
{
        free(ch->data);
        memset(ch, 0, sizeof(*ch));
}
