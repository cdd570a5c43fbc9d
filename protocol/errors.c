/* errors.c - names and retryability of the PROTOCOL.md section 4 error codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"

static const struct {
        const char *name;
        bool retryable;
} errors_table[DG_ERR_COUNT] = {
    [DG_OK] = {"OK", false},
    [DG_PROTOCOL_ERROR] = {"PROTOCOL_ERROR", false},
    [DG_INVALID_INPUT] = {"INVALID_INPUT", false},
    [DG_UNAUTHENTICATED] = {"UNAUTHENTICATED", false},
    [DG_FORBIDDEN] = {"FORBIDDEN", false},
    [DG_NOT_FOUND] = {"NOT_FOUND", false},
    [DG_CONFLICT] = {"CONFLICT", false},
    [DG_QUOTA_EXCEEDED] = {"QUOTA_EXCEEDED", false},
    [DG_RATE_LIMITED] = {"RATE_LIMITED", true},
    [DG_UNAVAILABLE] = {"UNAVAILABLE", true},
    [DG_TIMEOUT] = {"TIMEOUT", true},
    [DG_DOCKER_ERROR] = {"DOCKER_ERROR", false},
    [DG_ABORTED] = {"ABORTED", false},
    [DG_INTERNAL] = {"INTERNAL", false},
};

const char *dg_err_name(enum dg_err e)
{
        if ((int)e < 0 || e >= DG_ERR_COUNT)
                return NULL;
        return errors_table[e].name;
}

int dg_err_parse(const char *name)
{
        int i;

        if (name == NULL)
                return -1;
        for (i = DG_OK + 1; i < DG_ERR_COUNT; i++)
                if (strcmp(name, errors_table[i].name) == 0)
                        return i;
        return -1;
}

bool dg_err_retryable(enum dg_err e)
{
        if ((int)e < 0 || e >= DG_ERR_COUNT)
                return false;
        return errors_table[e].retryable;
}

int dg_errf(char *err, size_t errlen, const char *fmt, ...)
{
        va_list ap;

        if (err != NULL && errlen > 0) {
                va_start(ap, fmt);
                vsnprintf(err, errlen, fmt, ap);
                va_end(ap);
        }
        return -1;
}
