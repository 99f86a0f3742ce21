/* SHA-512 crypt ("$6$", Ulrich Drepper's SHA-crypt specification, as
 * glibc's and libxcrypt's crypt() and `openssl passwd -6`), on BearSSL's
 * br_sha512. musl's crypt() would do too, but a static musl binary must
 * not depend on it and Debian's musl has none: this is the one place egs
 * hashes passwords (set_passwords, users_groups plain_text_passwd). */
#ifndef EGS_SHA512CRYPT_H
#define EGS_SHA512CRYPT_H

#include <stddef.h>

/* Longest result: "$6$rounds=999999999$" + 16 salt + "$" + 86 + NUL. */
#define SHA512CRYPT_MAX 128
#define SHA512CRYPT_ROUNDS_DEFAULT 5000

/* Hashes key with setting "$6$[rounds=N$]SALT[$...]" (the salt stops at
 * '$' or after 16 characters; rounds are clamped to 1000..999999999 and
 * appear in the result only when given, as the spec says). Writes the
 * NUL-terminated hash to out (cap >= SHA512CRYPT_MAX). Returns 0, or -1
 * with errno EINVAL for a setting that is not "$6$..." or a malformed
 * rounds= field. */
int sha512crypt(const char *key, const char *setting, char *out, size_t cap);

/* Hashes key with a fresh random 16-character salt (getrandom) and the
 * default rounds, into out (cap >= SHA512CRYPT_MAX). Returns 0 or -1. */
int sha512crypt_new(const char *key, char *out, size_t cap);

/* Fills out with n random characters of the crypt alphabet
 * [./0-9A-Za-z] plus a NUL (out holds n + 1). Returns 0 or -1 (getrandom
 * failed). */
int sha512crypt_salt(char *out, size_t n);

#endif
