/* The cloud-init status bridge (egs-compat §10): when real cloud-init
 * provisions the guest, report its progress to the host as the KVP pool-1
 * key eryph.provisioning.state, as the original's CloudInitStatusWatcher.
 *
 * One step runs `cloud-init status --format json` (found through PATH,
 * stdin /dev/null), ignores its exit status, drains stdout and stderr,
 * and reads the top-level JSON string "status":
 *   done, disabled -> completed;  error -> failed;  running -> running;
 *   "not run", anything else, empty or unparseable output -> nothing.
 * The value is written only when it differs from the last one written;
 * last_written advances only when the write succeeded. After a terminal
 * value (completed, failed) was written the bridge stops. When cloud-init
 * cannot be executed (ENOENT) it stops for good without writing. It never
 * writes any other key.
 *
 * cib_poll_step() forks and waits for its child itself (waitpid on that
 * pid only), so run it where no one else reaps with waitpid(-1): the
 * service starts it in a child process of its own (cib_loop). */
#ifndef EGS_CLOUDINIT_BRIDGE_H
#define EGS_CLOUDINIT_BRIDGE_H

#include <stddef.h>

#define CIB_KVP_KEY "eryph.provisioning.state"
#define CIB_POLL_MS 5000
#define CIB_TIMEOUT_MS 60000

struct cib_state {
	char last_written[16]; /* "" until the first successful write */
	int stopped;           /* 1: every further step returns -1 */
	int timeout_ms;        /* cloud-init status is killed after this (0: CIB_TIMEOUT_MS) */
};

/* 1 when a `cloud-init` executable is on PATH (whether it is enabled is
 * prov_cloudinit_enabled()'s business, prov_run.h). */
int cib_cloudinit_available(void);

/* A fresh state: nothing written, not stopped. */
void cib_init(struct cib_state *st);

/* The KVP value for a cloud-init status, or NULL (write nothing). */
const char *cib_map_status(const char *status);

/* The top-level string "status" of a JSON document into out (cap bytes).
 * Returns 0, or -1 when buf is not JSON, not an object, or has no string
 * status. */
int cib_parse_status(const char *buf, size_t len, char *out, size_t cap);

/* One poll: runs cloud-init, maps its status and writes it to KVP pool 1
 * under kvp_dir when it changed. Returns the delay before the next step in
 * ms (CIB_POLL_MS), or -1 to stop. Never blocks longer than timeout_ms. */
int cib_poll_step(struct cib_state *st, const char *kvp_dir);

/* Steps until cib_poll_step returns -1, sleeping in between. For a child
 * process of the service; returns when the bridge is done. */
void cib_loop(const char *kvp_dir);

#endif
