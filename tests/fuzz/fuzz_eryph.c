/* libFuzzer target: the @eryph.io channel requests (upload-file,
 * download-file, list-directory) as the service's channel child runs them.
 * Input: byte 0 picks the request type, bytes 1-2 (big-endian) the
 * payload length, then the payload, then the upload data (read from a
 * memfd). Path fields are rewritten to stay relative without "..", and
 * everything happens in the sandbox's work directory (fuzz_sandbox.h),
 * emptied after each input. Download and list output goes to /dev/null. */
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eryph_xfer.h"
#include "fuzz_sandbox.h"
#include "sshwire.h"
#include "strbuf.h"

static int devnull = -1;

/* Sanitizes the first n string fields of an SSH-wire payload in place. */
static void sanitize(unsigned char *p, size_t len, int n)
{
	size_t off = 0;
	for (int i = 0; i < n && off + 4 <= len; i++) {
		size_t l = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 | (size_t)p[off + 2] << 8 |
		           p[off + 3];
		off += 4;
		if (l > len - off)
			l = len - off;
		fuzz_sandbox_path(p + off, l);
		off += l;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {ERYPH_REQ_UPLOAD, ERYPH_REQ_DOWNLOAD, ERYPH_REQ_LIST,
	                                    "bogus@eryph.io"};
	if (devnull < 0) {
		fuzz_sandbox_enter();
		signal(SIGPIPE, SIG_IGN);
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull < 0)
			abort();
	}
	if (size < 3)
		return 0;
	const char *type = types[data[0] & 3];
	size_t plen = (size_t)data[1] << 8 | data[2];
	if (plen > size - 3)
		plen = size - 3;
	unsigned char *payload = malloc(plen ? plen : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + 3, plen);
	sanitize(payload, plen, type == types[0] ? 2 : 1);
	int in = fuzz_memfd(data + 3 + plen, size - 3 - plen);
	struct eryph_result res;
	memset(&res, 0, sizeof(res));
	(void)eryph_request(type, payload, plen, in, devnull, &res);
	/* the status line the glue passes back must parse again */
	struct strbuf line = STRBUF_INIT;
	if (eryph_result_encode(&res, &line) == 0) {
		struct eryph_result back;
		if (eryph_result_decode(line.data, line.len, &back) < 0 || back.kind != res.kind)
			__builtin_trap();
	}
	sb_free(&line);
	close(in);
	free(payload);
	fuzz_sandbox_clean();
	return 0;
}
