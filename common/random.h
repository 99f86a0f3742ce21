/* Random bytes from the kernel (getrandom(2)), for keys, salts, ids and
 * passwords. */
#ifndef EGS_RANDOM_H
#define EGS_RANDOM_H

#include <stddef.h>

/* Fills buf with len random bytes, retrying short reads and EINTR (it
 * blocks until the kernel's pool is initialised). Returns 0 or -1 with
 * errno. */
int random_bytes(void *buf, size_t len);

#endif
