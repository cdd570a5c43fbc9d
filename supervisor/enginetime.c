/*
 * enginetime.c - the engine's spellings of a time (enginetime.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enginetime.h"

#define ET_LEN_MAX 64

/* A Go duration ("1h30m", "1.5h", "300ms") in seconds; -1 when s is not one. */
static int et_duration(const char *s, double *out)
{
        static const struct {
                const char *unit;
                double secs;
        } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
                     {"s", 1},     {"m", 60},    {"h", 3600}};
        double total = 0, n;
        size_t i, len;
        char *end;
        int best;

        if (*s == '\0')
                return -1;
        while (*s != '\0') {
                if (!isdigit((unsigned char)*s) && *s != '.')
                        return -1;
                n = strtod(s, &end);
                /* digits and a point only: no exponent, no hex */
                if (end == s || (size_t)(end - s) != strspn(s, "0123456789."))
                        return -1;
                s = end;
                /* the longest unit that matches: "ms" before "m" */
                for (i = 0, best = -1; i < sizeof(units) / sizeof(units[0]); i++) {
                        len = strlen(units[i].unit);
                        if (strncmp(s, units[i].unit, len) == 0 &&
                            (best < 0 || len > strlen(units[best].unit)))
                                best = (int)i;
                }
                if (best < 0)
                        return -1;
                total += n * units[best].secs;
                s += strlen(units[best].unit);
        }
        *out = total;
        return 0;
}

/* "YYYY-MM-DD[THH:MM:SS[.frac]][Z|+hh:mm|-hh:mm]" in UNIX seconds; -1 when malformed. */
static int et_rfc3339(const char *s, double *out)
{
        struct tm tm = {0};
        int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, n = 0;
        double frac = 0;
        long offset = 0;
        char *end;

        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
                return -1;
        s += n;
        if (*s == 'T') {
                if (sscanf(s, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 9)
                        return -1;
                s += n;
                if (*s == '.') {
                        if (!isdigit((unsigned char)s[1]))
                                return -1;
                        frac = strtod(s, &end);
                        s = end;
                }
                if (*s == 'Z') {
                        s++;
                } else if (*s == '+' || *s == '-') {
                        if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5 ||
                            oh > 23 || om > 59)
                                return -1;
                        offset = (*s == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
                        s += 1 + n;
                }
        }
        if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return -1;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        *out = (double)timegm(&tm) - (double)offset + frac;
        return 0;
}

int enginetime_parse(const char *s, time_t now, double *out)
{
        double v;
        char *end;

        if (s == NULL || s[0] == '\0' || strlen(s) > ET_LEN_MAX)
                return -1;
        if (strspn(s, "0123456789.") == strlen(s)) {
                if (strchr(s, '.') != strrchr(s, '.') || s[0] == '.')
                        return -1;
                v = strtod(s, &end);
                if (*end != '\0')
                        return -1;
                *out = v;
                return 0;
        }
        if (et_duration(s, &v) == 0) {
                *out = (double)now - v;
                return 0;
        }
        return et_rfc3339(s, out);
}

int enginetime_created(const json_t *v, double *out)
{
        if (json_is_integer(v)) {
                *out = (double)json_integer_value(v);
                return 0;
        }
        if (json_is_string(v) && json_string_length(v) <= ET_LEN_MAX)
                return et_rfc3339(json_string_value(v), out);
        return -1;
}
