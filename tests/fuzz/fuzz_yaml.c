/* libFuzzer target: the YAML tree loader (common/yaml*.c over libyaml),
 * then the readers and a deep copy of whatever it built. */
#include <stddef.h>
#include <stdint.h>

#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_error err = {0};
	struct ydoc *doc = yaml_load((const char *)data, size, "<fuzz>", &err);
	if (!doc) {
		yaml_error_free(&err);
		return 0;
	}
	struct ynode *root = ydoc_root(doc);
	(void)ynode_truthy(root);
	(void)ynode_equal(root, root);
	/* a copy expands aliases: only for documents of modest weight */
	if (root && root->weight <= 10000) {
		struct ydoc *copy = ydoc_new();
		if (copy) {
			/* (no equality check: .nan != .nan, as in Python) */
			(void)ynode_copy(copy, root);
			ydoc_free(copy);
		}
	}
	ydoc_free(doc);
	return 0;
}
