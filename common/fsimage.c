/* ISO9660 and FAT readers for seed filesystems (common/fsimage.h). */
#include "fsimage.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ISO_SECTOR 2048
#define MAX_DIR_BYTES (4u << 20)

static int read_at(int fd, void *buf, size_t len, unsigned long long off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static unsigned le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static uint32_t le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void trim_copy(char *dst, size_t cap, const unsigned char *src, size_t n)
{
	while (n && (src[n - 1] == ' ' || src[n - 1] == 0))
		n--;
	if (!cap)
		return;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Appends the UCS-2 unit c to name (at o, cap bytes with the NUL) as
 * UTF-8; surrogates (never paired here) become U+FFFD. Returns the new
 * length; a character that does not fit is dropped. */
static size_t put_utf8(char *name, size_t o, size_t cap, unsigned c)
{
	char b[3];
	size_t n;
	if (c >= 0xD800 && c <= 0xDFFF)
		c = 0xFFFD;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xC0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else {
		b[0] = (char)(0xE0 | c >> 12);
		b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	}
	if (o + n + 1 > cap)
		return o;
	memcpy(name + o, b, n);
	return o + n;
}

/* ---- ISO9660 ------------------------------------------------------------- */

struct iso {
	int fd;
	unsigned bs;        /* logical block size */
	uint32_t root_lba, root_len;
	int joliet;
};

static int iso_open(int fd, struct iso *iso, char *label, size_t cap)
{
	unsigned char d[ISO_SECTOR];
	memset(iso, 0, sizeof(*iso));
	iso->fd = fd;
	int have_pvd = 0;
	for (unsigned s = 16; s < 16 + 32; s++) {
		if (read_at(fd, d, sizeof(d), (unsigned long long)s * ISO_SECTOR) < 0)
			return -1;
		if (memcmp(d + 1, "CD001", 5) != 0)
			return have_pvd ? 0 : -1;
		if (d[0] == 255)
			break;
		if (d[0] == 1 && !have_pvd) {
			have_pvd = 1;
			if (label)
				trim_copy(label, cap, d + 40, 32);
			iso->bs = le16(d + 128);
			iso->root_lba = le32(d + 156 + 2);
			iso->root_len = le32(d + 156 + 10);
		} else if (d[0] == 2 && d[88] == '%' && d[89] == '/' &&
		           (d[90] == '@' || d[90] == 'C' || d[90] == 'E')) {
			iso->joliet = 1;
			iso->root_lba = le32(d + 156 + 2);
			iso->root_len = le32(d + 156 + 10);
			if (!iso->bs)
				iso->bs = le16(d + 128);
		}
	}
	if (!have_pvd)
		return -1;
	if (iso->bs != 512 && iso->bs != 1024 && iso->bs != 2048)
		iso->bs = ISO_SECTOR;
	return 0;
}

/* The name of one directory record in a comparable form. */
static void iso_record_name(const struct iso *iso, const unsigned char *r, size_t rlen,
                            char *name, size_t cap)
{
	size_t nlen = r[32];
	const unsigned char *n = r + 33;
	size_t o = 0;
	if (iso->joliet) {
		for (size_t i = 0; i + 1 < nlen; i += 2)
			o = put_utf8(name, o, cap, (unsigned)n[i] << 8 | n[i + 1]);
		name[o] = '\0';
	} else {
		/* Rock Ridge NM in the system use area */
		size_t su = 33 + nlen + ((nlen & 1) ? 0 : 1);
		int rr = 0;
		while (su + 4 <= rlen) {
			size_t elen = r[su + 2];
			if (elen < 4 || su + elen > rlen)
				break;
			if (r[su] == 'N' && r[su + 1] == 'M' && elen > 5) {
				size_t l = elen - 5;
				if (o + l >= cap)
					l = cap - 1 - o;
				memcpy(name + o, r + su + 5, l);
				o += l;
				rr = 1;
			}
			su += elen;
		}
		if (rr) {
			name[o] = '\0';
			return;
		}
		for (size_t i = 0; i < nlen && o + 1 < cap; i++)
			name[o++] = (char)tolower(n[i]);
		name[o] = '\0';
	}
	char *semi = strchr(name, ';');
	if (semi)
		*semi = '\0';
	size_t l = strlen(name);
	if (l && name[l - 1] == '.')
		name[l - 1] = '\0';
}

/* Finds comp in the directory (lba, len). 0 found (lba, len, isdir set),
 * 1 not found, -1 error. */
static int iso_lookup(const struct iso *iso, uint32_t dlba, uint32_t dlen, const char *comp,
                      uint32_t *lba, uint32_t *len, int *isdir)
{
	if (dlen > MAX_DIR_BYTES)
		return -1;
	unsigned char *buf = malloc(dlen ? dlen : 1);
	if (!buf)
		return -1;
	if (read_at(iso->fd, buf, dlen, (unsigned long long)dlba * iso->bs) < 0) {
		free(buf);
		return -1;
	}
	int rc = 1;
	size_t off = 0;
	while (off < dlen) {
		size_t rlen = buf[off];
		if (rlen == 0) { /* records never cross a sector: skip to the next */
			off = (off / iso->bs + 1) * iso->bs;
			continue;
		}
		if (rlen < 34 || off + rlen > dlen || 33u + buf[off + 32] > rlen) {
			rc = -1;
			break;
		}
		const unsigned char *r = buf + off;
		if (!(r[32] == 1 && (r[33] == 0 || r[33] == 1))) {
			char name[256];
			iso_record_name(iso, r, rlen, name, sizeof(name));
			if (strcmp(name, comp) == 0) {
				*lba = le32(r + 2);
				*len = le32(r + 10);
				*isdir = (r[25] & 2) != 0;
				rc = 0;
				break;
			}
		}
		off += rlen;
	}
	free(buf);
	return rc;
}

/* The common end of a path walk: 0 a regular file within max, 1 absent
 * or a directory, -1 with *why. */
static int walk_result(int rc, int isdir, size_t size, size_t max, const char *malformed,
                       const char **why)
{
	if (rc < 0)
		*why = malformed;
	if (rc)
		return rc;
	if (isdir)
		return 1;
	if (max && size > max) {
		*why = "file too large";
		return -1;
	}
	return 0;
}

static int iso_read(int fd, const char *rel, struct strbuf *out, size_t max, const char **why)
{
	struct iso iso;
	if (iso_open(fd, &iso, NULL, 0) < 0) {
		*why = "not an ISO9660 filesystem";
		return -1;
	}
	uint32_t lba = iso.root_lba, len = iso.root_len;
	int isdir = 1;
	char *copy = strdup(rel);
	if (!copy)
		return -1;
	int rc = 0;
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!isdir) {
			rc = 1;
			break;
		}
		rc = iso_lookup(&iso, lba, len, c, &lba, &len, &isdir);
		if (rc)
			break;
	}
	free(copy);
	rc = walk_result(rc, isdir, len, max, "malformed ISO9660 directory", why);
	if (rc)
		return rc;
	size_t old = out->len;
	if (sb_reserve(out, len) < 0)
		return -1;
	if (read_at(fd, out->data + old, len, (unsigned long long)lba * iso.bs) < 0) {
		*why = "read error";
		return -1;
	}
	out->len = old + len;
	out->data[out->len] = '\0';
	return 0;
}

/* ---- FAT ----------------------------------------------------------------- */

struct fat {
	int fd;
	unsigned bps, spc, type; /* type 12, 16 or 32 */
	unsigned long long fat_off, root_off, data_off;
	uint32_t root_entries, root_cluster, nclusters;
	int short_read; /* a read failed: the image is truncated or unreadable */
};

static int fat_pread(struct fat *f, void *buf, size_t len, unsigned long long off)
{
	if (read_at(f->fd, buf, len, off) < 0) {
		f->short_read = 1;
		return -1;
	}
	return 0;
}

static int fat_open(int fd, struct fat *f, char *label, size_t cap)
{
	unsigned char b[512];
	if (read_at(fd, b, sizeof(b), 0) < 0 || b[510] != 0x55 || b[511] != 0xAA)
		return -1;
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->bps = le16(b + 11);
	f->spc = b[13];
	unsigned reserved = le16(b + 14), nfats = b[16];
	f->root_entries = le16(b + 17);
	uint32_t total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	uint32_t fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if ((f->bps != 512 && f->bps != 1024 && f->bps != 2048 && f->bps != 4096) || !f->spc ||
	    (f->spc & (f->spc - 1)) || !reserved || !nfats || !fatsz)
		return -1;
	uint32_t root_secs = (f->root_entries * 32 + f->bps - 1) / f->bps;
	/* 64-bit: a crafted nfats * fatsz must not wrap around */
	unsigned long long meta = reserved + (unsigned long long)nfats * fatsz + root_secs;
	if (total <= meta)
		return -1;
	f->nclusters = (uint32_t)((total - meta) / f->spc);
	f->type = f->nclusters < 4085 ? 12 : f->nclusters < 65525 ? 16 : 32;
	f->fat_off = (unsigned long long)reserved * f->bps;
	f->root_off = (reserved + (unsigned long long)nfats * fatsz) * f->bps;
	f->data_off = meta * f->bps;
	if (f->type == 32) {
		f->root_cluster = le32(b + 44);
		if (f->root_cluster < 2 || f->root_cluster >= f->nclusters + 2)
			return -1;
	}
	if (label) {
		label[0] = '\0';
		if (f->type == 32 && b[0x42] == 0x29)
			trim_copy(label, cap, b + 0x47, 11);
		else if (f->type != 32 && b[0x26] == 0x29)
			trim_copy(label, cap, b + 0x2B, 11);
		if (strcmp(label, "NO NAME") == 0)
			label[0] = '\0';
	}
	return 0;
}

static int fat_next(struct fat *f, uint32_t c, uint32_t *next)
{
	unsigned char b[4];
	if (f->type == 12) {
		if (fat_pread(f, b, 2, f->fat_off + c + c / 2) < 0)
			return -1;
		unsigned v = le16(b);
		*next = (c & 1) ? v >> 4 : v & 0xFFF;
		if (*next >= 0xFF8)
			*next = 0;
	} else if (f->type == 16) {
		if (fat_pread(f, b, 2, f->fat_off + (unsigned long long)c * 2) < 0)
			return -1;
		*next = le16(b);
		if (*next >= 0xFFF8)
			*next = 0;
	} else {
		if (fat_pread(f, b, 4, f->fat_off + (unsigned long long)c * 4) < 0)
			return -1;
		*next = le32(b) & 0x0FFFFFFF;
		if (*next >= 0x0FFFFFF8)
			*next = 0;
	}
	if (*next == 1 || (*next && *next >= f->nclusters + 2))
		return -1;
	return 0;
}

/* Reads a cluster chain (or the fixed FAT12/16 root when first == 0) into
 * out, at most limit bytes. The chain must end where the limit is reached
 * (a file's clusters match its size): a chain that goes on is corrupt, and
 * a loop always goes on, so loops are found without a visited set. */
static int fat_read_chain(struct fat *f, uint32_t first, size_t limit, struct strbuf *out)
{
	if (first == 0) {
		size_t n = (size_t)f->root_entries * 32;
		if (sb_reserve(out, n) < 0 || fat_pread(f, out->data + out->len, n, f->root_off) < 0)
			return -1;
		out->len += n;
		out->data[out->len] = '\0';
		return 0;
	}
	size_t csize = (size_t)f->bps * f->spc;
	size_t got = 0;
	uint32_t c = first;
	for (uint32_t hops = 0; c && got < limit; hops++) {
		if (c < 2 || c >= f->nclusters + 2 || hops > f->nclusters)
			return -1;
		size_t n = csize < limit - got ? csize : limit - got;
		if (sb_reserve(out, n) < 0 ||
		    fat_pread(f, out->data + out->len, n,
		              f->data_off + (unsigned long long)(c - 2) * csize) < 0)
			return -1;
		out->len += n;
		out->data[out->len] = '\0';
		got += n;
		if (fat_next(f, c, &c) < 0)
			return -1;
	}
	return c == 0 ? 0 : -1;
}

/* The checksum of an 8.3 name that its long-name slices carry: a long
 * name whose checksum does not match belongs to an entry that was renamed
 * by a system without long names, and is ignored as the kernel does. */
static unsigned char fat_short_sum(const unsigned char *e)
{
	unsigned char sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (unsigned char)(((sum & 1) << 7) + (sum >> 1) + e[i]);
	return sum;
}

/* A long name being collected from its slices (UCS-2, up to 255 units). */
struct fat_lfn {
	uint16_t u[20 * 13];
	unsigned char sum;
	int valid;
};

static void fat_lfn_slice(struct fat_lfn *l, const unsigned char *e)
{
	static const int pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	unsigned seq = e[0] & 0x1F;
	if (e[0] & 0x40) { /* the last slice comes first and starts a name */
		memset(l, 0, sizeof(*l));
		l->sum = e[13];
		l->valid = 1;
	}
	if (!l->valid || seq < 1 || seq > 20 || e[13] != l->sum) {
		l->valid = 0;
		return;
	}
	for (int i = 0; i < 13; i++)
		l->u[(seq - 1) * 13 + (unsigned)i] = (uint16_t)le16(e + pos[i]);
}

/* The best name of the short entry e: its long name when one precedes it
 * (and matches), else the 8.3 name. */
static void fat_entry_name(const struct fat_lfn *l, const unsigned char *e, char *name, size_t cap)
{
	if (l->valid && l->sum == fat_short_sum(e) && l->u[0]) {
		size_t o = 0;
		for (size_t i = 0; i < sizeof(l->u) / sizeof(l->u[0]) && l->u[i] && l->u[i] != 0xFFFF; i++)
			o = put_utf8(name, o, cap, l->u[i]);
		name[o] = '\0';
		return;
	}
	char base[9], ext[4];
	trim_copy(base, sizeof(base), e, 8);
	trim_copy(ext, sizeof(ext), e + 8, 3);
	if (base[0] == 0x05) /* a name starting with 0xE5 */
		base[0] = (char)0xE5;
	snprintf(name, cap, "%s%s%s", base, ext[0] ? "." : "", ext);
}

/* Finds comp in the directory starting at cluster dir (0: the FAT12/16
 * root): 0 found (cluster, size, isdir set), 1 not found, -1 error. With
 * comp NULL, only the volume label entry is copied to vlabel. */
static int fat_lookup(struct fat *f, uint32_t dir, const char *comp, uint32_t *cluster,
                      uint32_t *size, int *isdir, char *vlabel, size_t vcap)
{
	struct strbuf d = STRBUF_INIT;
	if (fat_read_chain(f, dir, MAX_DIR_BYTES, &d) < 0) {
		sb_free(&d);
		return -1;
	}
	struct fat_lfn lfn = {0};
	int rc = 1;
	for (size_t off = 0; off + 32 <= d.len; off += 32) {
		const unsigned char *e = (const unsigned char *)d.data + off;
		if (e[0] == 0)
			break;
		if (e[0] == 0xE5) {
			lfn.valid = 0;
			continue;
		}
		if ((e[11] & 0x3F) == 0x0F) {
			fat_lfn_slice(&lfn, e);
			continue;
		}
		if (e[11] & 0x08) { /* volume label */
			if (vlabel && !(e[11] & 0x10))
				trim_copy(vlabel, vcap, e, 11);
			lfn.valid = 0;
			continue;
		}
		char name[4 * 260];
		fat_entry_name(&lfn, e, name, sizeof(name));
		lfn.valid = 0;
		if (comp && strcasecmp(name, comp) == 0) {
			*cluster = le16(e + 26) | (f->type == 32 ? (uint32_t)le16(e + 20) << 16 : 0);
			*size = le32(e + 28);
			*isdir = (e[11] & 0x10) != 0;
			rc = 0;
			break;
		}
	}
	sb_free(&d);
	return rc;
}

static int fat_read(int fd, const char *rel, struct strbuf *out, size_t max, const char **why)
{
	struct fat f;
	if (fat_open(fd, &f, NULL, 0) < 0) {
		*why = "not a FAT filesystem";
		return -1;
	}
	uint32_t c = f.type == 32 ? f.root_cluster : 0, size = 0;
	int isdir = 1, rc = 0;
	char *copy = strdup(rel);
	if (!copy)
		return -1;
	for (char *save = NULL, *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!isdir) {
			rc = 1;
			break;
		}
		rc = fat_lookup(&f, c, p, &c, &size, &isdir, NULL, 0);
		if (rc)
			break;
		if (isdir && c == 0 && f.type == 32)
			c = f.root_cluster;
	}
	free(copy);
	rc = walk_result(rc, isdir, size, max,
	                 f.short_read ? "image truncated or unreadable" : "malformed FAT directory", why);
	if (rc)
		return rc;
	if (size == 0)
		return sb_append(out, "", 0);
	size_t old = out->len;
	if (c < 2 || fat_read_chain(&f, c, size, out) < 0 || out->len - old != size) {
		sb_truncate(out, old);
		*why = f.short_read ? "image truncated or unreadable"
		                    : "malformed FAT file (its cluster chain does not match its size)";
		return -1;
	}
	return 0;
}

/* ---- public -------------------------------------------------------------- */

enum fsimage_type fsimage_probe(const char *path, char *label, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FSI_NONE;
	enum fsimage_type t = FSI_NONE;
	struct iso iso;
	struct fat f;
	if (iso_open(fd, &iso, label, cap) == 0) {
		t = FSI_ISO9660;
	} else if (fat_open(fd, &f, label, cap) == 0) {
		t = FSI_VFAT;
		char vlabel[16] = "";
		uint32_t c = 0, s = 0;
		int d = 0;
		fat_lookup(&f, f.type == 32 ? f.root_cluster : 0, NULL, &c, &s, &d, vlabel,
		           sizeof(vlabel));
		if (vlabel[0] && label)
			snprintf(label, cap, "%s", vlabel);
	}
	close(fd);
	return t;
}

const char *fsimage_type_name(enum fsimage_type t)
{
	return t == FSI_ISO9660 ? "iso9660" : t == FSI_VFAT ? "vfat" : NULL;
}

int fsimage_read(const char *path, enum fsimage_type t, const char *rel, struct strbuf *out,
                 size_t max, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (err)
			sb_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	const char *why = "out of memory";
	size_t old = out->len;
	int rc = t == FSI_ISO9660 ? iso_read(fd, rel, out, max, &why)
	       : t == FSI_VFAT    ? fat_read(fd, rel, out, max, &why)
	                          : (why = "unknown filesystem", -1);
	close(fd);
	if (rc != 0)
		sb_truncate(out, old);
	if (rc < 0 && err)
		sb_printf(err, "%s: %s: %s", path, rel, why);
	return rc;
}
