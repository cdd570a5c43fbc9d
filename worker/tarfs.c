/*
 * tarfs.c - the filesystem an archive builds (tarfs.h).
 *
 * A path of the model is a normalized name relative to the target
 * directory ("" is the target itself, "a/b" below it); its node says
 * whether the archive made a symbolic link there and whether some walk
 * passed through it as a directory.  The nodes sit in one open-addressing
 * hash table; a walk keeps the hash of every prefix it holds, so that
 * looking a prefix up costs no rehashing, and ".." pops back to the
 * parent's hash.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tarfs.h"

#define N_LINK 1u   /* the archive made a symbolic link here */
#define N_PASSED 2u /* a walk went through here as a directory */

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u
#define WALK_MAX (2 * TARFS_PATH_MAX + 2)  /* a base directory plus a target */
#define DEPTH_MAX (TARFS_PATH_MAX / 2 + 2) /* components of either, together */

struct node {
        uint32_t hash;
        unsigned flags;
        char *target; /* N_LINK: the link's target, as written */
        size_t len;
        char path[];
};

/* A walk in progress: the path it is at, and each prefix's end and hash. */
struct walk {
        char buf[WALK_MAX + 1];
        size_t len, depth;
        size_t end[DEPTH_MAX + 1];    /* end[i]: length of the path at depth i */
        uint32_t hash[DEPTH_MAX + 1]; /* hash[i]: its hash */
};

struct tarfs {
        struct node **slot;
        size_t cap, n, bytes;
        struct walk w;
        char entry[TARFS_PATH_MAX + 1]; /* the entry's own normalized name */
        char dir[TARFS_PATH_MAX + 1];   /* the directory a link sits in */
        char *msg;
        size_t msglen;
};

__attribute__((format(printf, 3, 4))) static enum tar_status
tarfs_fail(struct tarfs *fs, enum tar_status st, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(fs->msg, fs->msglen, fmt, ap);
        va_end(ap);
        return st;
}

/* A peer-chosen name, shortened and made printable for a message. */
static const char *tarfs_quote(const char *s, char *buf, size_t len)
{
        size_t i;

        for (i = 0; s[i] != '\0' && i + 1 < len && i < 80; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        buf[i] = '\0';
        return buf;
}

static uint32_t fnv(uint32_t h, const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
        return h;
}

/* --- the table --- */

static struct node *tarfs_find(const struct tarfs *fs, const char *path, size_t len,
                               uint32_t hash)
{
        size_t i;
        struct node *nd;

        if (fs->cap == 0)
                return NULL;
        for (i = hash & (fs->cap - 1); (nd = fs->slot[i]) != NULL; i = (i + 1) & (fs->cap - 1))
                if (nd->hash == hash && nd->len == len && memcmp(nd->path, path, len) == 0)
                        return nd;
        return NULL;
}

static int tarfs_grow(struct tarfs *fs)
{
        size_t cap = fs->cap ? fs->cap * 2 : 1024, i, j;
        /* An array of pointers. */
        // NOLINTNEXTLINE(bugprone-sizeof-expression)
        struct node **slot = calloc(cap, sizeof(*slot));

        if (slot == NULL)
                return -1;
        for (i = 0; i < fs->cap; i++) {
                if (fs->slot[i] == NULL)
                        continue;
                for (j = fs->slot[i]->hash & (cap - 1); slot[j] != NULL;
                     j = (j + 1) & (cap - 1))
                        ;
                slot[j] = fs->slot[i];
        }
        free(fs->slot);
        fs->slot = slot;
        fs->cap = cap;
        return 0;
}

static int tarfs_account(struct tarfs *fs, size_t more)
{
        if (fs->bytes + more > TARFS_BYTES_MAX)
                return -1;
        fs->bytes += more;
        return 0;
}

/* The node at path, made when missing.  NULL (with fs->msg set) past the bounds. */
static struct node *tarfs_node(struct tarfs *fs, const char *path, size_t len, uint32_t hash,
                               enum tar_status *st)
{
        struct node *nd = tarfs_find(fs, path, len, hash);
        size_t i;

        if (nd != NULL)
                return nd;
        if (fs->n >= TARFS_NODES_MAX || tarfs_account(fs, len + 1) == -1) {
                *st = tarfs_fail(fs, TAR_FORBIDDEN,
                                 "the archive makes or passes through more than %u links and "
                                 "directories (or %u MiB of their names), more than one "
                                 "archive is checked for: split it",
                                 (unsigned)TARFS_NODES_MAX, (unsigned)(TARFS_BYTES_MAX >> 20));
                return NULL;
        }
        if ((fs->n + 1) * 2 > fs->cap && tarfs_grow(fs) == -1)
                goto oom;
        if ((nd = malloc(sizeof(*nd) + len + 1)) == NULL)
                goto oom;
        nd->hash = hash;
        nd->flags = 0;
        nd->target = NULL;
        nd->len = len;
        memcpy(nd->path, path, len);
        nd->path[len] = '\0';
        for (i = hash & (fs->cap - 1); fs->slot[i] != NULL; i = (i + 1) & (fs->cap - 1))
                ;
        fs->slot[i] = nd;
        fs->n++;
        return nd;
oom:
        *st = tarfs_fail(fs, TAR_INVALID, "out of memory");
        return NULL;
}

/* --- walking --- */

static uint32_t tarfs_hash(const char *path, size_t len)
{
        return fnv(FNV_BASIS, path, len);
}

static enum tar_status tarfs_push(struct tarfs *fs, const char *c, size_t clen)
{
        struct walk *w = &fs->w;
        uint32_t h = w->hash[w->depth];

        if (w->depth >= DEPTH_MAX || w->len + 1 + clen > WALK_MAX)
                return tarfs_fail(fs, TAR_INVALID, "a path longer than %u bytes",
                                  (unsigned)TARFS_PATH_MAX);
        if (w->len > 0) {
                w->buf[w->len++] = '/';
                h = fnv(h, "/", 1);
        }
        memcpy(w->buf + w->len, c, clen);
        w->len += clen;
        w->buf[w->len] = '\0';
        w->depth++;
        w->end[w->depth] = w->len;
        w->hash[w->depth] = fnv(h, c, clen);
        return TAR_OK;
}

/*
 * The walk's current path is about to be used as a directory: it must not
 * be a symbolic link the archive made (rule 1), and is recorded as passed
 * (rule 2).  The target directory itself (depth 0) is neither.
 */
static enum tar_status tarfs_through(struct tarfs *fs, const char *what)
{
        struct walk *w = &fs->w;
        struct node *nd;
        enum tar_status st = TAR_OK;

        if (w->depth == 0)
                return TAR_OK;
        nd = tarfs_find(fs, w->buf, w->len, w->hash[w->depth]);
        if (nd != NULL && (nd->flags & N_LINK)) {
                char q[96];

                return tarfs_fail(fs, TAR_FORBIDDEN, "%s goes through the symbolic link %s",
                                  what, tarfs_quote(w->buf, q, sizeof(q)));
        }
        if (nd == NULL && (nd = tarfs_node(fs, w->buf, w->len, w->hash[w->depth], &st)) == NULL)
                return st;
        nd->flags |= N_PASSED;
        return TAR_OK;
}

/*
 * Walks rel from base (a normalized path of the model, "" for the target)
 * into fs->w, as the kernel would, under rules 1 and 2; going above the
 * target at any step is refused (rule 3).  allow_up: ".." may be used
 * (link targets; never entry names).
 */
static enum tar_status tarfs_walk(struct tarfs *fs, const char *base, const char *rel,
                                  int allow_up, const char *what)
{
        struct walk *w = &fs->w;
        const char *p = base, *c;
        size_t clen;
        enum tar_status st;
        int in_base = 1;

        w->len = 0;
        w->depth = 0;
        w->end[0] = 0;
        w->hash[0] = FNV_BASIS;
        w->buf[0] = '\0';
        for (;;) {
                if (*p == '\0') {
                        if (!in_base)
                                return TAR_OK;
                        in_base = 0;
                        p = rel;
                        continue;
                }
                c = p;
                while (*p != '\0' && *p != '/')
                        p++;
                clen = (size_t)(p - c);
                if (*p == '/')
                        p++;
                if (clen == 0 || (clen == 1 && c[0] == '.'))
                        continue;
                /* base is a directory the entry itself is in: passed already */
                if (!in_base && (st = tarfs_through(fs, what)) != TAR_OK)
                        return st;
                if (clen == 2 && c[0] == '.' && c[1] == '.') {
                        if (!allow_up)
                                return tarfs_fail(fs, TAR_FORBIDDEN,
                                                  "%s has a \"..\" component", what);
                        if (w->depth == 0)
                                return tarfs_fail(fs, TAR_FORBIDDEN,
                                                  "%s leaves the target directory", what);
                        w->depth--;
                        w->len = w->end[w->depth];
                        w->buf[w->len] = '\0';
                        continue;
                }
                if ((st = tarfs_push(fs, c, clen)) != TAR_OK)
                        return st;
        }
}

/* --- entries --- */

/*
 * A symbolic link at fs->entry pointing to target (an entry of its own, or
 * a hard link to one: via then names the link it copies).
 */
static enum tar_status tarfs_symlink(struct tarfs *fs, const char *target, const char *via)
{
        size_t len = strlen(fs->entry), tlen = strlen(target);
        uint32_t hash = tarfs_hash(fs->entry, len);
        struct node *nd = tarfs_find(fs, fs->entry, len, hash);
        enum tar_status st = TAR_OK;
        char q[96], what[256];
        char *slash, *copy;

        if (via != NULL) {
                char q2[96];

                snprintf(what, sizeof(what),
                         "the hard link %s to the symbolic link %s: the target it copies",
                         tarfs_quote(fs->entry, q, sizeof(q)),
                         tarfs_quote(via, q2, sizeof(q2)));
        } else {
                snprintf(what, sizeof(what), "the target of the symbolic link %s",
                         tarfs_quote(fs->entry, q, sizeof(q)));
        }
        if (nd != NULL && (nd->flags & N_PASSED))
                return tarfs_fail(fs, TAR_FORBIDDEN,
                                  "a symbolic link at %s would change where an earlier entry "
                                  "leads, which went through it as a directory",
                                  tarfs_quote(fs->entry, q, sizeof(q)));
        memcpy(fs->dir, fs->entry, len + 1);
        slash = strrchr(fs->dir, '/');
        if (slash != NULL)
                *slash = '\0';
        else
                fs->dir[0] = '\0';
        if ((st = tarfs_walk(fs, fs->dir, target, 1, what)) != TAR_OK)
                return st;
        if ((nd = tarfs_node(fs, fs->entry, len, hash, &st)) == NULL)
                return st;
        if (nd->flags & N_PASSED)
                return tarfs_fail(fs, TAR_FORBIDDEN,
                                  "the symbolic link %s leads through itself",
                                  tarfs_quote(fs->entry, q, sizeof(q)));
        if (tarfs_account(fs, tlen + 1) == -1)
                return tarfs_fail(fs, TAR_FORBIDDEN,
                                  "the archive's links take more than %u MiB: split it",
                                  (unsigned)(TARFS_BYTES_MAX >> 20));
        if ((copy = strdup(target)) == NULL)
                return tarfs_fail(fs, TAR_INVALID, "out of memory");
        if (nd->target != NULL)
                fs->bytes -= strlen(nd->target) + 1;
        free(nd->target);
        nd->target = copy;
        nd->flags |= N_LINK;
        return TAR_OK;
}

/* A hard link at fs->entry to the archive's name link (from the target). */
static enum tar_status tarfs_hardlink(struct tarfs *fs, const char *link)
{
        struct node *nd;
        enum tar_status st;
        char *target, *via;

        if ((st = tarfs_walk(fs, "", link, 1, "the hard link target")) != TAR_OK)
                return st;
        if (fs->w.len == 0)
                return tarfs_fail(fs, TAR_INVALID, "a hard link to the target directory");
        nd = tarfs_find(fs, fs->w.buf, fs->w.len, fs->w.hash[fs->w.depth]);
        if (nd == NULL || !(nd->flags & N_LINK))
                return TAR_OK; /* a file (or a directory: link(2) refuses it) */
        /* link(2) does not follow it: the new name is the same symbolic link. */
        target = strdup(nd->target);
        via = strdup(nd->path);
        if (target == NULL || via == NULL)
                st = tarfs_fail(fs, TAR_INVALID, "out of memory");
        else
                st = tarfs_symlink(fs, target, via);
        free(target);
        free(via);
        return st;
}

enum tar_status tarfs_add(struct tarfs *fs, char type, const char *name, const char *link,
                          char *msg, size_t msglen)
{
        enum tar_status st;
        char q[96];

        fs->msg = msg;
        fs->msglen = msglen;
        if (msglen > 0)
                msg[0] = '\0';
        if (strlen(name) > TARFS_PATH_MAX || strlen(link) > TARFS_PATH_MAX)
                return tarfs_fail(fs, TAR_INVALID, "a name or link name longer than %u bytes",
                                  (unsigned)TARFS_PATH_MAX);
        if (name[0] == '/')
                return tarfs_fail(fs, TAR_FORBIDDEN, "absolute path %s",
                                  tarfs_quote(name, q, sizeof(q)));
        if ((st = tarfs_walk(fs, "", name, 0, "the entry name")) != TAR_OK)
                return st;
        if (fs->w.len == 0 && type != '5')
                return tarfs_fail(fs, TAR_INVALID, "an entry without a name");
        memcpy(fs->entry, fs->w.buf, fs->w.len + 1);
        if (type != '1' && type != '2')
                return TAR_OK;
        if (link[0] == '\0')
                return tarfs_fail(fs, TAR_INVALID, "a link without a target");
        if (link[0] == '/')
                return tarfs_fail(fs, TAR_FORBIDDEN, "link %s has an absolute target",
                                  tarfs_quote(fs->entry, q, sizeof(q)));
        return type == '2' ? tarfs_symlink(fs, link, NULL) : tarfs_hardlink(fs, link);
}

struct tarfs *tarfs_new(void)
{
        return calloc(1, sizeof(struct tarfs));
}

void tarfs_free(struct tarfs *fs)
{
        size_t i;

        if (fs == NULL)
                return;
        for (i = 0; i < fs->cap; i++) {
                if (fs->slot[i] != NULL) {
                        free(fs->slot[i]->target);
                        free(fs->slot[i]);
                }
        }
        free(fs->slot);
        free(fs);
}
