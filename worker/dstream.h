/*
 * dstream.h - Docker's multiplexed stream, as the engine writes it without a
 * TTY (logs, attach, exec): frames of an 8-byte header [type u8, 0, 0, 0,
 * size u32 big-endian] each followed by size payload bytes.  Type 0 is stdin,
 * 1 stdout, 2 stderr, 3 an error the engine reports in-band.
 *
 * One decoder for every reader of it (stream_logs.c, raw.c): the header is
 * gathered across reads, the payload is the caller's, who counts it down in
 * left.  SECURITY: the engine and the container write these bytes; size is
 * any u32 and the caller bounds what it keeps, never this decoder.
 */
#ifndef DG_WORKER_DSTREAM_H
#define DG_WORKER_DSTREAM_H

#include <stddef.h>
#include <stdint.h>

#define DSTREAM_HDR 8

enum dstream_type {
        DSTREAM_STDIN = 0,
        DSTREAM_STDOUT = 1,
        DSTREAM_STDERR = 2,
        DSTREAM_SYSTEMERR = 3,
};

struct dstream {
        unsigned char hdr[DSTREAM_HDR];
        size_t have;   /* header bytes gathered; DSTREAM_HDR: inside the frame's payload */
        uint8_t type;  /* of the current frame, once its header is in */
        uint32_t left; /* its payload bytes still to come (the caller counts them down) */
};

/* 1 while the next frame's header is still being gathered. */
int dstream_in_header(const struct dstream *d);
/*
 * Takes header bytes from p[0..len) (only while dstream_in_header()) and
 * returns how many.  Once the 8th is in, type and left describe the frame.
 */
size_t dstream_header(struct dstream *d, const unsigned char *p, size_t len);
/* The frame is done (left is 0): the next bytes are a header. */
void dstream_next(struct dstream *d);
/* 1 when the stream stopped inside a frame (a partial header or payload left). */
int dstream_mid(const struct dstream *d);
/* 1 for types 0 to 3; a reader treats any other as stdout (with a warning). */
int dstream_type_known(uint8_t type);

#endif
