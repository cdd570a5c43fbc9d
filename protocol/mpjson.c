/*
 * mpjson.c - jansson values <-> msgpack objects, lengths preserved (strings
 * and keys may hold NUL when built with json_stringn/json_object_setn).
 *
 * SECURITY: the supervisor unpacks what a possibly compromised worker sent,
 * so unpacking refuses anything outside the mapping: non-string keys,
 * duplicate keys, invalid UTF-8, bin/ext, float32, integers that do not fit
 * json_int_t, and nesting deeper than MPJSON_MAX_DEPTH.
 */
#include <stdint.h>

#include "b64.h"
#include "mpjson.h"

_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "json_int_t must be 64 bits");

/* depth counts the containers around v; more than MPJSON_MAX_DEPTH fails. */
static int mpjson_pack_depth(msgpack_packer *pk, const json_t *v, int depth)
{
        const char *key, *s;
        json_t *elem;
        size_t i, n;
        void *it;

        switch (json_typeof(v)) {
        case JSON_OBJECT:
                if (depth >= MPJSON_MAX_DEPTH)
                        return -1;
                if (msgpack_pack_map(pk, json_object_size(v)) != 0)
                        return -1;
                for (it = json_object_iter((json_t *)v); it != NULL;
                     it = json_object_iter_next((json_t *)v, it)) {
                        key = json_object_iter_key(it);
                        n = json_object_iter_key_len(it);
                        if (msgpack_pack_str(pk, n) != 0 ||
                            msgpack_pack_str_body(pk, key, n) != 0)
                                return -1;
                        if (mpjson_pack_depth(pk, json_object_iter_value(it), depth + 1) < 0)
                                return -1;
                }
                return 0;
        case JSON_ARRAY:
                if (depth >= MPJSON_MAX_DEPTH)
                        return -1;
                if (msgpack_pack_array(pk, json_array_size(v)) != 0)
                        return -1;
                json_array_foreach(v, i, elem)
                {
                        if (mpjson_pack_depth(pk, elem, depth + 1) < 0)
                                return -1;
                }
                return 0;
        case JSON_STRING:
                s = json_string_value(v);
                n = json_string_length(v);
                return msgpack_pack_str(pk, n) == 0 && msgpack_pack_str_body(pk, s, n) == 0
                           ? 0
                           : -1;
        case JSON_INTEGER:
                return msgpack_pack_int64(pk, (int64_t)json_integer_value(v)) == 0 ? 0 : -1;
        case JSON_REAL:
                return msgpack_pack_double(pk, json_real_value(v)) == 0 ? 0 : -1;
        case JSON_TRUE:
                return msgpack_pack_true(pk) == 0 ? 0 : -1;
        case JSON_FALSE:
                return msgpack_pack_false(pk) == 0 ? 0 : -1;
        case JSON_NULL:
                return msgpack_pack_nil(pk) == 0 ? 0 : -1;
        }
        return -1;
}

int mpjson_pack(msgpack_packer *pk, const json_t *v)
{
        if (pk == NULL || v == NULL)
                return -1;
        return mpjson_pack_depth(pk, v, 0);
}

static json_t *mpjson_unpack_depth(const msgpack_object *o, int depth);

/*
 * msgpack-c leaves via.str.ptr NULL (or pointing at an earlier value) for an
 * empty string, and jansson refuses a NULL string even of length 0.
 */
static const char *mpjson_str_ptr(const msgpack_object *o)
{
        return o->via.str.size > 0 ? o->via.str.ptr : "";
}

static json_t *mpjson_unpack_map(const msgpack_object_map *map, int depth)
{
        const msgpack_object_kv *kv;
        const char *key;
        json_t *obj, *val;
        uint32_t i;

        if ((obj = json_object()) == NULL)
                return NULL;
        for (i = 0; i < map->size; i++) {
                kv = &map->ptr[i];
                if (kv->key.type != MSGPACK_OBJECT_STR)
                        goto bad;
                key = mpjson_str_ptr(&kv->key);
                if (!utf8_valid(key, kv->key.via.str.size))
                        goto bad;
                if ((val = mpjson_unpack_depth(&kv->val, depth + 1)) == NULL)
                        goto bad;
                /* Checked above: no second UTF-8 scan in jansson. */
                if (json_object_setn_new_nocheck(obj, key, kv->key.via.str.size, val) < 0)
                        goto bad;
                /* A duplicate key replaced a value instead of adding one: refused. */
                if (json_object_size(obj) != (size_t)i + 1)
                        goto bad;
        }
        return obj;
bad:
        json_decref(obj);
        return NULL;
}

static json_t *mpjson_unpack_array(const msgpack_object_array *arr, int depth)
{
        json_t *a, *val;
        uint32_t i;

        if ((a = json_array()) == NULL)
                return NULL;
        for (i = 0; i < arr->size; i++) {
                if ((val = mpjson_unpack_depth(&arr->ptr[i], depth + 1)) == NULL ||
                    json_array_append_new(a, val) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

static json_t *mpjson_unpack_depth(const msgpack_object *o, int depth)
{
        switch (o->type) {
        case MSGPACK_OBJECT_NIL:
                return json_null();
        case MSGPACK_OBJECT_BOOLEAN:
                return json_boolean(o->via.boolean);
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
                if (o->via.u64 > (uint64_t)INT64_MAX)
                        return NULL;
                return json_integer((json_int_t)o->via.u64);
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
                return json_integer((json_int_t)o->via.i64);
        case MSGPACK_OBJECT_FLOAT64:
                return json_real(o->via.f64); /* NULL for NaN and infinities */
        case MSGPACK_OBJECT_STR:
                if (!utf8_valid(mpjson_str_ptr(o), o->via.str.size))
                        return NULL;
                return json_stringn_nocheck(mpjson_str_ptr(o), o->via.str.size);
        case MSGPACK_OBJECT_ARRAY:
                if (depth >= MPJSON_MAX_DEPTH)
                        return NULL;
                return mpjson_unpack_array(&o->via.array, depth);
        case MSGPACK_OBJECT_MAP:
                if (depth >= MPJSON_MAX_DEPTH)
                        return NULL;
                return mpjson_unpack_map(&o->via.map, depth);
        default: /* float32, bin, ext */
                return NULL;
        }
}

json_t *mpjson_unpack(const msgpack_object *obj)
{
        if (obj == NULL)
                return NULL;
        return mpjson_unpack_depth(obj, 0);
}
