/* libFuzzer target: the JSON parser (instance data, the schema itself)
 * and writing the tree back. */
#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "jsonw.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_error err = {0};
	struct ydoc *doc = json_parse((const char *)data, size, &err);
	if (!doc) {
		yaml_error_free(&err);
		return 0;
	}
	struct strbuf out = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &out, size & 1 ? 2 : 0, size & 2 ? 1 : 0);
	(void)json_write_node(&w, ydoc_root(doc));
	sb_free(&out);
	ydoc_free(doc);
	return 0;
}
