/*
 * policy_diag.h - the policy file's diagnostics kit: each problem goes into
 * a struct policy_report as one line, located in the file (a path such as
 * peers.alpha.quotas.streams), and reading goes on after it so that one
 * check lists them all.  The readers take a JSON value and where it is, and
 * report what they refuse, with what was found.  Used by policy_parse.c.
 */
#ifndef DG_POLICY_DIAG_H
#define DG_POLICY_DIAG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* An error at where (counted); returns -1. */
int pd_err(struct policy_report *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A warning at where (counted). */
void pd_warn(struct policy_report *r, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* What the file holds, briefly, for "(found ...)". */
const char *pd_shown(const json_t *v, char *buf, size_t len);
/* "512 MiB" when v is a whole number of KiB, MiB, GiB or TiB, else bytes. */
const char *pd_human_bytes(long long v, char *buf, size_t len);
/* An unknown key (an error): names the known ones (NULL-ended), and the one probably meant. */
int pd_unknown_key(struct policy_report *r, const char *where, const char *key,
                   const char *const *known);
/* where + ".key" or "[idx]" (key NULL, idx >= 0) into at; cut, never overrun. */
void pd_locate(char *at, size_t len, const char *where, const char *key, long idx);

/* The readers: 0 with *out set, or -1 with the problem reported. */
int pd_bool(json_t *v, const char *where, int *out, struct policy_report *r);
int pd_int(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
           struct policy_report *r);
/* A size: bytes, or a string with binary units ("512MiB", "1 g", "64k"). */
int pd_bytes(json_t *v, const char *where, long long lo, long long hi, int64_t *out,
             struct policy_report *r);
/* "512MiB" and the like into *out; -1 when it is not one. */
int pd_size(const char *s, long long *out);
/*
 * A list of at most max strings (what names them in messages), each checked
 * by ok() (NULL, or why not), strdup'ed into out[], *n counting them.  Bad
 * items are reported one by one.
 */
int pd_strings(json_t *v, const char *where, size_t max, const char *what,
               const char *(*ok)(const char *), char **out, size_t *n, struct policy_report *r);

#endif
