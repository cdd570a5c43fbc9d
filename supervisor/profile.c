/*
 * profile.c - the per-engine choices (profile.h).  A leaf: it reads
 * documents the engine sent and never calls the engine (detect.c does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* Every engine-specific choice, one row per engine kind. */
static const struct {
        enum engine_kind kind;
        const char *name, *display, *log_driver;
        int events_labels_containers_only, qualified_image_names;
        const char *top_ps_args;
        int network_rm_removes_in_use, logs_follow_exited_loses, top_not_running_answers;
        int wait_removed_loses_code, events_labels_ored;
        const char *runtime_inspect;
        int health_none_unmatched, domainname_ignored, events_until_past_empty;
        const char *container_destroy_action;
        int network_none_unmatched, df_without_labels, archive_put_makes_path;
} profile_table[] = {
    {.kind = ENGINE_UNKNOWN,
     .name = "unknown",
     .display = "the engine",
     .log_driver = "local",
     .events_labels_containers_only = 1},
    {.kind = ENGINE_DOCKER,
     .name = "docker",
     .display = "Docker Engine",
     .log_driver = "local",
     .events_labels_containers_only = 1},
    {.kind = ENGINE_PODMAN,
     .name = "podman",
     .display = "Podman",
     .log_driver = "k8s-file",
     .events_labels_containers_only = 1,
     .qualified_image_names = 1,
     .top_ps_args = "user,pid,ppid,pcpu,etime,tty,time,args",
     .network_rm_removes_in_use = 1,
     .logs_follow_exited_loses = 1,
     .top_not_running_answers = 1,
     .wait_removed_loses_code = 1,
     .events_labels_ored = 1,
     .runtime_inspect = "/libpod/containers/",
     .health_none_unmatched = 1,
     .domainname_ignored = 1,
     .events_until_past_empty = 1,
     .container_destroy_action = "remove",
     .network_none_unmatched = 1,
     .df_without_labels = 1,
     .archive_put_makes_path = 1},
};

/*
 * Podman's refusals that dockerd answers with another status: matched on
 * the engine's status and a piece of its message (its error causes).
 */
static const struct {
        enum engine_kind kind;
        int status;
        const char *text;
        int docker_status;
} status_quirks[] = {
    {ENGINE_PODMAN, 500, "already exists", 409},
    {ENGINE_PODMAN, 500, "name is already in use", 409},
    {ENGINE_PODMAN, 500, "no such file or directory", 500}, /* not a missing object */
    {ENGINE_PODMAN, 500, "no such", 404},
    {ENGINE_PODMAN, 500, "container state improper", 409},
    {ENGINE_PODMAN, 500, "cannot remove container", 409},
    {ENGINE_PODMAN, 500, "no command or entrypoint provided", 400},
    {ENGINE_PODMAN, 500, "invalid signal", 400},
};

void profile_apply(struct engine_profile *p)
{
        size_t i;

        for (i = 0; i < sizeof(profile_table) / sizeof(profile_table[0]); i++)
                if (profile_table[i].kind == p->kind) {
                        p->name = profile_table[i].name;
                        p->log_driver = profile_table[i].log_driver;
                        p->events_labels_containers_only =
                            profile_table[i].events_labels_containers_only;
                        p->qualified_image_names = profile_table[i].qualified_image_names;
                        p->top_ps_args = profile_table[i].top_ps_args;
                        p->network_rm_removes_in_use =
                            profile_table[i].network_rm_removes_in_use;
                        p->logs_follow_exited_loses = profile_table[i].logs_follow_exited_loses;
                        p->top_not_running_answers = profile_table[i].top_not_running_answers;
                        p->wait_removed_loses_code = profile_table[i].wait_removed_loses_code;
                        p->events_labels_ored = profile_table[i].events_labels_ored;
                        p->runtime_inspect = profile_table[i].runtime_inspect;
                        p->health_none_unmatched = profile_table[i].health_none_unmatched;
                        p->domainname_ignored = profile_table[i].domainname_ignored;
                        p->events_until_past_empty = profile_table[i].events_until_past_empty;
                        p->container_destroy_action = profile_table[i].container_destroy_action;
                        p->network_none_unmatched = profile_table[i].network_none_unmatched;
                        p->df_without_labels = profile_table[i].df_without_labels;
                        p->archive_put_makes_path = profile_table[i].archive_put_makes_path;
                        return;
                }
}

const char *profile_display_name(const struct engine_profile *p)
{
        size_t i;

        for (i = 0; i < sizeof(profile_table) / sizeof(profile_table[0]); i++)
                if (profile_table[i].kind == p->kind)
                        return profile_table[i].display;
        return "the engine";
}

const char *profile_image_name(const struct engine_profile *p, const char *s)
{
        static const char *const prefixes[] = {"docker.io/library/", "docker.io/"};
        size_t i, n;

        if (s == NULL || !p->qualified_image_names)
                return s;
        for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                n = strlen(prefixes[i]);
                if (strncmp(s, prefixes[i], n) == 0 && s[n] != '\0')
                        return s + n;
        }
        return s;
}

int profile_qualified_ref(const struct engine_profile *p, const char *ref, char *buf,
                          size_t len)
{
        const char *slash = strchr(ref, '/');
        size_t head = slash != NULL ? (size_t)(slash - ref) : 0;
        int n;

        if (!p->qualified_image_names || strncmp(ref, "sha256:", 7) == 0)
                return 0;
        /* A first part with '.' or ':', or "localhost", names a registry already. */
        if (slash != NULL &&
            (memchr(ref, '.', head) != NULL || memchr(ref, ':', head) != NULL ||
             (head == 9 && strncmp(ref, "localhost", 9) == 0)))
                return 0;
        n = snprintf(buf, len, "%s%s", slash != NULL ? "docker.io/" : "docker.io/library/",
                     ref);
        return n > 0 && (size_t)n < len;
}

json_t *profile_image_names(const struct engine_profile *p, const json_t *a)
{
        json_t *out = json_array(), *v;
        size_t i;

        if (out == NULL)
                return NULL;
        json_array_foreach(a, i, v)
        {
                if (json_is_string(v))
                        json_array_append_new(
                            out, json_string(profile_image_name(p, json_string_value(v))));
        }
        return out;
}

int profile_status(const struct engine_profile *p, int status, const json_t *body)
{
        const char *text = json_string_value(json_object_get(body, "message"));
        size_t i;

        if (p == NULL || text == NULL)
                return status;
        for (i = 0; i < sizeof(status_quirks) / sizeof(status_quirks[0]); i++)
                if (status_quirks[i].kind == p->kind && status_quirks[i].status == status &&
                    strcasestr(text, status_quirks[i].text) != NULL)
                        return status_quirks[i].docker_status;
        return status;
}

static void copy_str(char *dst, size_t len, const json_t *v);

int profile_from_ping(struct engine_profile *p, const json_t *headers)
{
        const json_t *libpod = json_object_get(headers, "Libpod-Api-Version");

        if (!json_is_string(libpod))
                return -1;
        p->kind = ENGINE_PODMAN;
        copy_str(p->version, sizeof(p->version), libpod);
        copy_str(p->api_version, sizeof(p->api_version),
                 json_object_get(headers, "Api-Version"));
        profile_apply(p);
        return 0;
}

static void copy_str(char *dst, size_t len, const json_t *v)
{
        const char *s = json_string_value(v);

        snprintf(dst, len, "%s", s != NULL ? s : "");
}

int profile_from_version(struct engine_profile *p, const json_t *version)
{
        const json_t *comps = json_object_get(version, "Components"), *comp;
        enum engine_kind kind = ENGINE_UNKNOWN;
        const char *name;
        size_t i;

        if (!json_is_object(version))
                return -1;
        json_array_foreach(comps, i, comp)
        {
                name = json_string_value(json_object_get(comp, "Name"));
                if (name == NULL)
                        continue;
                if (strcmp(name, "Podman Engine") == 0)
                        kind = ENGINE_PODMAN;
                else if (strcmp(name, "Engine") == 0 && kind == ENGINE_UNKNOWN)
                        kind = ENGINE_DOCKER;
        }
        /* An engine without Components (API < 1.35) is an old dockerd. */
        if (kind == ENGINE_UNKNOWN && json_object_get(version, "Version") != NULL)
                kind = ENGINE_DOCKER;
        if (kind == ENGINE_UNKNOWN)
                return -1;
        p->kind = kind;
        copy_str(p->version, sizeof(p->version), json_object_get(version, "Version"));
        copy_str(p->api_version, sizeof(p->api_version),
                 json_object_get(version, "ApiVersion"));
        profile_apply(p);
        return 0;
}
