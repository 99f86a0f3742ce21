/* Finding seed filesystems by label without udev or blkid: the names in
 * /sys/class/block become /dev/NAME, each superblock is read with
 * common/fsimage.h, and a match can be mounted read-only in a private
 * temporary directory (mount(2), MS_RDONLY) and unmounted after. */
#ifndef EGS_BLOCKDEV_H
#define EGS_BLOCKDEV_H

#include "fsimage.h"

struct blockdev_hit {
	char *path;              /* /dev/sr0, or an extra path as given */
	enum fsimage_type type;  /* FSI_ISO9660 or FSI_VFAT */
};

/* Every device whose filesystem is ISO9660 or vfat and whose label equals
 * one of labels (NULL-terminated, exact match): the devices named in
 * sysdir ("/sys/class/block"; NULL or "" skips the scan) looked up in
 * devdir ("/dev"), sorted in reverse as cloud-init does, then each path in
 * extra (NULL-terminated, may be NULL; regular files are fine). Returns a
 * malloc'd array terminated by a NULL path (free with blockdev_hits_free),
 * or NULL on ENOMEM. */
struct blockdev_hit *blockdev_find_label(const char *sysdir, const char *devdir,
                                         const char *const *extra,
                                         const char *const *labels);
void blockdev_hits_free(struct blockdev_hit *hits);

/* Mounts dev (fstype "iso9660"/"vfat") read-only, nosuid, nodev, noexec
 * on a new 0700 directory under /run (or /tmp). Returns the malloc'd
 * mount point, or NULL with errno (regular files are refused: EINVAL). */
char *blockdev_mount_ro(const char *dev, const char *fstype);
/* Unmounts (lazily when busy) and removes the directory; frees mnt. */
void blockdev_umount(char *mnt);

#endif
