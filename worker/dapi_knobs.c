/*
 * dapi_knobs.c - published ports, ulimits and health checks of a Docker
 * create body, in the native input's shapes (dapi_knobs.h).
 *
 * SECURITY: nothing here decides what a peer may have: the host addresses,
 * port ranges, ulimit ceilings and health check bounds are the policy's,
 * applied by the broker to what is written here.  This only refuses what
 * the native input has no words for, so that no engine field is silently
 * dropped or changed in meaning.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapi_knobs.h"

#define DK_NS_PER_MS 1000000LL
#define DK_MS_MAX 86400000LL /* the native schema's bound on each duration */
#define DK_PORT_KEY_MAX 32   /* "65535/tcp", with room */
#define DK_HOST_IP_MAX 45    /* the longest IPv6 text */

static int dk_fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int dk_fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        return status;
}

/* Only keys of names (NULL-terminated) in obj; 0, or 400 naming the first other. */
static int dk_keys(const json_t *obj, const char *const *names, const char *where, char *err,
                   size_t errlen)
{
        const char *k;
        json_t *v;
        size_t i;

        json_object_foreach((json_t *)obj, k, v)
        {
                for (i = 0; names[i] != NULL && strcmp(names[i], k) != 0; i++)
                        ;
                if (names[i] == NULL)
                        return dk_fail(err, errlen, 400, "%s.%.64s: unknown field", where, k);
        }
        return 0;
}

/* --- ports --- */

/* "80", "80/tcp" or "53/udp" as "N/proto" in out; -1 when it is none of those. */
static int dk_port_key(const char *key, char *out, size_t outlen)
{
        char *end;
        long port = strtol(key, &end, 10);

        if (key[0] < '1' || key[0] > '9' || port > 65535)
                return -1;
        if (*end == '\0')
                end = "/tcp";
        if (strcmp(end, "/tcp") != 0 && strcmp(end, "/udp") != 0)
                return -1;
        snprintf(out, outlen, "%ld%s", port, end);
        return 0;
}

/* One PortBindings entry {"HostIp", "HostPort"} as the native "[address:]hostPort". */
static int dk_binding(const char *key, const json_t *b, char *val, size_t vlen, char *err,
                      size_t errlen)
{
        static const char *const names[] = {"HostIp", "HostPort", NULL};
        const json_t *ip = json_object_get(b, "HostIp"), *port = json_object_get(b, "HostPort");
        const char *ips, *ports;
        char where[96];
        int st;

        snprintf(where, sizeof(where), "HostConfig.PortBindings.%s[0]", key);
        if (json_is_null(b)) {
                snprintf(val, vlen, "%s", "");
                return 0;
        }
        if (!json_is_object(b))
                return dk_fail(err, errlen, 400, "%s: an object with HostIp and HostPort",
                               where);
        if ((st = dk_keys(b, names, where, err, errlen)) != 0)
                return st;
        if ((ip != NULL && !json_is_null(ip) && !json_is_string(ip)) ||
            (port != NULL && !json_is_null(port) && !json_is_string(port)))
                return dk_fail(err, errlen, 400, "%s: HostIp and HostPort are strings", where);
        ips = json_is_string(ip) ? json_string_value(ip) : "";
        ports = json_is_string(port) ? json_string_value(port) : "";
        if (strlen(ips) > DK_HOST_IP_MAX)
                return dk_fail(err, errlen, 400, "%s.HostIp: an IP address", where);
        if (strchr(ports, '-') != NULL)
                return dk_fail(err, errlen, 403,
                               "%s.HostPort: host port ranges are not supported by the "
                               "gateway; name one port, or none for one it picks",
                               where);
        if (strspn(ports, "0123456789") != strlen(ports) || strlen(ports) > 5)
                return dk_fail(err, errlen, 400, "%s.HostPort: a port number", where);
        if (ips[0] != '\0')
                snprintf(val, vlen, "%s:%s", ips, ports);
        else
                snprintf(val, vlen, "%s", ports);
        return 0;
}

static int dk_bindings(const json_t *bindings, json_t *ports, char *err, size_t errlen)
{
        char norm[DK_PORT_KEY_MAX], val[DK_HOST_IP_MAX + 8];
        const char *key;
        json_t *list;
        int st;

        if (bindings == NULL || json_is_null(bindings))
                return 0;
        if (!json_is_object(bindings))
                return dk_fail(err, errlen, 400, "HostConfig.PortBindings: an object");
        json_object_foreach((json_t *)bindings, key, list)
        {
                if (dk_port_key(key, norm, sizeof(norm)) == -1)
                        return dk_fail(err, errlen, 400,
                                       "HostConfig.PortBindings.%.32s: keys are container "
                                       "ports (\"80/tcp\", \"53/udp\")",
                                       key);
                if (json_is_null(list) || json_array_size(list) == 0) {
                        if (!json_is_null(list) && !json_is_array(list))
                                return dk_fail(err, errlen, 400,
                                               "HostConfig.PortBindings.%s: a list of bindings",
                                               norm);
                        continue; /* exposed, not published */
                }
                if (json_array_size(list) > 1)
                        return dk_fail(err, errlen, 403,
                                       "HostConfig.PortBindings.%s: one host binding per "
                                       "container port",
                                       norm);
                if (json_object_get(ports, norm) != NULL)
                        return dk_fail(err, errlen, 400,
                                       "HostConfig.PortBindings.%s: bound twice", norm);
                if ((st = dk_binding(norm, json_array_get(list, 0), val, sizeof(val), err,
                                     errlen)) != 0)
                        return st;
                json_object_set_new(ports, norm, json_string(val));
        }
        return 0;
}

int dknob_ports(const json_t *bindings, const json_t *exposed, const json_t *publish_all,
                json_t *in, char *err, size_t errlen)
{
        char norm[DK_PORT_KEY_MAX];
        json_t *ports = json_object(), *v;
        const char *key;
        int st, all;

        if (ports == NULL)
                return dk_fail(err, errlen, 500, "out of memory");
        if (publish_all != NULL && !json_is_null(publish_all) &&
            !json_is_boolean(publish_all)) {
                json_decref(ports);
                return dk_fail(err, errlen, 400, "HostConfig.PublishAllPorts: true or false");
        }
        all = json_is_true(publish_all);
        if ((st = dk_bindings(bindings, ports, err, errlen)) != 0) {
                json_decref(ports);
                return st;
        }
        if (exposed != NULL && !json_is_null(exposed) && !json_is_object(exposed)) {
                json_decref(ports);
                return dk_fail(err, errlen, 400, "ExposedPorts: an object");
        }
        json_object_foreach((json_t *)exposed, key, v)
        {
                if (dk_port_key(key, norm, sizeof(norm)) == -1 ||
                    !(json_is_null(v) || json_is_object(v))) {
                        json_decref(ports);
                        return dk_fail(err, errlen, 400,
                                       "ExposedPorts.%.32s: keys are container ports "
                                       "(\"80/tcp\"), values {}",
                                       key);
                }
                /* -P publishes what the body exposes too, each on a picked port. */
                if (all && json_object_get(ports, norm) == NULL)
                        json_object_set_new(ports, norm, json_string(""));
        }
        if (all)
                json_object_set_new(in, "publishAllPorts", json_true());
        if (json_object_size(ports) > 0)
                json_object_set_new(in, "ports", ports);
        else
                json_decref(ports);
        return 0;
}

/* --- ulimits --- */

int dknob_ulimits(const json_t *v, json_t *in, char *err, size_t errlen)
{
        static const char *const names[] = {"Name", "Soft", "Hard", NULL};
        json_t *out, *e, *soft, *hard;
        const char *name;
        char where[48], buf[48];
        size_t i;
        int st;

        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return dk_fail(err, errlen, 400,
                               "HostConfig.Ulimits: a list of {Name, Soft, Hard}");
        if (json_array_size(v) == 0)
                return 0;
        if ((out = json_object()) == NULL)
                return dk_fail(err, errlen, 500, "out of memory");
        json_object_set_new(in, "ulimits", out);
        json_array_foreach(v, i, e)
        {
                snprintf(where, sizeof(where), "HostConfig.Ulimits[%zu]", i);
                if (!json_is_object(e))
                        return dk_fail(err, errlen, 400, "%s: an object {Name, Soft, Hard}",
                                       where);
                if ((st = dk_keys(e, names, where, err, errlen)) != 0)
                        return st;
                name = json_string_value(json_object_get(e, "Name"));
                soft = json_object_get(e, "Soft");
                hard = json_object_get(e, "Hard");
                if (name == NULL || name[0] == '\0' || strlen(name) > 32 ||
                    !json_is_integer(soft) || !json_is_integer(hard))
                        return dk_fail(err, errlen, 400,
                                       "%s: Name a string, Soft and Hard integers", where);
                if (json_integer_value(soft) == -1 || json_integer_value(hard) == -1)
                        return dk_fail(
                            err, errlen, 403,
                            "%s: %s: unlimited is above every ceiling of the gateway", where,
                            name);
                if (json_integer_value(soft) < 0 ||
                    json_integer_value(soft) > json_integer_value(hard))
                        return dk_fail(err, errlen, 400, "%s: %s: 0 <= Soft <= Hard", where,
                                       name);
                if (json_object_get(out, name) != NULL)
                        return dk_fail(err, errlen, 400, "%s: %s is set twice", where, name);
                snprintf(buf, sizeof(buf), "%lld:%lld", (long long)json_integer_value(soft),
                         (long long)json_integer_value(hard));
                json_object_set_new(out, name, json_string(buf));
        }
        return 0;
}

/* --- health check --- */

/* A duration in nanoseconds (0: the default) as native milliseconds in h. */
static int dk_duration(const json_t *hc, const char *key, json_t *h, const char *to, char *err,
                       size_t errlen)
{
        const json_t *v = json_object_get(hc, key);
        json_int_t ns;

        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_integer(v) || (ns = json_integer_value(v)) < 0)
                return dk_fail(err, errlen, 400, "Healthcheck.%s: nanoseconds, 0 or more", key);
        if (ns == 0)
                return 0;
        if (ns < DK_NS_PER_MS || ns / DK_NS_PER_MS > DK_MS_MAX)
                return dk_fail(err, errlen, 400, "Healthcheck.%s: 1 ms to 24 h", key);
        json_object_set_new(h, to, json_integer(ns / DK_NS_PER_MS));
        return 0;
}

static int dk_test(const json_t *test, char *err, size_t errlen)
{
        const char *kind = json_string_value(json_array_get(test, 0));
        size_t i, n = json_array_size(test);
        json_t *e;

        json_array_foreach(test, i, e)
        {
                if (!json_is_string(e))
                        return dk_fail(err, errlen, 400, "Healthcheck.Test: a list of strings");
        }
        if (n > 64)
                return dk_fail(err, errlen, 400, "Healthcheck.Test: at most 64 strings");
        if ((strcmp(kind, "NONE") == 0 && n == 1) || (strcmp(kind, "CMD") == 0 && n >= 2) ||
            (strcmp(kind, "CMD-SHELL") == 0 && n == 2))
                return 0;
        return dk_fail(err, errlen, 400,
                       "Healthcheck.Test: [\"CMD\", prog, args...], [\"CMD-SHELL\", command] "
                       "or [\"NONE\"]");
}

int dknob_health(const json_t *v, json_t *in, char *err, size_t errlen)
{
        static const char *const names[] = {"Test",        "Interval", "Timeout",
                                            "StartPeriod", "Retries",  NULL};
        const json_t *test, *retries;
        json_t *h;
        int st;

        if (v == NULL || json_is_null(v))
                return 0;
        if (!json_is_object(v))
                return dk_fail(err, errlen, 400, "Healthcheck: an object");
        if ((st = dk_keys(v, names, "Healthcheck", err, errlen)) != 0)
                return st;
        test = json_object_get(v, "Test");
        retries = json_object_get(v, "Retries");
        if (test != NULL && !json_is_null(test) && !json_is_array(test))
                return dk_fail(err, errlen, 400, "Healthcheck.Test: a list of strings");
        if (retries != NULL && !json_is_null(retries) &&
            (!json_is_integer(retries) || json_integer_value(retries) < 0))
                return dk_fail(err, errlen, 400, "Healthcheck.Retries: 0 or more");
        if ((h = json_object()) == NULL)
                return dk_fail(err, errlen, 500, "out of memory");
        if ((st = dk_duration(v, "Interval", h, "intervalMs", err, errlen)) != 0 ||
            (st = dk_duration(v, "Timeout", h, "timeoutMs", err, errlen)) != 0 ||
            (st = dk_duration(v, "StartPeriod", h, "startPeriodMs", err, errlen)) != 0) {
                json_decref(h);
                return st;
        }
        if (json_integer_value(retries) > 0)
                json_object_set_new(h, "retries", json_integer(json_integer_value(retries)));
        if (json_array_size(test) == 0) {
                st = json_object_size(h) == 0
                         ? 0
                         : dk_fail(err, errlen, 403,
                                   "Healthcheck.Test: required with the other settings (the "
                                   "gateway does not merge the image's health check)");
                json_decref(h);
                return st;
        }
        if ((st = dk_test(test, err, errlen)) == 0 &&
            strcmp(json_string_value(json_array_get(test, 0)), "NONE") == 0 &&
            json_object_size(h) != 0)
                st = dk_fail(err, errlen, 400, "Healthcheck: [\"NONE\"] takes nothing else");
        if (st != 0) {
                json_decref(h);
                return st;
        }
        json_object_set_new(h, "test", json_deep_copy(test));
        json_object_set_new(in, "healthcheck", h);
        return 0;
}
