/* libFuzzer target: the in-process seed filesystem readers
 * (common/fsimage.c) on an arbitrary image: label probe, then the NoCloud
 * and ConfigDrive files, as the datasources read them. The image lives in
 * a memfd opened by path (/proc/self/fd/N), as a seed image file is. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fsimage.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("egs-fuzz-image", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64], label[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	enum fsimage_type t = fsimage_probe(path, label, sizeof(label));
	static const char *const files[] = {"meta-data", "user-data", "network-config",
	                                    "openstack/latest/meta_data.json", "a/b/c/d", NULL};
	for (size_t i = 0; t != FSI_NONE && files[i]; i++) {
		struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
		(void)fsimage_read(path, t, files[i], &out, 1 << 20, &err);
		sb_free(&out);
		sb_free(&err);
	}
	close(fd);
	return 0;
}
