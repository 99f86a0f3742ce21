/* Which client keys may log in as "egs" (egs-compat §4.2): authorized_keys
 * style text from id_egs.pub, the host's KVP client-key slots and
 * systemd-style credentials (SMBIOS type 11 OEM strings, QEMU fw_cfg),
 * matched by raw public-key blob, with the original's expiry-time rules.
 * Everything is read again on every call: there is no cache. */
#ifndef EGS_AUTHKEYS_H
#define EGS_AUTHKEYS_H

#include <stddef.h>
#include <time.h>

#include "strbuf.h"

#define AUTHKEYS_ID_FILE "id_egs.pub" /* in the config dir */
#define AUTHKEYS_KVP_KEY "eryph:guest-services:client-public-key"
#define AUTHKEYS_CRED_ALL "ssh.ephemeral-authorized_keys-all"
#define AUTHKEYS_CRED_ROOT "ssh.authorized_keys.root"

/* One parsed key line. */
struct authkey_line {
	char *options;        /* the raw option list, or NULL */
	char *algo;           /* key type as written, e.g. "ssh-ed25519" */
	unsigned char *blob;  /* the decoded public-key blob */
	size_t bloblen;
	char *comment;        /* trimmed rest of the line, or NULL */
	int has_expiry;       /* an expiry-time option was given (and parsed) */
	time_t expiry;        /* its instant, UTC epoch seconds */
};

/* Parses one line (without its newline; a trailing CR is ignored).
 * Returns 1 for a key (out filled; free with authkey_line_free), 0 for a
 * blank or '#' line, -1 for a malformed line or a bad expiry-time, with the
 * reason in why (when not NULL). Expiry against a clock is not checked
 * here: see authkeys_line_valid(). */
int authkeys_parse_line(const char *line, size_t len, struct authkey_line *out,
                        struct strbuf *why);
void authkey_line_free(struct authkey_line *l);
/* 1 if the line has no expiry or expires after now; else 0 with why. */
int authkeys_line_valid(const struct authkey_line *l, time_t now, struct strbuf *why);

/* Parses an expiry-time value: YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS,
 * each with an optional trailing Z, all UTC; or ISO-8601/RFC 3339
 * YYYY-MM-DD[(T|t| )HH:MM[:SS[.frac]]][Z|+HH:MM|-HH:MM|+HHMM|+HH] (no
 * offset: UTC). A T without the separators (20260602T143000Z) is refused.
 * Returns 0 with *out (fractions of a second dropped), or -1. */
int authkeys_parse_time(const char *s, time_t *out);

/* 1 if some line of text (authorized_keys format: LF or CRLF lines, blank
 * and '#' lines ignored, malformed lines skipped) holds blob and is valid
 * at now; else 0. why collects one line per skipped or rejected line that
 * carried this blob or could not be parsed (for a Warning log). */
int authkeys_match(const char *text, size_t len, const unsigned char *blob, size_t bloblen,
                   time_t now, struct strbuf *why);

/* Where the keys come from. */
struct authkeys_config {
	const char *config_dir; /* id_egs.pub lives here; NULL: skip */
	const char *kvp_dir;    /* holds .kvp_pool_0; NULL: skip the KVP */
	int kvp_auth;           /* KvpAuthEnabled: 0 ignores every KVP slot */
	const char *sysfs;      /* "/sys" (tests: a fake tree); NULL: skip */
};

/* One source of keys, in authorized_keys format. */
struct authkeys_source {
	char *origin; /* for logs: "id_egs.pub", "kvp:<key>", "smbios:<cred>", "fw_cfg:<cred>" */
	char *text;
	size_t len;
};

struct authkeys_sources {
	struct authkeys_source *v;
	size_t n;
};

/* Collects every source, in order: id_egs.pub (its first key line only; a
 * white-space-only file is deleted and skipped); unless kvp_auth is 0,
 * every pool-0 record named AUTHKEYS_KVP_KEY or AUTHKEYS_KVP_KEY":<id>"
 * (a pool that cannot be read only adds to notes); then the two
 * credentials from SMBIOS type 11 strings ("io.systemd.credential:NAME=text"
 * and "io.systemd.credential.binary:NAME=base64") and from fw_cfg
 * (opt/io.systemd.credentials/NAME/raw). Problems that do not stop the
 * others (unreadable file, bad KVP pool, bad base64) are appended to notes
 * as lines. Returns 0, or -1 on ENOMEM. */
int authkeys_gather(const struct authkeys_config *cfg, struct authkeys_sources *out,
                    struct strbuf *notes);
void authkeys_sources_free(struct authkeys_sources *s);

/* The service's check on every auth attempt: gathers the sources and
 * returns 1 if one authorizes blob at now, setting origin (if not NULL) to
 * the source's name; else 0 (also on ENOMEM: fail closed). why gets the
 * notes and rejection reasons. */
int authkeys_authorize(const struct authkeys_config *cfg, const unsigned char *blob,
                       size_t bloblen, time_t now, struct strbuf *origin,
                       struct strbuf *why);

/* Appends the SHA-256 of blob as colon-separated lower-case hex ("ab:cd:..."),
 * the original's log form. Returns 0 or -1 (ENOMEM). */
int authkeys_fingerprint_hex(struct strbuf *out, const unsigned char *blob, size_t len);
/* Appends OpenSSH's form "SHA256:<base64 without padding>". */
int authkeys_fingerprint_ssh(struct strbuf *out, const unsigned char *blob, size_t len);

/* Extracts the values of the given credential name from one SMBIOS type
 * 11 structure (raw is the whole sysfs "raw" file). Each match is appended
 * to out followed by a newline (binary ones base64-decoded). Returns the
 * number of matches, or -1 if the structure is malformed or a binary value
 * is bad base64 (reason in why). */
int authkeys_smbios_credential(const unsigned char *raw, size_t len, const char *name,
                               struct strbuf *out, struct strbuf *why);

#endif
