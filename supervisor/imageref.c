/*
 * imageref.c - the supervisor's image reference check (imageref.h).
 */
#include <string.h>

#include "imageref.h"

int image_ref_ok(const char *ref)
{
        size_t i, n = ref ? strlen(ref) : 0;
        int start = 1;

        if (n == 0 || n > IMAGE_REF_MAX)
                return 0;
        if (strspn(ref,
                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/@-") != n)
                return 0;
        for (i = 0; i < n; i++) {
                int alnum = (ref[i] >= 'a' && ref[i] <= 'z') ||
                            (ref[i] >= 'A' && ref[i] <= 'Z') ||
                            (ref[i] >= '0' && ref[i] <= '9');
                if (start && !alnum)
                        return 0;
                start = ref[i] == '/';
        }
        return !start;
}
