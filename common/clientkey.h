/* The host's SSH client key: ECDSA P-256 (ecdsa-sha2-nistp256), generated
 * with BearSSL, stored in OpenSSH's own formats so ssh(1) uses it as is:
 *   private: "-----BEGIN OPENSSH PRIVATE KEY-----" (openssh-key-v1,
 *            unencrypted, empty comment, base64 lines of 70 characters)
 *   public:  "ecdsa-sha2-nistp256 <base64>" (no comment, as the original)
 * The private scalar never goes to logs or error messages. */
#ifndef EGS_CLIENTKEY_H
#define EGS_CLIENTKEY_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define CLIENTKEY_TYPE "ecdsa-sha2-nistp256"
#define CLIENTKEY_CURVE "nistp256"

struct clientkey {
	unsigned char d[32]; /* private scalar, big-endian, 1 <= d < n */
	unsigned char q[65]; /* public point, uncompressed (0x04 || X || Y) */
};

/* Makes a new key pair from getrandom() through HMAC-DRBG(SHA-256).
 * Returns 0, or -1 with errno. */
int clientkey_generate(struct clientkey *k);

/* Appends the OpenSSH private key file text (PEM armour, LF line ends).
 * checkint is the random check word openssh-key-v1 repeats twice (pass a
 * fixed value only in tests). Returns 0 or -1 (ENOMEM). */
int clientkey_format_private(const struct clientkey *k, uint32_t checkint,
                             struct strbuf *out);

/* Appends "ecdsa-sha2-nistp256 <base64>" (no newline). 0 or -1 (ENOMEM). */
int clientkey_format_public(const struct clientkey *k, struct strbuf *out);

/* Appends the SSH wire blob of the public key (string type, string curve,
 * string Q). 0 or -1 (ENOMEM). */
int clientkey_public_blob(const struct clientkey *k, struct strbuf *out);

/* Reads an OpenSSH private key file text (LF or CRLF). Only unencrypted
 * ecdsa-sha2-nistp256 keys are accepted; the public point is checked
 * against the private scalar. Returns 0, or -1 with a reason in err. */
int clientkey_parse_private(const char *text, size_t len, struct clientkey *k, char *err,
                            size_t errlen);

/* Loads private_path (see clientkey_parse_private). Returns 0, or -1 with
 * errno (ENOENT when missing) and a reason in err. */
int clientkey_load(const char *private_path, struct clientkey *k, char *err, size_t errlen);

/* Writes private_path (mode 0600) and private_path + ".pub" (0644), each
 * atomically, the .pub first so a present private key implies its .pub.
 * The directory must exist. Returns 0 or -1 with errno. */
int clientkey_save(const char *private_path, const struct clientkey *k);

/* Finds an OpenSSH public key in text: the first line of the form
 * "TYPE BASE64 [comment]" (a .pub file) or "HOSTS TYPE BASE64" (a
 * known_hosts or ssh-keyscan line) whose base64 decodes to a blob that
 * starts with the string TYPE. Sets type and b64 (appended). Returns 0, or
 * -1 with a reason in err. */
int clientkey_find_public(const char *text, struct strbuf *type, struct strbuf *b64,
                          char *err, size_t errlen);

/* Overwrites the key material. */
void clientkey_wipe(struct clientkey *k);

#endif
