/* The provisioning modules in run order (cloud-init.md §1.2, Debian 12's
 * cloud.cfg). Each line names a struct prov_module from common/mod_*.c. */
#include "prov.h"

const struct prov_module *const prov_modules[] = {
	NULL, /* placeholder: the table is filled as modules land */
};
const size_t prov_module_count = 0;
