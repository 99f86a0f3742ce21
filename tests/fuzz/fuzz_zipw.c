/* libFuzzer target: the zip writer's entry names and data (what
 * collect-logs feeds it). The input is "name\0data\0name\0data..."; each
 * pair becomes an entry of an archive written into the sandbox's work
 * directory (fuzz_sandbox.h), which is emptied after each input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_sandbox.h"
#include "strbuf.h"
#include "zipw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_sandbox_enter();
	struct strbuf err = STRBUF_INIT;
	struct zipw *z = zipw_open("out.zip", &err);
	if (!z)
		abort();
	const char *p = (const char *)data, *end = p + size;
	int rc = 0;
	while (p < end && rc >= 0) {
		const char *name_end = memchr(p, '\0', (size_t)(end - p));
		if (!name_end)
			break;
		const char *d = name_end + 1;
		const char *d_end = d < end ? memchr(d, '\0', (size_t)(end - d)) : NULL;
		size_t dlen = d_end ? (size_t)(d_end - d) : (size_t)(end - d);
		sb_reset(&err);
		rc = zipw_add_data(z, p, d, dlen, (time_t)(dlen * 7919), 0644, &err);
		p = d_end ? d_end + 1 : end;
	}
	if (rc < 0)
		zipw_abort(z);
	else if (zipw_close(z, 0600, &err) < 0)
		abort();
	sb_free(&err);
	fuzz_sandbox_clean();
	return 0;
}
