/* SSH wire encoding for SFTP packets: a bounds-checked reader over a
 * received packet, writers that append to a strbuf, and the v3 ATTRS
 * structure. Shared by the SFTP server and client. */
#ifndef EGS_SFTP_WIRE_H
#define EGS_SFTP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "strbuf.h"

/* Reads fields from p[0..len). Any read past the end (or a string longer
 * than what is left) sets bad and returns zero/empty values, so a parser
 * can read all fields and check bad once at the end. */
struct wire_reader {
	const unsigned char *p;
	size_t len;
	size_t pos;
	int bad;
};

void wr_init(struct wire_reader *r, const void *p, size_t len);
uint8_t wr_u8(struct wire_reader *r);
uint32_t wr_u32(struct wire_reader *r);
uint64_t wr_u64(struct wire_reader *r);
/* A string's bytes, pointing into the packet (not NUL-terminated);
 * *n gets its length. Returns "" (and *n = 0) when bad. */
const char *wr_string(struct wire_reader *r, size_t *n);
/* A string copied into buf (cap bytes) and NUL-terminated. Sets bad when
 * it does not fit or contains a NUL byte (paths cannot). */
void wr_cstring(struct wire_reader *r, char *buf, size_t cap);
/* Bytes not read yet. */
size_t wr_left(const struct wire_reader *r);

/* Big-endian helpers on raw memory. */
uint32_t wire_get_u32(const void *p);
void wire_put_u32_at(void *p, uint32_t v);

/* Appenders; each returns 0 or -1 (ENOMEM), leaving sb unchanged on error. */
int ww_u8(struct strbuf *sb, uint8_t v);
int ww_u32(struct strbuf *sb, uint32_t v);
int ww_u64(struct strbuf *sb, uint64_t v);
int ww_string(struct strbuf *sb, const void *s, size_t n);
int ww_cstring(struct strbuf *sb, const char *s);
/* Starts a packet: appends the length placeholder and the type; returns
 * the packet's start offset for ww_packet_end (or (size_t)-1 on ENOMEM). */
size_t ww_packet_begin(struct strbuf *sb, uint8_t type);
/* Patches the packet length now that its body is complete. */
void ww_packet_end(struct strbuf *sb, size_t start);

/* SFTP v3 ATTRS. Only the fields named in flags are meaningful. */
struct sftp_attrs {
	uint32_t flags; /* SSH_FILEXFER_ATTR_* */
	uint64_t size;
	uint32_t uid, gid;
	uint32_t perm;  /* full st_mode: type bits and permissions */
	uint32_t atime, mtime;
};

/* Reads ATTRS; extended pairs are checked for length and skipped. */
void wr_attrs(struct wire_reader *r, struct sftp_attrs *a);
int ww_attrs(struct strbuf *sb, const struct sftp_attrs *a);
/* Fills a with size, uid/gid, mode and times from st (all four flags). */
void sftp_attrs_from_stat(struct sftp_attrs *a, const struct stat *st);

#endif
