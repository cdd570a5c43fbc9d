/*
 * units.c - sizes and durations for tables, as the docker CLI prints them.
 */
#include <stdio.h>

#include "units.h"

static void units_scaled(char *buf, size_t len, double v, double base, const char *const *unit,
                         size_t nunits, int precision)
{
        size_t u = 0;

        /* Negative or NaN input (a broken record) reads as 0, not as garbage. */
        if (!(v >= 0))
                v = 0;
        while (v >= base && u + 1 < nunits) {
                v /= base;
                u++;
        }
        snprintf(buf, len, "%.*g%s", precision, v, unit[u]);
}

void units_size(char *buf, size_t len, double bytes, int precision)
{
        static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

        units_scaled(buf, len, bytes, 1000.0, unit, sizeof(unit) / sizeof(unit[0]), precision);
}

void units_bytes(char *buf, size_t len, double bytes)
{
        static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

        units_scaled(buf, len, bytes, 1024.0, unit, sizeof(unit) / sizeof(unit[0]), 4);
}

void units_ago(char *buf, size_t len, time_t then, time_t now)
{
        long long s = (long long)now - (long long)then;
        long long m = s / 60, h = (s + 1800) / 3600; /* hours round, as docker's do */

        if (s < 1)
                snprintf(buf, len, "Less than a second ago");
        else if (s == 1)
                snprintf(buf, len, "1 second ago");
        else if (s < 60)
                snprintf(buf, len, "%lld seconds ago", s);
        else if (m == 1)
                snprintf(buf, len, "About a minute ago");
        else if (m < 60)
                snprintf(buf, len, "%lld minutes ago", m);
        else if (h == 1)
                snprintf(buf, len, "About an hour ago");
        else if (h < 48)
                snprintf(buf, len, "%lld hours ago", h);
        else if (h < 24 * 7 * 2)
                snprintf(buf, len, "%lld days ago", h / 24);
        else if (h < 24 * 30 * 2)
                snprintf(buf, len, "%lld weeks ago", h / 24 / 7);
        else if (h < 24 * 365 * 2)
                snprintf(buf, len, "%lld months ago", h / 24 / 30);
        else
                snprintf(buf, len, "%lld years ago", s / 3600 / 24 / 365);
}
