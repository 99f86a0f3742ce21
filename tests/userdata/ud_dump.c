/* Test driver: runs the user-data pipeline on a file and prints one line
 * per part: "ctype<TAB>filename<TAB>payload as hex", then warnings as
 * "  warning: ...". Exit 0, or 1 with "error: ..." when the pipeline fails.
 *   ud_dump [--no-net] [--no-files] [--ca FILE] [--cache DIR] FILE
 * Used by tests/integration/test_includes.py (built there with gcc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "userdata.h"

int main(int argc, char **argv)
{
	struct userdata_opts o;
	userdata_opts_init(&o);
	o.fetch.retry_delay_ms = 100;
	int i = 1;
	for (; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--no-net"))
			o.fetch.allow_network = 0;
		else if (!strcmp(argv[i], "--no-files"))
			o.fetch.allow_files = 0;
		else if (!strcmp(argv[i], "--ca") && i + 1 < argc - 1)
			o.fetch.ca_file = argv[++i];
		else if (!strcmp(argv[i], "--cache") && i + 1 < argc - 1)
			o.urlcache_dir = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc - 1)
			o.fetch.timeout_s = atoi(argv[++i]);
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: ud_dump [--no-net] [--no-files] [--ca F] [--cache D] FILE\n");
		return 2;
	}
	struct strbuf in = STRBUF_INIT;
	if (fs_read_file(argv[i], &in, 0) < 0) {
		perror(argv[i]);
		return 2;
	}
	struct userdata_result r;
	int rc = userdata_process(in.data ? in.data : "", in.len, &o, &r);
	for (size_t k = 0; k < r.nparts; k++) {
		printf("%s\t%s\t", r.parts[k].ctype, r.parts[k].filename);
		for (size_t j = 0; j < r.parts[k].len; j++)
			printf("%02x", (unsigned char)r.parts[k].payload[j]);
		printf("\n");
		for (size_t j = 0; j < r.parts[k].nwarnings; j++)
			printf("  warning: %s\n", r.parts[k].warnings[j]);
	}
	if (rc < 0)
		printf("error: %s\n", r.error);
	userdata_result_free(&r);
	sb_free(&in);
	return rc < 0 ? 1 : 0;
}
