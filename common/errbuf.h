/* Error messages into a caller-supplied fixed buffer, the convention of
 * the host-side modules (transport, clientkey, sshconfig, tool_ssh): a
 * function takes (char *err, size_t errlen) and fills it on failure. */
#ifndef EGS_ERRBUF_H
#define EGS_ERRBUF_H

#include <stddef.h>

/* printf into err (truncated to errlen); nothing when err is NULL. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
