/*
 * stream_json.h - reading an engine response that is a sequence of JSON
 * objects, one per line (stats, events, pull), for the stream kinds.
 *
 * The engine writes each object followed by "\n" (pull: "\r\n"), in
 * chunked encoding that http.c has already undone; chunk boundaries fall
 * anywhere.  Lines are reassembled here, each one is parsed with jansson
 * and handed to the kind's object() callback.  A non-2xx answer is kept
 * whole (up to STREAM_JSON_ERR_MAX) and turned into the call's error with
 * the engine's message, as the supervisor would map it.
 *
 * SECURITY: engine output is relayed to a hostile peer and may carry a
 * hostile container's bytes (names, labels, progress text): a line longer
 * than STREAM_JSON_LINE_MAX or one that is not a JSON object ends the call
 * (UNAVAILABLE, malformed engine stream) rather than being buffered without
 * bound or passed on unparsed.
 */
#ifndef DG_WORKER_STREAM_JSON_H
#define DG_WORKER_STREAM_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "stream.h"

#define STREAM_JSON_LINE_MAX (1u << 20) /* one engine object, newline excluded */
#define STREAM_JSON_ERR_MAX (64u << 10) /* an error body kept for its message */

/* One object (borrowed); returns 0 to go on, -1 once the call has ended. */
typedef int (*stream_json_cb)(struct stream *st, json_t *obj);

struct stream_json {
        struct stream *st;
        stream_json_cb object;
        size_t flags; /* json_loadb() flags */
        int status;   /* set when the engine answered non-2xx */
        char *buf;    /* a partial line, or the error body */
        size_t len, cap;
        int seen; /* objects handed to object() so far */
};

void stream_json_init(struct stream_json *j, struct stream *st, stream_json_cb object,
                      size_t flags);
void stream_json_clear(struct stream_json *j);

/* The kind's head/body hooks forward here; same return convention as stream_kind. */
int stream_json_head(struct stream_json *j, int status);
int stream_json_body(struct stream_json *j, const char *buf, size_t len);
/*
 * The response ended.  Returns 0 when it was a clean 2xx end (the last,
 * unterminated line handed on too): the kind then ends the call itself.
 * Returns -1 when the call has ended here (engine error, bad last line).
 */
int stream_json_done(struct stream_json *j);

/* Ends the call: the engine's stream broke its format (why goes to the log). */
int stream_json_malformed(struct stream_json *j, const char *why);

/*
 * The hooks of a kind whose state begins with its struct stream_json
 * (stats, events, pull): head and body forward to it, done completes the
 * call at a clean end, free clears it and frees the state.
 */
int stream_json_kind_head(struct stream *st, int status);
int stream_json_kind_body(struct stream *st, const char *buf, size_t len);
int stream_json_kind_done(struct stream *st);
void stream_json_kind_free(void *state);

/* o's key as a new JSON string or integer, or null when absent or of another type. */
json_t *stream_json_str(const json_t *o, const char *key);
json_t *stream_json_int(const json_t *o, const char *key);

#endif
