/* Data embedded into the binary at build time (deflated, zlib format).
 * The arrays are generated into build/gen/ by vendor/cloud-init/embed.py. */
#ifndef EGS_EMBEDDED_H
#define EGS_EMBEDDED_H

#include <stddef.h>

/* cloud-init 22.4.2 schema-cloud-config-v1.json */
extern const unsigned char egs_schema_blob[];
extern const size_t egs_schema_blob_len;     /* deflated size */
extern const size_t egs_schema_blob_raw_len; /* size once inflated */

#endif
