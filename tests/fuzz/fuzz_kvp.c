/* libFuzzer target: Hyper-V KVP pool images (host-writable pool 0), then
 * the in-memory edits a status write makes. */
#include <stddef.h>
#include <stdint.h>

#include "kvp.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvp_pool pool = KVP_POOL_INIT;
	struct strbuf err = STRBUF_INIT;
	if (kvp_parse(data, size, "<fuzz>", &pool, &err) == 0 && pool.count > 0) {
		const char *key = pool.rec[0].key, *value = pool.rec[pool.count - 1].value;
		(void)kvp_validate(key, value, &err);
		(void)kvp_get(&pool, key);
		(void)kvp_set(&pool, "egs:fuzz", value);
		(void)kvp_del(&pool, pool.rec[0].key);
		if (pool.count > 0)
			kvp_remove_at(&pool, pool.count - 1);
	}
	kvp_pool_free(&pool);
	sb_free(&err);
	return 0;
}
