/*
 * dockerfile.c - reading a Dockerfile as the classic builder of Engine
 * 20.10 reads it (dockerfile.h).
 *
 * SECURITY: the Dockerfile is the tenant's, and what matters is which images
 * the engine will look for.  The lines are joined as the engine's parser
 * joins them (BOM, the `escape` directive, comments inside continuations,
 * empty continuation lines), instructions are split the same way (a
 * case-insensitive keyword, then leading --flags), and FROM references are
 * substituted from the ARGs before the first FROM, overridden by the build
 * args given, which is what the builder's meta-arg expansion does.  Only a
 * small, unambiguous part of its shell lexer is accepted there ($NAME,
 * ${NAME}, ${NAME:-word}, ${NAME:+word} with a plain word): everything
 * beyond it is refused, so that the name checked is the name used.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"

struct df_arg {
        char name[DF_STAGE_NAME_MAX + 1];
        char value[DF_REF_MAX + 1];
        int set;          /* has a value (default or build arg) */
        int unresolvable; /* its default needs more of the lexer than we read */
};

struct df_reader {
        const char *p, *end;
        unsigned line;  /* physical lines read so far */
        unsigned start; /* first physical line of the instruction at hand */
        char escape;    /* '\\' or '`' */
        int directives; /* still at the top, where `escape` may stand */
        const struct df_opts *o;
        struct df_result *r;
        enum df_status st;
        struct df_arg args[DF_ARGS_MAX];
        size_t n_args;
        char stages[DF_STAGES_MAX][DF_STAGE_NAME_MAX + 1]; /* lower case; "" unnamed */
        unsigned image_stage[DF_IMAGES_MAX];               /* stage of each image */
        char *buf;                                         /* the logical line */
        size_t len, cap;
};

static enum df_status df_fail(struct df_reader *rd, enum df_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum df_status df_fail(struct df_reader *rd, enum df_status st, const char *fmt, ...)
{
        char msg[200];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(rd->r->err, sizeof(rd->r->err), "Dockerfile line %u: %s", rd->start, msg);
        rd->st = st;
        return st;
}

/* --- lines ------------------------------------------------------------ */

/* The next physical line, without its "\n" and a "\r" before it. */
static int df_next_line(struct df_reader *rd, const char **s, size_t *n)
{
        const char *nl;

        if (rd->p >= rd->end)
                return 0;
        *s = rd->p;
        nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));
        *n = (size_t)((nl != NULL ? nl : rd->end) - rd->p);
        rd->p = nl != NULL ? nl + 1 : rd->end;
        if (*n > 0 && (*s)[*n - 1] == '\r')
                (*n)--;
        rd->line++;
        return 1;
}

static void df_skip_space(const char **s, size_t *n)
{
        while (*n > 0 && isspace((unsigned char)**s)) {
                (*s)++;
                (*n)--;
        }
}

static int df_is_comment(const char *s, size_t n)
{
        df_skip_space(&s, &n);
        return n > 0 && s[0] == '#';
}

/*
 * The engine's one parser directive: `# escape=C` on the lines before any
 * other, taking the first character after '='.  `# syntax=` selects a
 * BuildKit frontend, which the classic builder would silently ignore: the
 * tenant asked for something else than what would run, so say so.
 */
static void df_directive(struct df_reader *rd, const char *s, size_t n)
{
        char word[16];
        size_t w = 0;

        if (!rd->directives)
                return;
        df_skip_space(&s, &n);
        if (n == 0 || s[0] != '#') {
                rd->directives = 0;
                return;
        }
        s++, n--;
        while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
        while (n > 0 && isalpha((unsigned char)*s) && w < sizeof(word) - 1)
                word[w++] = (char)tolower((unsigned char)*s++), n--;
        word[w] = '\0';
        while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
        if (n == 0 || *s != '=') {
                rd->directives = 0;
                return;
        }
        s++, n--;
        while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
        if (strcmp(word, "syntax") == 0) {
                df_fail(rd, DF_FORBIDDEN,
                        "the `syntax` parser directive selects a BuildKit frontend; "
                        "the gateway runs the classic builder only");
                return;
        }
        if (strcmp(word, "escape") != 0 || n == 0) {
                rd->directives = 0;
                return;
        }
        if (*s != '\\' && *s != '`') {
                df_fail(rd, DF_INVALID, "invalid escape character '%c': use '\\' or '`'", *s);
                return;
        }
        if (rd->escape != 0) {
                df_fail(rd, DF_INVALID, "only one escape parser directive can be used");
                return;
        }
        rd->escape = *s;
}

static int df_append(struct df_reader *rd, const char *s, size_t n)
{
        if (rd->len + n + 1 > rd->cap) {
                size_t cap = rd->cap ? rd->cap : 256;
                char *b;

                while (cap < rd->len + n + 1)
                        cap *= 2;
                if ((b = realloc(rd->buf, cap)) == NULL)
                        return df_fail(rd, DF_INVALID, "out of memory"), -1;
                rd->buf = b;
                rd->cap = cap;
        }
        memcpy(rd->buf + rd->len, s, n);
        rd->len += n;
        rd->buf[rd->len] = '\0';
        return 0;
}

/* Strips a continuation (escape, then blanks, at the end); 1 when there was one. */
static int df_continues(const struct df_reader *rd, const char *s, size_t *n)
{
        size_t k = *n;

        while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
                k--;
        if (k == 0 || s[k - 1] != (rd->escape ? rd->escape : '\\'))
                return 0;
        *n = k - 1;
        return 1;
}

/* The next instruction into rd->buf; 0 at the end, -1 on error. */
static int df_logical_line(struct df_reader *rd)
{
        const char *s;
        size_t n;

        for (;;) {
                if (!df_next_line(rd, &s, &n))
                        return 0;
                if (rd->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
                        s += 3, n -= 3;
                rd->start = rd->line;
                df_skip_space(&s, &n);
                df_directive(rd, s, n);
                if (rd->st != DF_OK)
                        return -1;
                if (df_is_comment(s, n))
                        continue;
                rd->len = 0;
                if (!df_continues(rd, s, &n)) {
                        if (n == 0)
                                continue;
                        return df_append(rd, s, n) == 0 ? 1 : -1;
                }
                if (df_append(rd, s, n) == -1)
                        return -1;
                break;
        }
        while (df_next_line(rd, &s, &n)) {
                const char *t = s;
                size_t tn = n;
                int more;

                df_directive(rd, s, n);
                if (rd->st != DF_OK)
                        return -1;
                if (df_is_comment(s, n))
                        continue;
                df_skip_space(&t, &tn);
                if (tn == 0)
                        continue; /* an empty continuation line */
                more = df_continues(rd, s, &n);
                if (df_append(rd, s, n) == -1)
                        return -1;
                if (!more)
                        break;
        }
        return rd->len > 0 ? 1 : 0;
}

/* --- words ------------------------------------------------------------ */

#define DF_WORDS_MAX 8

struct df_words {
        char *w[DF_WORDS_MAX];
        size_t n;
        int more; /* there were more than DF_WORDS_MAX */
};

/* Splits s in place on blanks. */
static void df_split(char *s, struct df_words *out)
{
        out->n = 0;
        out->more = 0;
        for (;;) {
                while (*s != '\0' && isspace((unsigned char)*s))
                        *s++ = '\0';
                if (*s == '\0')
                        return;
                if (out->n == DF_WORDS_MAX) {
                        out->more = 1;
                        return;
                }
                out->w[out->n++] = s;
                while (*s != '\0' && !isspace((unsigned char)*s))
                        s++;
        }
}

static int df_name_char(int ch, int first)
{
        return ch == '_' || isalpha(ch) || (!first && isdigit(ch));
}

static int df_ref_char(int ch)
{
        return isalnum(ch) || ch == '.' || ch == '_' || ch == '-' || ch == '/' || ch == ':' ||
               ch == '@';
}

static struct df_arg *df_arg_find(struct df_reader *rd, const char *name, size_t n)
{
        size_t i;

        for (i = 0; i < rd->n_args; i++)
                if (strlen(rd->args[i].name) == n && memcmp(rd->args[i].name, name, n) == 0)
                        return &rd->args[i];
        return NULL;
}

static int df_put(struct df_reader *rd, char *out, size_t *o, const char *s, size_t n)
{
        if (*o + n > DF_REF_MAX)
                return df_fail(rd, DF_INVALID, "an image reference is over %u bytes",
                               DF_REF_MAX),
                       -1;
        memcpy(out + *o, s, n);
        *o += n;
        out[*o] = '\0';
        return 0;
}

/* One variable of a FROM word at *sp (just after '$'), appended to out. */
static int df_expand_var(struct df_reader *rd, const char **sp, char *out, size_t *o)
{
        const char *s = *sp, *name, *word = NULL;
        size_t n = 0, wn = 0;
        int braced = *s == '{';
        char op = 0;
        struct df_arg *a;
        int set;

        if (braced)
                s++;
        name = s;
        while (df_name_char((unsigned char)s[n], n == 0))
                n++;
        if (n == 0 || n > DF_STAGE_NAME_MAX)
                return df_fail(rd, DF_INVALID,
                               "FROM uses a '$' the gateway cannot resolve; name the image "
                               "or use $NAME or ${NAME}"),
                       -1;
        s += n;
        if (braced) {
                if (s[0] == ':' && (s[1] == '-' || s[1] == '+')) {
                        op = s[1];
                        s += 2;
                        word = s;
                        while (df_ref_char((unsigned char)s[wn]))
                                wn++;
                        s += wn;
                }
                if (*s != '}')
                        return df_fail(rd, DF_INVALID,
                                       "FROM uses a substitution the gateway does not resolve "
                                       "(only ${NAME}, ${NAME:-word} and ${NAME:+word})"),
                               -1;
                s++;
        }
        *sp = s;
        a = df_arg_find(rd, name, n);
        if (a != NULL && a->unresolvable)
                return df_fail(rd, DF_INVALID,
                               "FROM uses ARG %s, whose default the gateway cannot resolve; "
                               "pass it as a build arg",
                               a->name),
                       -1;
        set = a != NULL && a->set && a->value[0] != '\0';
        if (op == '-')
                return set ? df_put(rd, out, o, a->value, strlen(a->value))
                           : df_put(rd, out, o, word, wn);
        if (op == '+')
                return set ? df_put(rd, out, o, word, wn) : 0;
        if (a == NULL)
                return df_fail(rd, DF_INVALID,
                               "FROM uses $%.*s, which no ARG before the first FROM declares",
                               (int)n, name),
                       -1;
        if (!set)
                return df_fail(rd, DF_INVALID, "FROM uses ARG %s, which has no value", a->name),
                       -1;
        return df_put(rd, out, o, a->value, strlen(a->value));
}

/* A FROM word, substituted as the builder's meta-arg expansion would. */
static int df_expand(struct df_reader *rd, const char *w, char *out)
{
        size_t o = 0;

        out[0] = '\0';
        while (*w != '\0') {
                if (*w == '$') {
                        w++;
                        if (df_expand_var(rd, &w, out, &o) == -1)
                                return -1;
                        continue;
                }
                if (!df_ref_char((unsigned char)*w))
                        return df_fail(rd, DF_INVALID,
                                       "FROM has a character ('%c') the gateway does not read "
                                       "in an image reference",
                                       isprint((unsigned char)*w) ? *w : '?'),
                               -1;
                if (df_put(rd, out, &o, w, 1) == -1)
                        return -1;
                w++;
        }
        if (o == 0)
                return df_fail(rd, DF_INVALID, "FROM names no image"), -1;
        /* The values substituted are the tenant's too. */
        for (w = out; *w != '\0'; w++)
                if (!df_ref_char((unsigned char)*w))
                        return df_fail(
                                   rd, DF_INVALID,
                                   "FROM resolves to \"%.64s\", which is no image reference",
                                   out),
                               -1;
        return 0;
}

/* --- instructions ----------------------------------------------------- */

static int df_add_image(struct df_reader *rd, const char *ref)
{
        size_t i;

        for (i = 0; i < rd->r->n_images; i++)
                if (strcmp(rd->r->images[i].ref, ref) == 0)
                        return 0;
        if (rd->r->n_images == DF_IMAGES_MAX)
                return df_fail(rd, DF_INVALID, "more than %u images", DF_IMAGES_MAX), -1;
        snprintf(rd->r->images[i].ref, sizeof(rd->r->images[i].ref), "%s", ref);
        rd->r->images[i].line = rd->start;
        rd->image_stage[i] = rd->r->n_stages - 1;
        rd->r->n_images++;
        return 0;
}

/* 1 when ref (any case) names a stage defined before the current one. */
static int df_is_stage(const struct df_reader *rd, const char *ref, unsigned before)
{
        unsigned i;

        for (i = 0; i < before; i++)
                if (rd->stages[i][0] != '\0' && strcasecmp(rd->stages[i], ref) == 0)
                        return 1;
        return 0;
}

static int df_stage_name_ok(const char *s)
{
        size_t i;

        if (!islower((unsigned char)s[0]))
                return 0;
        for (i = 1; s[i] != '\0'; i++)
                if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
                    s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return 0;
        return i <= DF_STAGE_NAME_MAX;
}

static int df_from(struct df_reader *rd, struct df_words *a)
{
        char ref[DF_REF_MAX + 1], name[DF_STAGE_NAME_MAX + 1] = "";
        unsigned stage = rd->r->n_stages;
        size_t i;

        if (a->more || (a->n != 1 && a->n != 3) ||
            (a->n == 3 && strcasecmp(a->w[1], "as") != 0))
                return df_fail(rd, DF_INVALID, "FROM takes an image and an optional AS name"),
                       -1;
        if (stage == DF_STAGES_MAX)
                return df_fail(rd, DF_INVALID, "more than %u stages", DF_STAGES_MAX), -1;
        if (a->n == 3) {
                if (strlen(a->w[2]) > DF_STAGE_NAME_MAX)
                        return df_fail(rd, DF_INVALID, "a stage name is too long"), -1;
                for (i = 0; a->w[2][i] != '\0'; i++)
                        name[i] = (char)tolower((unsigned char)a->w[2][i]);
                name[i] = '\0';
                if (!df_stage_name_ok(name))
                        return df_fail(rd, DF_INVALID, "invalid stage name \"%s\"", a->w[2]),
                               -1;
                if (df_is_stage(rd, name, stage))
                        return df_fail(rd, DF_INVALID, "duplicate stage name \"%s\"", name), -1;
        }
        if (df_expand(rd, a->w[0], ref) == -1)
                return -1;
        memcpy(rd->stages[stage], name, sizeof(name));
        rd->r->n_stages++;
        if (strcmp(ref, "scratch") == 0 || df_is_stage(rd, ref, stage))
                return 0;
        return df_add_image(rd, ref);
}

/* ARG before the first FROM: a meta arg, the only scope FROM is expanded in. */
static int df_meta_arg(struct df_reader *rd, struct df_words *a)
{
        struct df_arg *arg;
        const char *eq, *v;
        const json_t *given;
        size_t n, i;

        if (a->n != 1 || a->more)
                return df_fail(rd, DF_INVALID, "ARG takes exactly one name[=default]"), -1;
        eq = strchr(a->w[0], '=');
        n = eq != NULL ? (size_t)(eq - a->w[0]) : strlen(a->w[0]);
        for (i = 0; i < n; i++)
                if (!df_name_char((unsigned char)a->w[0][i], i == 0))
                        break;
        if (n == 0 || i != n || n > DF_STAGE_NAME_MAX)
                return df_fail(rd, DF_INVALID, "ARG needs a name of letters, digits and '_'"),
                       -1;
        if ((arg = df_arg_find(rd, a->w[0], n)) == NULL) {
                if (rd->n_args == DF_ARGS_MAX)
                        return df_fail(rd, DF_INVALID, "more than %u ARGs before FROM",
                                       DF_ARGS_MAX),
                               -1;
                arg = &rd->args[rd->n_args++];
                memcpy(arg->name, a->w[0], n);
                arg->name[n] = '\0';
        }
        arg->set = 0;
        arg->unresolvable = 0;
        given = rd->o->build_args ? json_object_get(rd->o->build_args, arg->name) : NULL;
        if (given != NULL) {
                if (!json_is_string(given))
                        return df_fail(rd, DF_INVALID, "build arg %s is not a string",
                                       arg->name),
                               -1;
                v = json_string_value(given);
        } else if (eq != NULL) {
                v = eq + 1;
                /* A default is expanded by the engine's full lexer: not ours to guess. */
                if (strpbrk(v, "$'\"\\`") != NULL) {
                        arg->unresolvable = 1;
                        return 0;
                }
        } else {
                return 0;
        }
        if (strlen(v) > DF_REF_MAX) {
                arg->unresolvable = 1;
                return 0;
        }
        snprintf(arg->value, sizeof(arg->value), "%s", v);
        arg->set = 1;
        return 0;
}

/* COPY --from=X: an earlier stage by name or index, else an image. */
static int df_copy_from(struct df_reader *rd, const char *from)
{
        unsigned stage = rd->r->n_stages - 1;
        char *end;
        long ix;

        if (*from == '\0' || strpbrk(from, "$'\"\\`") != NULL)
                return df_fail(rd, DF_INVALID, "COPY --from must name a stage or an image"), -1;
        ix = strtol(from, &end, 10);
        if (*end == '\0' && end != from &&
            (isdigit((unsigned char)*from) || *from == '+' || *from == '-')) {
                if (ix < 0 || (unsigned long)ix >= stage)
                        return df_fail(rd, DF_INVALID, "COPY --from=%s names no earlier stage",
                                       from),
                               -1;
                return 0;
        }
        if (df_is_stage(rd, from, stage))
                return 0;
        for (end = (char *)from; *end != '\0'; end++)
                if (!df_ref_char((unsigned char)*end))
                        return df_fail(rd, DF_INVALID, "COPY --from has an invalid reference"),
                               -1;
        if (strlen(from) > DF_REF_MAX)
                return df_fail(rd, DF_INVALID, "COPY --from is over %u bytes", DF_REF_MAX), -1;
        return df_add_image(rd, from);
}

/* 0: a plain local source; 1: a URL; 2: a word the engine's lexer would rewrite. */
static int df_source_kind(const char *src)
{
        if (strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0)
                return 1;
        return strpbrk(src, "$'\"\\`") != NULL ? 2 : 0;
}

/*
 * ADD's sources (and its destination: a word is a word).  A URL makes the
 * engine itself fetch from the host's network.  The builder expands every
 * word with its shell lexer, in the JSON form too, so a word with quotes,
 * escapes or variables could become a URL after this check: refused.
 */
static int df_add_sources(struct df_reader *rd, char *args)
{
        json_t *list = NULL, *v;
        int kind = 0, k;
        size_t i;
        char *s = args;

        if (args[0] == '[')
                list = json_loads(args, JSON_REJECT_DUPLICATES, NULL);
        if (json_is_array(list)) {
                json_array_foreach(list, i, v)
                {
                        if (!json_is_string(v))
                                break;
                }
                if (i != json_array_size(list)) { /* the engine reads it as words, then */
                        json_decref(list);
                        list = NULL;
                }
        }
        if (list != NULL && json_is_array(list)) {
                json_array_foreach(list, i, v)
                {
                        if ((k = df_source_kind(json_string_value(v))) > kind)
                                kind = k;
                }
        } else {
                for (;;) {
                        char *w;

                        while (*s != '\0' && isspace((unsigned char)*s))
                                s++;
                        if (*s == '\0')
                                break;
                        w = s;
                        while (*s != '\0' && !isspace((unsigned char)*s))
                                s++;
                        if (*s != '\0')
                                *s++ = '\0';
                        if ((k = df_source_kind(w)) > kind)
                                kind = k;
                }
        }
        json_decref(list);
        if (kind == 2)
                return df_fail(rd, DF_FORBIDDEN,
                               "ADD with quotes, escapes or variables cannot be checked; name "
                               "the files plainly, or use COPY"),
                       -1;
        if (kind == 1 && !rd->o->allow_add_url)
                return df_fail(rd, DF_FORBIDDEN,
                               "ADD from a URL is not allowed: the engine would fetch it from "
                               "the host's network; put the file in the build context"),
                       -1;
        return 0;
}

/* The --flags at the start of args, each checked against what is allowed. */
static int df_flags(struct df_reader *rd, const char *instr, char **args, const char **from)
{
        static const char *const allowed[][3] = {
            {"copy", "from", "chown"},
            {"add", "chown", NULL},
        };
        char *s = *args;

        *from = NULL;
        while (s[0] == '-' && s[1] == '-') {
                char *end = s, *name = s + 2, *eq;
                size_t i, j;
                int ok = 0;

                while (*end != '\0' && !isspace((unsigned char)*end))
                        end++;
                if (*end != '\0')
                        *end++ = '\0';
                if ((eq = strchr(name, '=')) != NULL)
                        *eq = '\0';
                for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                        if (strcmp(allowed[i][0], instr) == 0)
                                for (j = 1; j < 3; j++)
                                        ok |= allowed[i][j] != NULL &&
                                              strcmp(allowed[i][j], name) == 0;
                if (!ok)
                        return df_fail(rd, DF_FORBIDDEN,
                                       "%s --%s is a BuildKit flag or one the gateway does not "
                                       "allow; the gateway runs the classic builder",
                                       instr, name),
                               -1;
                if (strcmp(name, "from") == 0) {
                        if (eq == NULL)
                                return df_fail(rd, DF_INVALID, "--from needs a value"), -1;
                        *from = eq + 1;
                }
                while (*end != '\0' && isspace((unsigned char)*end))
                        end++;
                s = end;
        }
        *args = s;
        return 0;
}

static int df_instruction(struct df_reader *rd)
{
        static const char *const known[] = {
            "add",        "arg",         "cmd",    "copy",       "entrypoint", "env", "expose",
            "from",       "healthcheck", "label",  "maintainer", "onbuild",    "run", "shell",
            "stopsignal", "user",        "volume", "workdir",    NULL,
        };
        char instr[16], *s = rd->buf, *args;
        const char *from;
        struct df_words w;
        size_t n = 0, i;

        while (*s != '\0' && isspace((unsigned char)*s))
                s++;
        while (s[n] != '\0' && !isspace((unsigned char)s[n]))
                n++;
        if (n >= sizeof(instr))
                return df_fail(rd, DF_INVALID, "unknown instruction"), -1;
        for (i = 0; i < n; i++)
                instr[i] = (char)tolower((unsigned char)s[i]);
        instr[n] = '\0';
        for (i = 0; known[i] != NULL && strcmp(known[i], instr) != 0; i++)
                ;
        if (known[i] == NULL)
                return df_fail(rd, DF_INVALID, "unknown instruction: %s", instr), -1;
        args = s + n;
        while (*args != '\0' && isspace((unsigned char)*args))
                args++;
        if (df_flags(rd, instr, &args, &from) == -1)
                return -1;
        if (rd->r->n_stages == 0 && strcmp(instr, "arg") != 0 && strcmp(instr, "from") != 0)
                return df_fail(rd, DF_INVALID, "%s before the first FROM", instr), -1;
        if (strcmp(instr, "from") == 0) {
                df_split(args, &w);
                return df_from(rd, &w);
        }
        if (strcmp(instr, "arg") == 0 && rd->r->n_stages == 0) {
                df_split(args, &w);
                return df_meta_arg(rd, &w);
        }
        if (strcmp(instr, "onbuild") == 0)
                return df_fail(rd, DF_FORBIDDEN,
                               "ONBUILD triggers run in later builds, where the gateway cannot "
                               "check them"),
                       -1;
        if (strcmp(instr, "copy") == 0 && from != NULL)
                return df_copy_from(rd, from);
        if (strcmp(instr, "add") == 0)
                return df_add_sources(rd, args);
        return 0;
}

static unsigned df_target(struct df_reader *rd)
{
        unsigned i;

        for (i = 0; i < rd->r->n_stages; i++)
                if (strcasecmp(rd->stages[i], rd->o->target) == 0 && rd->stages[i][0] != '\0')
                        return i;
        df_fail(rd, DF_INVALID, "--target %s names no stage", rd->o->target);
        return 0;
}

enum df_status dockerfile_read(const char *text, size_t len, const struct df_opts *o,
                               struct df_result *r)
{
        struct df_reader rd;
        int got;

        memset(r, 0, sizeof(*r));
        memset(&rd, 0, sizeof(rd));
        rd.p = text;
        rd.end = text + len;
        rd.o = o;
        rd.r = r;
        rd.directives = 1;
        if (len > DF_MAX)
                return df_fail(&rd, DF_INVALID, "the Dockerfile is over %u bytes", DF_MAX);
        if (memchr(text, '\0', len) != NULL)
                return df_fail(&rd, DF_INVALID, "the Dockerfile has a NUL byte");
        while ((got = df_logical_line(&rd)) == 1)
                if (df_instruction(&rd) == -1)
                        break;
        free(rd.buf);
        if (rd.st != DF_OK)
                return rd.st;
        rd.start = rd.line;
        if (r->n_stages == 0)
                return df_fail(&rd, DF_INVALID, "no FROM instruction");
        if (o->target != NULL) {
                unsigned t = df_target(&rd);
                size_t i, k = 0;

                if (rd.st != DF_OK)
                        return rd.st;
                /* The builder stops at the target: later stages' images are never used. */
                for (i = 0; i < r->n_images; i++)
                        if (rd.image_stage[i] <= t)
                                r->images[k++] = r->images[i];
                r->n_images = k;
        }
        return DF_OK;
}
