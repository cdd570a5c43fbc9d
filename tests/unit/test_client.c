/*
 * test_client.c - the client library (client/dgclient.c) against a socket
 * whose other end the test writes: request encoding, frames split across
 * reads, malformed server frames, the switch to raw chunks, signals; and
 * the output helpers' checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dgclient.h"
#include "frame.h"
#include "output.h"

struct pair {
        char dir[64];
        char path[128];
        struct dgc *c;
        int srv; /* the server's end of the stream */
};

static int setup(void **state)
{
        struct sockaddr_un sun;
        struct pair *p;
        char err[256];
        int lfd;

        p = calloc(1, sizeof(*p));
        assert_non_null(p);
        snprintf(p->dir, sizeof(p->dir), "/tmp/test_client.XXXXXX");
        assert_non_null(mkdtemp(p->dir));
        snprintf(p->path, sizeof(p->path), "%s/s", p->dir);
        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        assert_true(strlen(p->path) < sizeof(sun.sun_path));
        memcpy(sun.sun_path, p->path, strlen(p->path) + 1);
        lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_true(lfd >= 0);
        assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
        assert_int_equal(listen(lfd, 1), 0);
        p->c = dgc_connect(p->path, err, sizeof(err));
        assert_non_null(p->c);
        p->srv = accept(lfd, NULL, NULL);
        assert_true(p->srv >= 0);
        close(lfd);
        *state = p;
        return 0;
}

static int teardown(void **state)
{
        struct pair *p = *state;

        dgc_close(p->c);
        if (p->srv >= 0)
                close(p->srv);
        unlink(p->path);
        rmdir(p->dir);
        free(p);
        return 0;
}

static void put_frame(unsigned char *buf, size_t *off, const char *json)
{
        size_t len = strlen(json);

        frame_put_header(buf + *off, (uint32_t)len);
        memcpy(buf + *off + FRAME_HDR, json, len);
        *off += FRAME_HDR + len;
}

static void put_chunk(unsigned char *buf, size_t *off, enum chunk_type t, const void *b,
                      size_t len)
{
        chunk_put_header(buf + *off, t, (uint32_t)len);
        memcpy(buf + *off + CHUNK_HDR, b, len);
        *off += CHUNK_HDR + len;
}

static void write_all(int fd, const void *buf, size_t len)
{
        const unsigned char *b = buf;
        ssize_t n;

        while (len > 0) {
                n = write(fd, b, len);
                if (n <= 0)
                        _exit(3);
                b += n;
                len -= (size_t)n;
        }
}

/*
 * A child writes buf in small pieces with pauses, so that the client sees
 * frames and chunks split at arbitrary points, then closes the stream.
 */
static pid_t feed_slowly(struct pair *p, const unsigned char *buf, size_t len)
{
        uint32_t x = 2463534242u;
        size_t off = 0, n;
        pid_t pid;

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                while (off < len) {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        n = 1 + x % 70000;
                        if (n > len - off)
                                n = len - off;
                        write_all(p->srv, buf + off, n);
                        off += n;
                        usleep(200);
                }
                _exit(0);
        }
        close(p->srv);
        p->srv = -1;
        return pid;
}

static void reap(pid_t pid)
{
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Reads one frame the client sent and parses it. */
static json_t *server_read(struct pair *p)
{
        unsigned char hdr[FRAME_HDR];
        uint32_t len;
        char *body;
        json_t *j;

        assert_int_equal(recv(p->srv, hdr, sizeof(hdr), MSG_WAITALL), sizeof(hdr));
        len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
        body = malloc(len);
        assert_non_null(body);
        assert_int_equal(recv(p->srv, body, len, MSG_WAITALL), (ssize_t)len);
        j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
        free(body);
        assert_non_null(j);
        return j;
}

static void assert_nothing_sent(struct pair *p)
{
        char b;

        assert_int_equal(recv(p->srv, &b, 1, MSG_DONTWAIT), -1);
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void test_call_encoding(void **state)
{
        struct pair *p = *state;
        json_t *in, *j;

        assert_int_equal(dgc_call(p->c, "c1", "docker/system/ping", NULL, CARRIAGE_JSON),
                         DGC_OK);
        j = server_read(p);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "call.requested");
        assert_string_equal(json_string_value(json_object_get(j, "id")), "c1");
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "payload"), "operationId")),
            "docker/system/ping");
        assert_true(json_is_object(json_object_get(json_object_get(j, "payload"), "input")));
        assert_int_equal(
            json_object_size(json_object_get(json_object_get(j, "payload"), "input")), 0);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "payload"), "carriage")),
            "json");
        json_decref(j);

        in = json_pack("{s:s, s:[i]}", "image", "busybox", "cmd", 1);
        assert_int_equal(dgc_call(p->c, "x y", "op", in, CARRIAGE_RAW), DGC_OK);
        assert_int_equal(in->refcount, 1); /* borrowed, not consumed */
        j = server_read(p);
        assert_true(json_equal(json_object_get(json_object_get(j, "payload"), "input"), in));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(j, "payload"), "carriage")),
            "raw");
        json_decref(j);
        json_decref(in);

        assert_int_equal(dgc_abort(p->c, "c1"), DGC_OK);
        j = server_read(p);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "call.aborted");
        assert_int_equal(json_object_size(json_object_get(j, "payload")), 0);
        json_decref(j);
}

static void test_call_refused(void **state)
{
        struct pair *p = *state;
        char longid[ENV_ID_MAX + 2];
        json_t *arr = json_array();

        memset(longid, 'a', sizeof(longid) - 1);
        longid[sizeof(longid) - 1] = '\0';
        assert_int_equal(dgc_call(p->c, "", "op", NULL, CARRIAGE_JSON), DGC_ERR_USAGE);
        assert_int_equal(dgc_call(p->c, longid, "op", NULL, CARRIAGE_JSON), DGC_ERR_USAGE);
        assert_int_equal(dgc_call(p->c, "a\nb", "op", NULL, CARRIAGE_JSON), DGC_ERR_USAGE);
        assert_int_equal(dgc_call(p->c, "c1", "op", arr, CARRIAGE_JSON), DGC_ERR_USAGE);
        assert_int_equal(dgc_call(p->c, "c1", "\xff", NULL, CARRIAGE_JSON), DGC_ERR_USAGE);
        assert_int_equal(dgc_abort(p->c, ""), DGC_ERR_USAGE);
        assert_true(strlen(dgc_errmsg(p->c)) > 0);
        assert_nothing_sent(p);
        json_decref(arr);
}

static void test_frames_split(void **state)
{
        struct pair *p = *state;
        size_t big = 300000, off = 0;
        unsigned char *buf;
        struct dgc_frame f;
        char *json;
        pid_t pid;

        /* A frame far larger than the read buffer, then small ones. */
        json = malloc(big + 100);
        buf = malloc(big + 1000);
        assert_non_null(json);
        assert_non_null(buf);
        off = (size_t)sprintf(json, "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":"
                                    "{\"output\":{\"s\":\"");
        memset(json + off, 'z', big);
        strcpy(json + off + big, "\"}}}");
        off = 0;
        put_frame(buf, &off, json);
        put_frame(buf, &off,
                  "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{\"output\":"
                  "{\"stream\":\"stdout\",\"text\":\"a\\u0000b\"}}}");
        put_frame(buf, &off, "{\"type\":\"call.completed\",\"id\":\"c1\",\"payload\":{}}");
        pid = feed_slowly(p, buf, off);

        assert_int_equal(dgc_read_frame(p->c, &f), DGC_OK);
        assert_int_equal(f.type, DGC_F_RESPONDED);
        assert_string_equal(f.id, "c1");
        assert_int_equal(f.rawlen, strlen(json));
        assert_memory_equal(f.raw, json, f.rawlen);
        assert_int_equal(
            json_string_length(json_object_get(json_object_get(f.payload, "output"), "s")),
            big);
        dgc_frame_clear(&f);

        /* NUL characters in container output survive. */
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_OK);
        assert_int_equal(
            json_string_length(json_object_get(json_object_get(f.payload, "output"), "text")),
            3);
        dgc_frame_clear(&f);

        assert_int_equal(dgc_read_frame(p->c, &f), DGC_OK);
        assert_int_equal(f.type, DGC_F_COMPLETED);
        dgc_frame_clear(&f);
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_EOF);
        assert_null(f.json);
        reap(pid);
        free(json);
        free(buf);
}

static void test_eof_inside_frame(void **state)
{
        struct pair *p = *state;
        unsigned char buf[64];
        struct dgc_frame f;

        frame_put_header(buf, 40);
        memcpy(buf + FRAME_HDR, "{\"type\"", 7);
        write_all(p->srv, buf, FRAME_HDR + 7);
        close(p->srv);
        p->srv = -1;
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_ERR_CLOSED);
}

/* Each malformed server frame is refused with DGC_ERR_PROTO. */
static void bad_frame(const char *json)
{
        struct pair *p;
        unsigned char buf[512];
        struct dgc_frame f;
        void *st;
        size_t off = 0;

        setup(&st);
        p = st;
        put_frame(buf, &off, json);
        write_all(p->srv, buf, off);
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_ERR_PROTO);
        assert_null(f.json);
        assert_null(f.raw);
        teardown(&st);
}

static void test_bad_frames(void **state)
{
        (void)state;
        bad_frame("{not json");
        bad_frame("[1,2]");
        bad_frame("{\"type\":\"call.completed\",\"id\":\"c1\"}");
        bad_frame("{\"type\":\"call.completed\",\"id\":1,\"payload\":{}}");
        bad_frame("{\"type\":\"call.started\",\"id\":\"c1\",\"payload\":{}}");
        bad_frame("{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{}}");
        bad_frame("{\"type\":\"call.error\",\"id\":\"c1\",\"payload\":{\"code\":\"X\"}}");
        bad_frame("{\"type\":\"call.completed\",\"type\":\"call.completed\",\"id\":\"c1\","
                  "\"payload\":{}}");
}

static void test_frame_limits(void **state)
{
        struct pair *p = *state;
        unsigned char hdr[FRAME_HDR];
        struct dgc_frame f;

        frame_put_header(hdr, FRAME_MAX_SERVER + 1);
        write_all(p->srv, hdr, sizeof(hdr));
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_ERR_PROTO);
}

static void test_empty_frame(void **state)
{
        struct pair *p = *state;
        unsigned char hdr[FRAME_HDR];
        struct dgc_frame f;

        frame_put_header(hdr, 0);
        write_all(p->srv, hdr, sizeof(hdr));
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_ERR_PROTO);
}

/* The raw switch happens inside one read: the chunks after the frame must not be lost. */
static void test_raw_switch(void **state)
{
        struct pair *p = *state;
        const char *ctl = "{\"type\":\"exit\",\"exitCode\":0}";
        unsigned char *buf, *big;
        struct dgc_chunk ch;
        struct dgc_frame f;
        size_t off = 0;
        pid_t pid;

        big = malloc(CHUNK_MAX);
        buf = malloc(CHUNK_MAX + 4096);
        assert_non_null(big);
        assert_non_null(buf);
        memset(big, 0xa5, CHUNK_MAX);
        put_frame(buf, &off,
                  "{\"type\":\"call.responded\",\"id\":\"c1\",\"payload\":{\"output\":"
                  "{\"carriage\":\"raw\"}}}");
        put_chunk(buf, &off, CHUNK_STDOUT, "abc", 3);
        put_chunk(buf, &off, CHUNK_STDERR, "", 0);
        put_chunk(buf, &off, CHUNK_STDOUT, big, CHUNK_MAX);
        put_chunk(buf, &off, CHUNK_CONTROL, ctl, strlen(ctl));
        pid = feed_slowly(p, buf, off);

        assert_int_equal(dgc_read_frame(p->c, &f), DGC_OK);
        dgc_frame_clear(&f);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_OK);
        assert_int_equal(ch.type, CHUNK_STDOUT);
        assert_int_equal(ch.len, 3);
        assert_memory_equal(ch.data, "abc", 3);
        dgc_chunk_clear(&ch);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_OK);
        assert_int_equal(ch.type, CHUNK_STDERR);
        assert_int_equal(ch.len, 0);
        dgc_chunk_clear(&ch);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_OK);
        assert_int_equal(ch.len, CHUNK_MAX);
        assert_memory_equal(ch.data, big, CHUNK_MAX);
        dgc_chunk_clear(&ch);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_OK);
        assert_int_equal(ch.type, CHUNK_CONTROL);
        assert_string_equal((char *)ch.data, ctl);
        dgc_chunk_clear(&ch);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_EOF);
        reap(pid);
        free(big);
        free(buf);
}

static void test_bad_chunks(void **state)
{
        struct pair *p = *state;
        unsigned char buf[64];
        struct dgc_chunk ch;
        size_t off = 0;

        put_chunk(buf, &off, CHUNK_STDIN, "x", 1);
        write_all(p->srv, buf, off);
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_ERR_PROTO);
        assert_null(ch.data);
}

static void test_chunk_truncated(void **state)
{
        struct pair *p = *state;
        unsigned char buf[64];
        struct dgc_chunk ch;

        chunk_put_header(buf, CHUNK_STDOUT, 10);
        memcpy(buf + CHUNK_HDR, "abc", 3);
        write_all(p->srv, buf, CHUNK_HDR + 3);
        close(p->srv);
        p->srv = -1;
        assert_int_equal(dgc_read_chunk(p->c, &ch), DGC_ERR_CLOSED);
}

static void test_send_chunks(void **state)
{
        struct pair *p = *state;
        unsigned char got[64], want[64];
        size_t off = 0;
        json_t *ctl;

        ctl = json_pack("{s:s, s:i, s:i}", "type", "resize", "rows", 24, "cols", 80);
        assert_int_equal(dgc_send_chunk(p->c, CHUNK_STDIN, "hi", 2), DGC_OK);
        assert_int_equal(dgc_send_chunk(p->c, CHUNK_STDIN, NULL, 0), DGC_OK);
        assert_int_equal(dgc_send_control(p->c, ctl), DGC_OK);
        put_chunk(want, &off, CHUNK_STDIN, "hi", 2);
        put_chunk(want, &off, CHUNK_STDIN, "", 0);
        put_chunk(want, &off, CHUNK_CONTROL, "{\"type\":\"resize\",\"rows\":24,\"cols\":80}",
                  37);
        assert_int_equal(recv(p->srv, got, off, MSG_WAITALL), (ssize_t)off);
        assert_memory_equal(got, want, off);

        assert_int_equal(dgc_send_chunk(p->c, CHUNK_STDOUT, "x", 1), DGC_ERR_USAGE);
        assert_int_equal(dgc_send_chunk(p->c, CHUNK_STDIN, got, (size_t)CHUNK_MAX + 1),
                         DGC_ERR_USAGE);
        assert_nothing_sent(p);
        json_decref(ctl);
}

static void test_connect_errors(void **state)
{
        char err[256], longpath[200];

        (void)state;
        err[0] = '\0';
        assert_null(dgc_connect("/nonexistent/dockgate.sock", err, sizeof(err)));
        assert_non_null(strstr(err, "/nonexistent/dockgate.sock"));
        assert_null(dgc_connect("tcp:127.0.0.1:1", err, sizeof(err)));
        assert_non_null(strstr(err, "tcp"));
        memset(longpath, 'a', sizeof(longpath) - 1);
        longpath[sizeof(longpath) - 1] = '\0';
        assert_null(dgc_connect(longpath, err, sizeof(err)));
        assert_null(dgc_connect("", err, sizeof(err)));
}

static void test_unix_prefix(void **state)
{
        struct pair *p = *state;
        char addr[160], err[256];
        struct dgc *c;

        /* setup's listener is gone; a refused connect still proves the prefix was stripped. */
        snprintf(addr, sizeof(addr), "unix:%s", p->path);
        c = dgc_connect(addr, err, sizeof(err));
        assert_null(c);
        assert_non_null(strstr(err, "Connection refused"));
}

static void on_usr1(int sig)
{
        (void)sig;
}

/* With a wait mask, a blocked signal still wakes the reader, and nothing is lost. */
static void test_waitmask_intr(void **state)
{
        struct pair *p = *state;
        struct sigaction sa, oldsa;
        sigset_t block, old, wmask;
        unsigned char buf[128];
        struct dgc_frame f;
        size_t off = 0;
        pid_t pid, parent = getpid();

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        assert_int_equal(sigaction(SIGUSR1, &sa, &oldsa), 0);
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old), 0);
        wmask = old;
        sigdelset(&wmask, SIGUSR1);
        dgc_set_waitmask(p->c, &wmask);

        put_frame(buf, &off, "{\"type\":\"call.aborted\",\"id\":\"c1\",\"payload\":{}}");
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep(50000);
                kill(parent, SIGUSR1);
                usleep(50000);
                write_all(p->srv, buf, 3);
                usleep(50000);
                write_all(p->srv, buf + 3, off - 3);
                _exit(0);
        }
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_INTR);
        assert_int_equal(dgc_read_frame(p->c, &f), DGC_OK);
        assert_int_equal(f.type, DGC_F_ABORTED);
        dgc_frame_clear(&f);
        reap(pid);
        sigprocmask(SIG_SETMASK, &old, NULL);
        sigaction(SIGUSR1, &oldsa, NULL);
}

static void test_output_record_checks(void **state)
{
        char err[128];
        json_t *r;

        (void)state;
        r = json_pack("{s:s, s:s}", "stream", "stdin", "text", "x");
        assert_int_equal(output_record(r, err, sizeof(err)), -1);
        json_decref(r);
        r = json_pack("{s:s}", "stream", "stdout");
        assert_int_equal(output_record(r, err, sizeof(err)), -1);
        json_decref(r);
        r = json_pack("{s:s, s:s, s:s}", "stream", "stdout", "text", "x", "base64", "eA==");
        assert_int_equal(output_record(r, err, sizeof(err)), -1);
        json_decref(r);
        r = json_pack("{s:s, s:s}", "stream", "stdout", "base64", "!!!");
        assert_int_equal(output_record(r, err, sizeof(err)), -1);
        json_decref(r);
        r = json_pack("{s:s, s:i}", "stream", "stdout", "text", 1);
        assert_int_equal(output_record(r, err, sizeof(err)), -1);
        json_decref(r);
        assert_int_equal(output_record(NULL, err, sizeof(err)), -1);
}

/* A base64 record is written decoded, byte for byte, to its stream. */
static void test_output_record_bytes(void **state)
{
        char err[128], got[16];
        int fds[2], saved;
        json_t *r;

        (void)state;
        assert_int_equal(pipe(fds), 0);
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        r = json_pack("{s:s, s:s}", "stream", "stdout", "base64", "AP/+Cg==");
        assert_int_equal(output_record(r, err, sizeof(err)), 0);
        json_decref(r);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        close(fds[1]);
        assert_int_equal(read(fds[0], got, sizeof(got)), 4);
        assert_memory_equal(got, "\x00\xff\xfe\n", 4);
        close(fds[0]);
}

static void test_output_ps_checks(void **state)
{
        json_t *o = json_object();

        (void)state;
        assert_int_equal(output_ps(o), -1);
        assert_int_equal(output_ps(NULL), -1);
        json_decref(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_call_encoding, setup, teardown),
            cmocka_unit_test_setup_teardown(test_call_refused, setup, teardown),
            cmocka_unit_test_setup_teardown(test_frames_split, setup, teardown),
            cmocka_unit_test_setup_teardown(test_eof_inside_frame, setup, teardown),
            cmocka_unit_test(test_bad_frames),
            cmocka_unit_test_setup_teardown(test_frame_limits, setup, teardown),
            cmocka_unit_test_setup_teardown(test_empty_frame, setup, teardown),
            cmocka_unit_test_setup_teardown(test_raw_switch, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_chunks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_chunk_truncated, setup, teardown),
            cmocka_unit_test_setup_teardown(test_send_chunks, setup, teardown),
            cmocka_unit_test(test_connect_errors),
            cmocka_unit_test_setup_teardown(test_unix_prefix, setup, teardown),
            cmocka_unit_test_setup_teardown(test_waitmask_intr, setup, teardown),
            cmocka_unit_test(test_output_record_checks),
            cmocka_unit_test(test_output_record_bytes),
            cmocka_unit_test(test_output_ps_checks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
