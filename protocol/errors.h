/*
 * errors.h - the error codes of PROTOCOL.md section 4, shared by every process.
 */
#ifndef DG_ERRORS_H
#define DG_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

enum dg_err {
        DG_OK = 0,
        DG_PROTOCOL_ERROR,
        DG_INVALID_INPUT,
        DG_UNAUTHENTICATED,
        DG_FORBIDDEN,
        DG_NOT_FOUND,
        DG_CONFLICT,
        DG_QUOTA_EXCEEDED,
        DG_RATE_LIMITED,
        DG_UNAVAILABLE,
        DG_TIMEOUT,
        DG_DOCKER_ERROR,
        DG_ABORTED,
        DG_INTERNAL,
        DG_ERR_COUNT
};

/* "PROTOCOL_ERROR" ... ; DG_OK gives "OK"; out of range gives NULL. */
const char *dg_err_name(enum dg_err e);
/* Inverse of dg_err_name (DG_OK excluded); -1 when the name is unknown. */
int dg_err_parse(const char *name);
/* PROTOCOL.md's "retryable" column. */
bool dg_err_retryable(enum dg_err e);

/*
 * Writes a message into err (when err is not NULL) and returns -1: the one
 * way protocol/ decoders report why they refused something.
 */
int dg_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
