/* cloud-init's Hyper-V KVP reporting events (cloud-init.md §8, egs-compat
 * §3.4), byte for byte as cloud-init's HyperVKvpReportingHandler writes
 * them into the guest pool:
 *   key   CLOUD_INIT|<incarnation>|<type>|<name>|<uuid4>[|<slice>]
 *   value {"name":..,"type":..,"ts":..[,"result":..][,"msg_i":N],"msg":..}
 * (compact JSON, non-ASCII escaped as Python's json.dumps does). */
#ifndef EGS_KVP_EVENTS_H
#define EGS_KVP_EVENTS_H

#include <stddef.h>

#include "kvp.h"
#include "strbuf.h"

#define KVP_EVENT_PREFIX "CLOUD_INIT|"
#define KVP_EVENT_MAX_VALUE 1024 /* HV_KVP_AZURE_MAX_VALUE_SIZE */
#define KVP_UUID_LEN 36

/* How "ts" ends. cloud-init up to 23.x (Debian 12's 22.4, the sample in
 * shared/fixtures) writes utcfromtimestamp().isoformat()+"Z"; newer
 * cloud-init and the original's Windows encoder write isoformat() of an
 * aware UTC time, ending "+00:00". */
enum kvp_ts_style {
	KVP_TS_Z,
	KVP_TS_OFFSET,
};

struct kvp_event {
	const char *type;   /* "start", "finish", "diagnostic", ... */
	const char *name;   /* "init-local", "modules-final/config-runcmd", ... */
	const char *result; /* "SUCCESS", "WARN", "FAIL"; NULL: no result field */
	const char *msg;    /* the description (UTF-8); NULL: "" */
	long long ts_sec;   /* event time, Unix epoch */
	long ts_usec;       /* 0..999999 */
	const char *uuid;   /* D form (36 chars); NULL: a fresh random v4 */
};

/* Appends the timestamp as Python's isoformat: YYYY-MM-DDTHH:MM:SS, then
 * .ffffff only when usec is not 0, then "Z" or "+00:00". Returns 0 or -1. */
int kvp_event_ts(struct strbuf *out, long long sec, long usec, enum kvp_ts_style style);
/* Sets ev's ts_sec/ts_usec to the current time. */
void kvp_event_now(struct kvp_event *ev);
/* Writes a random (getrandom) version-4 UUID, lower case, with hyphens,
 * NUL-terminated (37 bytes). Returns 0 or -1 with errno. */
int kvp_uuid4(char out[KVP_UUID_LEN + 1]);
/* The boot time in epoch seconds as cloud-init computes it,
 * int(time.time() - uptime); compute it once per run. -1 on error. */
long long kvp_event_incarnation(void);

/* Encodes ev into its records, appended to out in order (key, value): one
 * record, or when the JSON exceeds 1024 bytes, slices "<key>|0", "|1", ...
 * cut from the JSON-escaped msg exactly as cloud-init does (so a slice may
 * end inside an escape sequence). Fails (EINVAL, err filled) when a key
 * would not fit 511 bytes or the fields alone leave no room for msg. */
int kvp_event_encode(const struct kvp_event *ev, long long incarnation,
                     enum kvp_ts_style style, struct kvp_pool *out, struct strbuf *err);

/* Removes every CLOUD_INIT| record whose incarnation field is not
 * incarnation. Returns how many were removed. */
size_t kvp_events_sweep_pool(struct kvp_pool *p, long long incarnation);

/* Writes ev into pool N of dir (kvp_transact, so hv_kvp_daemon's and
 * cloud-init's locks are honoured); with sweep, stale incarnations are
 * removed in the same rewrite (do it for the first event of a run).
 * Returns 0, or -1 with errno (ENOENT: no pool, i.e. not Hyper-V). */
int kvp_event_publish(const char *dir, int pool, const struct kvp_event *ev,
                      long long incarnation, enum kvp_ts_style style, int sweep,
                      struct strbuf *err);

#endif
