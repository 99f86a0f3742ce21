/* libFuzzer target: user-data YAML validated against the embedded
 * cloud-init schema (what `egs validate` does with a cloud-config). The
 * schema is loaded once and only read afterwards. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "schema.h"
#include "yaml.h"

static struct schema *fuzz_schema;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_schema) {
		fuzz_schema = schema_load_embedded();
		if (!fuzz_schema)
			abort();
	}
	struct yaml_error err = {0};
	struct ydoc *doc = yaml_load((const char *)data, size, "<fuzz>", &err);
	if (!doc) {
		yaml_error_free(&err);
		return 0;
	}
	struct schema_result res = {0};
	if (schema_validate(fuzz_schema, ydoc_root(doc), &res) == 0)
		schema_result_free(&res);
	ydoc_free(doc);
	return 0;
}
