/* test_cli_flags.c - docker's run flags into create input, env files, templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "create_flags.h"
#include "template.h"

static json_t *parse(int run, const char *const *args, int *rc, char *err, size_t len)
{
        static struct cflags o;
        char *argv[64];
        int argc = 0;

        argv[argc++] = (char *)"run";
        while (*args != NULL)
                argv[argc++] = (char *)*args++;
        argv[argc] = NULL;
        *rc = cflags_parse(argc, argv, run, &o, err, len);
        return o.input;
}

static void test_run_flags(void **state)
{
        static const char *const args[] = {"-d",
                                           "--rm",
                                           "-p",
                                           "127.0.0.1:8080:80",
                                           "-p",
                                           "53/udp",
                                           "-p",
                                           "9000:90",
                                           "-v",
                                           "data:/data:ro",
                                           "-v",
                                           "/srv/x:/x",
                                           "-m",
                                           "512m",
                                           "--cpus",
                                           "1.5",
                                           "--ulimit",
                                           "nofile=1:2",
                                           "--health-cmd",
                                           "true",
                                           "--health-interval",
                                           "1m30s",
                                           "-l",
                                           "a=b",
                                           "-l",
                                           "c",
                                           "--name",
                                           "n",
                                           "img",
                                           "echo",
                                           "hi",
                                           NULL};
        char err[256];
        json_t *in;
        int rc;

        (void)state;
        in = parse(1, args, &rc, err, sizeof(err));
        assert_int_equal(rc, 0);
        assert_string_equal(json_string_value(json_object_get(in, "image")), "img");
        assert_int_equal(json_array_size(json_object_get(in, "cmd")), 2);
        json_t *ports = json_object_get(in, "ports");
        assert_string_equal(json_string_value(json_object_get(ports, "80/tcp")),
                            "127.0.0.1:8080");
        assert_string_equal(json_string_value(json_object_get(ports, "53/udp")), "");
        assert_string_equal(json_string_value(json_object_get(ports, "90/tcp")), "9000");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(in, "volumes"), "/data")),
            "data:ro");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(in, "binds"), "/x")), "/srv/x");
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(in, "limits"), "memoryBytes")),
            512LL << 20);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(in, "limits"), "nanoCpus")),
            1500000000LL);
        assert_int_equal(json_integer_value(
                             json_object_get(json_object_get(in, "healthcheck"), "intervalMs")),
                         90000);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(in, "labels"), "c")), "");
        /* -d --rm: the engine removes it; no session lease for a detached run */
        assert_true(json_is_true(json_object_get(in, "autoRemove")));
        assert_null(json_object_get(in, "lease"));
        json_decref(in);
}

static void test_bad_values(void **state)
{
        static const char *const mem[] = {"-m", "lots", "img", NULL};
        static const char *const vol[] = {"-v", "/only", "img", NULL};
        static const char *const pub[] = {"-p", "a:b:c:d", "img", NULL};
        static const char *const hc[] = {"--health-retries", "3", "img", NULL};
        static const char *const det[] = {"-d", "img", NULL};
        char err[256];
        int rc;

        (void)state;
        assert_null(parse(1, mem, &rc, err, sizeof(err)));
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "--memory"));
        assert_null(parse(1, vol, &rc, err, sizeof(err)));
        assert_non_null(strstr(err, "anonymous volumes"));
        assert_null(parse(1, pub, &rc, err, sizeof(err)));
        assert_non_null(strstr(err, "containerPort"));
        assert_null(parse(1, hc, &rc, err, sizeof(err)));
        assert_non_null(strstr(err, "--health-cmd"));
        /* create has no -d */
        assert_null(parse(0, det, &rc, err, sizeof(err)));
        assert_int_equal(rc, -2);
}

static void test_env_file(void **state)
{
        char path[] = "/tmp/dgenvXXXXXX", err[256];
        const char *text = "\xEF\xBB\xBF# c\n\n   A=1\nB= two words \nC=\"q\"\nD\nZZ_UNSET_X\n";
        json_t *env = json_array();
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        setenv("D", "from-env", 1);
        unsetenv("ZZ_UNSET_X");
        assert_int_equal(cflags_env_file(env, path, err, sizeof(err)), 0);
        assert_int_equal(json_array_size(env), 4);
        assert_string_equal(json_string_value(json_array_get(env, 0)), "A=1");
        assert_string_equal(json_string_value(json_array_get(env, 1)), "B= two words ");
        assert_string_equal(json_string_value(json_array_get(env, 2)), "C=\"q\"");
        assert_string_equal(json_string_value(json_array_get(env, 3)), "D=from-env");
        fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(write(fd, "OK=1\nBAD KEY=1\n", 15) == 15);
        close(fd);
        assert_int_equal(cflags_env_file(env, path, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "'BAD KEY' contains whitespaces"));
        unlink(path);
        json_decref(env);
}

static char *render(const char *tpl, const char *doc, int *rc)
{
        static char buf[1024], err[256];
        json_t *d = json_loads(doc, 0, NULL);
        FILE *f = fmemopen(buf, sizeof(buf), "w");

        *rc = template_render(f, tpl, d, err, sizeof(err), 0);
        fclose(f);
        json_decref(d);
        return *rc == 0 ? buf : err;
}

static void test_templates(void **state)
{
        const char *doc = "{\"State\": {\"Status\": \"running\", \"Pid\": 42, \"OK\": true},"
                          " \"Labels\": {\"a\": \"b\"}, \"Name\": \"/x\"}";
        int rc;

        (void)state;
        assert_string_equal(render("{{.State.Status}}", doc, &rc), "running");
        assert_string_equal(render("{{ .State.Pid }}\\t{{.State.OK}}", doc, &rc), "42\ttrue");
        assert_string_equal(render("{{json .Labels}}", doc, &rc), "{\"a\":\"b\"}");
        assert_string_equal(render("{{.Nope.Deeper}}", doc, &rc), "<no value>");
        assert_string_equal(render("id={{.Name}}\\n", doc, &rc), "id=/x\n");
        render("{{range .Labels}}", doc, &rc);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(render("{{.State", doc, &rc), "unclosed"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_run_flags),
            cmocka_unit_test(test_bad_values),
            cmocka_unit_test(test_env_file),
            cmocka_unit_test(test_templates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
