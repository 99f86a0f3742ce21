/* Reading seed filesystems (ISO9660, FAT12/16/32) straight from a device or
 * an image file, without mounting: the volume label for the datasource
 * probes (cidata, config-2) and whole files by path, so NoCloud and
 * ConfigDrive work where mount(2) is impossible (containers, tests, no
 * isofs module). Read-only: the image is opened O_RDONLY and never written.
 * ISO9660 names come from Joliet when present, else Rock Ridge NM entries,
 * else the plain ISO name lower-cased without ";1" and a trailing dot.
 * FAT names use the long (VFAT) name when present, else the 8.3 name;
 * FAT matching is case-insensitive as the filesystem is. */
#ifndef EGS_FSIMAGE_H
#define EGS_FSIMAGE_H

#include <stddef.h>

#include "strbuf.h"

enum fsimage_type { FSI_NONE, FSI_ISO9660, FSI_VFAT };

/* Identifies the filesystem on path and copies its label (trailing spaces
 * removed; "" when it has none) into label (cap bytes). Returns the type,
 * or FSI_NONE when path is unreadable or holds neither filesystem.
 * FAT: the root-directory volume-label entry wins over the boot sector's
 * (0x47 on FAT32, 0x2B on FAT12/16), as blkid does. */
enum fsimage_type fsimage_probe(const char *path, char *label, size_t cap);

/* "iso9660" / "vfat" (the mount(2) type), or NULL. */
const char *fsimage_type_name(enum fsimage_type t);

/* Appends the file at rel ("meta-data", "openstack/latest/user_data") in
 * the filesystem on path to out. Returns 0; 1 when it does not exist (or
 * is a directory); -1 on a read error or a malformed filesystem, with a
 * message naming path in err (when not NULL). Files larger than max
 * (0: no cap) are an error. */
int fsimage_read(const char *path, enum fsimage_type t, const char *rel, struct strbuf *out,
                 size_t max, struct strbuf *err);

#endif
