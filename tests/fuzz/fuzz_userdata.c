/* libFuzzer target for the user-data pipeline (gzip, MIME, sniffing,
 * includes, archives). Fetching is off: network and local files are
 * refused, so #include lines only produce errors. Build (see the report /
 * Makefile's fuzz target; -iquote keeps <yaml.h> libyaml's):
 *   clang -std=gnu11 -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
 *     -iquote common -Ibuild/deps/src/bearssl/inc -Ibuild/deps/src/zlib \
 *     -Ibuild/deps/src/libyaml/include -DYAML_DECLARE_STATIC \
 *     tests/fuzz/fuzz_userdata.c common/userdata.c common/mime.c common/gz.c \
 *     common/utf8.c common/fetch.c common/base64.c common/strbuf.c \
 *     common/fsutil.c common/yaml*.c \
 *     build/deps/host/bearssl/libbearssl.a build/deps/host/libyaml/libyaml.a \
 *     build/deps/host/zlib/libz.a -lm -o build/fuzz_userdata */
#include <stddef.h>
#include <stdint.h>

#include "userdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userdata_opts o;
	struct userdata_result r;
	userdata_opts_init(&o);
	o.fetch.allow_network = 0;
	o.fetch.allow_files = 0;
	o.max_size = 1 << 20;
	userdata_process(data, size, &o, &r);
	userdata_result_free(&r);
	return 0;
}
