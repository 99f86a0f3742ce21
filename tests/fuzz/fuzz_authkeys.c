/* libFuzzer target: authorized_keys lines with their options and the
 * expiry-time parser, as the service reads id_egs.pub, KVP slots and
 * credentials on every login attempt. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authkeys.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct strbuf why = STRBUF_INIT;
	/* the first line as one key line */
	const char *nl = memchr(text, '\n', size);
	size_t first = nl ? (size_t)(nl - text) : size;
	struct authkey_line l;
	unsigned char blob[64] = {0};
	size_t bloblen = sizeof(blob);
	if (authkeys_parse_line(text, first, &l, &why) == 1) {
		(void)authkeys_line_valid(&l, (time_t)1780000000, &why);
		bloblen = l.bloblen < sizeof(blob) ? l.bloblen : sizeof(blob);
		memcpy(blob, l.blob, bloblen);
		authkey_line_free(&l);
	}
	/* the whole input as a file, looking for the first line's key */
	sb_reset(&why);
	(void)authkeys_match(text, size, blob, bloblen, (time_t)1780000000, &why);
	/* the whole input as an expiry-time value */
	char *s = strndup(text, size);
	if (s) {
		time_t t;
		(void)authkeys_parse_time(s, &t);
		free(s);
	}
	sb_free(&why);
	return 0;
}
