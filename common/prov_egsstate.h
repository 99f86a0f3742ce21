/* The original's state.json (egs-compat §13.6), kept by `egs run` next to
 * cloud-init's state as STATE/data/egs-state.json and printed by
 * `egs status --json`:
 *   instanceId          the instance this record is about ("" when none)
 *   completedStages     "Local", "Network", "Config", "Final" that finished
 *                       on this boot (a stage stopped by a reboot request
 *                       is not complete)
 *   completedHandlers   modules that completed for this instance, or were
 *                       skipped because their semaphore exists (cloud-init
 *                       names, "write_files"; failed ones too: their
 *                       semaphore is written as cloud-init does)
 *   pendingHandlers     modules that asked for a reboot and have not yet
 *                       completed their resumed run
 *   moduleRebootCounts  reboot requests per module, for this instance
 *   rebootCount         their sum
 *   startedAt           when provisioning of this instance started
 *   lastUpdated         when the record was last written
 * A new instance-id starts a new record; a new boot empties
 * completedStages. Times are ISO 8601 strings ("2026-01-02T03:04:05+00:00"),
 * kept as text; the default for "never" is .NET's default DateTimeOffset,
 * "0001-01-01T00:00:00+00:00", as the original prints it. */
#ifndef EGS_PROV_EGSSTATE_H
#define EGS_PROV_EGSSTATE_H

#include <stddef.h>

#include "prov.h"
#include "prov_state.h"
#include "strbuf.h"

#define EGS_STATE_FILE "data/egs-state.json"
#define EGS_STATE_NEVER "0001-01-01T00:00:00+00:00"

struct egs_strset {
	char **items;
	size_t n;
};

struct egs_reboot_count {
	char *module;
	int count;
};

struct egs_state {
	char *instance_id;      /* never NULL after egs_state_init */
	unsigned stages;        /* bit (1 << enum prov_stage) per completed stage */
	struct egs_strset completed, pending;
	struct egs_reboot_count *reboots;
	size_t nreboots;
	char started_at[40], last_updated[40];
};

/* The default record (the original's `new ProvisioningState()`).
 * Returns 0 or -1 (ENOMEM). */
int egs_state_init(struct egs_state *s);
void egs_state_free(struct egs_state *s);

/* Reads STATE/data/egs-state.json into s. Returns 0; 1 when the file is
 * missing (s is the default record); -1 when it is unreadable or not a
 * JSON object (err names the file; s is the default record). Unknown or
 * mistyped fields are ignored. */
int egs_state_load(const struct prov_paths *p, struct egs_state *s, struct strbuf *err);

/* The record as the original writes it: indented camelCase JSON, the
 * fields in the order above, a trailing newline. Returns 0 or -1. */
int egs_state_json(const struct egs_state *s, struct strbuf *out);

/* Writes STATE/data/egs-state.json atomically (0644), lastUpdated = now.
 * Returns 0 or -1 with errno. */
int egs_state_save(const struct prov_paths *p, struct egs_state *s);

/* Starts the run of instance iid: a different instance-id (or none yet)
 * resets the record and sets startedAt; a new boot empties
 * completedStages. Returns 0 or -1 (ENOMEM). */
int egs_state_begin(struct egs_state *s, const char *iid, int new_boot);

/* A module finished (its run returned, no reboot requested): it moves from
 * pendingHandlers to completedHandlers. module is the table name
 * ("write-files"); it is recorded as cloud-init's "write_files". */
int egs_state_module_done(struct egs_state *s, const char *module);
/* A module asked for a reboot: counted, and pending until it completes. */
int egs_state_module_reboot(struct egs_state *s, const char *module);
/* A stage finished without a reboot request. */
void egs_state_stage_done(struct egs_state *s, enum prov_stage stage);

/* The sum of moduleRebootCounts. */
int egs_state_reboot_total(const struct egs_state *s);
/* "Local", "Network", "Config", "Final". */
const char *egs_state_stage_name(enum prov_stage stage);

#endif
