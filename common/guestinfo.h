/* `egs service --info`: what the host's `egs tool get-status --json`
 * shows about a guest, read in the guest and printed as one JSON object:
 *
 *   {"version": "0.1.0",
 *    "os_release": {"ID": "debian", "VERSION_ID": "12", "PRETTY_NAME": "..."},
 *    "kernel": "6.1.0-18-amd64", "hostname": "vm1", "uptime_seconds": 1234,
 *    "ip_addresses": [{"interface": "eth0", "family": "inet", "address": "10.0.0.5"}],
 *    "disk": {"path": "/", "total_bytes": ..., "free_bytes": ..., "available_bytes": ...},
 *    "kvp": {"eryph:guest-services:status": "available", ...}}
 *
 * A value that cannot be read is null ("os_release" members that are
 * missing are left out); loopback addresses are skipped; "kvp" holds the
 * guest pool's (.kvp_pool_1) keys starting with "eryph" and is absent
 * when there is no pool (not Hyper-V). */
#ifndef EGS_GUESTINFO_H
#define EGS_GUESTINFO_H

#include "strbuf.h"

/* Where the facts come from; NULL members take the defaults. For tests. */
struct guestinfo_src {
	const char *os_release; /* "/etc/os-release", then "/usr/lib/os-release" */
	const char *uptime;     /* "/proc/uptime" */
	const char *disk_path;  /* "/" */
	const char *kvp_dir;    /* KVP_DEFAULT_DIR */
};

/* Appends the JSON object (indented by 2, then a newline) to out.
 * Returns 0, or -1 (ENOMEM). */
int guestinfo_json(struct strbuf *out);
int guestinfo_json_from(struct strbuf *out, const struct guestinfo_src *src);

#endif
