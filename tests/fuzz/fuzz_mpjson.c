/*
 * fuzz_mpjson.c - mpjson_unpack(), msgpack from a worker to jansson values.
 *
 * Input: one msgpack value.  Like msg_decode(), the harness first refuses
 * values whose containers declare more elements than bytes remain (msg.c's
 * msg_scan does that before msgpack-c allocates).  A value that unpacks
 * must pack again, and unpack again to a value that packs to the same bytes
 * (the supervisor and the worker must agree on what was said).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <msgpack.h>

#include "mpjson.h"

/* Bytes after the type byte: fixed payload, or a length field of lenbytes. */
static int fuzz_head(unsigned char c, unsigned *lenbytes, uint64_t *imm, int *per)
{
        *lenbytes = 0;
        *imm = 0;
        *per = 0;
        if (c <= 0x7f || c >= 0xe0)
                return 0;
        if (c <= 0x8f) {
                *imm = c & 0x0f;
                *per = 2;
                return 0;
        }
        if (c <= 0x9f) {
                *imm = c & 0x0f;
                *per = 1;
                return 0;
        }
        if (c <= 0xbf) {
                *imm = c & 0x1f;
                return 0;
        }
        switch (c) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
                return 0;
        case 0xc4:
        case 0xd9:
                *lenbytes = 1;
                return 0;
        case 0xc5:
        case 0xda:
                *lenbytes = 2;
                return 0;
        case 0xc6:
        case 0xdb:
                *lenbytes = 4;
                return 0;
        case 0xc7:
                *lenbytes = 1;
                *imm = 1;
                return 0;
        case 0xc8:
                *lenbytes = 2;
                *imm = 1;
                return 0;
        case 0xc9:
                *lenbytes = 4;
                *imm = 1;
                return 0;
        case 0xca:
                *imm = 4;
                return 0;
        case 0xcb:
                *imm = 8;
                return 0;
        case 0xcc:
        case 0xd0:
                *imm = 1;
                return 0;
        case 0xcd:
        case 0xd1:
                *imm = 2;
                return 0;
        case 0xce:
        case 0xd2:
                *imm = 4;
                return 0;
        case 0xcf:
        case 0xd3:
                *imm = 8;
                return 0;
        case 0xd4:
                *imm = 2;
                return 0;
        case 0xd5:
                *imm = 3;
                return 0;
        case 0xd6:
                *imm = 5;
                return 0;
        case 0xd7:
                *imm = 9;
                return 0;
        case 0xd8:
                *imm = 17;
                return 0;
        case 0xdc:
                *lenbytes = 2;
                *per = 1;
                return 0;
        case 0xdd:
                *lenbytes = 4;
                *per = 1;
                return 0;
        case 0xde:
                *lenbytes = 2;
                *per = 2;
                return 0;
        case 0xdf:
                *lenbytes = 4;
                *per = 2;
                return 0;
        }
        return -1;
}

static int fuzz_plausible(const unsigned char *p, size_t len)
{
        uint64_t pending = 1, n;
        unsigned lb;
        size_t off = 0;
        int per;

        while (pending > 0) {
                if (off >= len || pending > len - off)
                        return 0;
                pending--;
                if (fuzz_head(p[off++], &lb, &n, &per) < 0 || lb > len - off)
                        return 0;
                uint64_t v = 0;
                for (unsigned i = 0; i < lb; i++)
                        v = v << 8 | p[off++];
                if (per > 0) {
                        pending += (uint64_t)per * (lb ? v : n);
                        continue;
                }
                n += v;
                if (n > len - off)
                        return 0;
                off += (size_t)n;
        }
        return 1;
}

/* mpjson_pack() into a malloc'd buffer; aborts if v does not pack. */
static char *fuzz_pack(const json_t *v, size_t *len)
{
        msgpack_sbuffer sb;
        msgpack_packer pk;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        if (mpjson_pack(&pk, v) != 0)
                abort(); /* what unpacked must pack */
        *len = sb.size;
        return msgpack_sbuffer_release(&sb);
}

/*
 * Packs v, unpacks that, packs the result again: both packings must be the
 * same bytes.  (json_equal() would not do: it cannot see keys with NUL.)
 */
static void fuzz_roundtrip(const json_t *v)
{
        msgpack_unpacked u;
        json_t *back;
        char *a, *b;
        size_t alen, blen, off = 0;

        a = fuzz_pack(v, &alen);
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, a, alen, &off) != MSGPACK_UNPACK_SUCCESS || off != alen)
                abort();
        if ((back = mpjson_unpack(&u.data)) == NULL)
                abort();
        b = fuzz_pack(back, &blen);
        if (alen != blen || memcmp(a, b, alen) != 0)
                abort();
        json_decref(back);
        msgpack_unpacked_destroy(&u);
        free(a);
        free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        msgpack_unpacked u;
        json_t *v;
        size_t off = 0;

        if (size == 0 || !fuzz_plausible(data, size))
                return 0;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, (const char *)data, size, &off) == MSGPACK_UNPACK_SUCCESS &&
            (v = mpjson_unpack(&u.data)) != NULL) {
                fuzz_roundtrip(v);
                json_decref(v);
        }
        msgpack_unpacked_destroy(&u);
        return 0;
}
