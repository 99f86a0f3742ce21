/* libFuzzer target: the MIME parser and the per-part helpers cloud-init's
 * user-data processing uses (file name, parameters, transfer decoding). */
#include <stddef.h>
#include <stdint.h>

#include "mime.h"
#include "strbuf.h"

static void walk(const struct mime_part *p, struct strbuf *sb)
{
	unsigned warn = 0;
	sb_reset(sb);
	(void)mime_decode_body(p, sb, &warn);
	sb_reset(sb);
	(void)mime_filename(p, sb);
	const char *ct = mime_header_get(p, "Content-Type");
	if (ct) {
		sb_reset(sb);
		(void)mime_header_param(ct, "boundary", sb);
		sb_reset(sb);
		(void)mime_header_param(ct, "charset", sb);
	}
	for (size_t i = 0; i < p->nchildren; i++)
		walk(p->children[i], sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_part *root = mime_parse((const char *)data, size, 0);
	if (!root)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	walk(root, &sb);
	sb_reset(&sb);
	(void)mime_decode_qp(&sb, (const char *)data, size);
	sb_free(&sb);
	mime_free(root);
	return 0;
}
