/*
 * Functions OpenWrt's C library (musl) has and this machine's glibc (before 2.38) has not,
 * forced into the OpenWrt projects that use them (-include). Written for backsoon.
 */
#ifndef BACKSOON_GLIBC_COMPAT_H
#define BACKSOON_GLIBC_COMPAT_H
/* No libc header here: it would fix the feature macros before the source file sets its own. */
#include <stddef.h>

static inline size_t backsoon_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = __builtin_strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		__builtin_memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
/* Only for glibc before 2.38 (Debian 12): with a newer one, drop the -include of this file. */
#define strlcpy backsoon_strlcpy

#endif
