/* power_state (cloud-init's cc_power_state_change): the module
 * (common/mod_power_state.c, final stage, per instance) validates
 * power_state as cloud-init's load_power_state does and records the
 * action in struct prov_ctx; the runner (common/prov_run.c) calls
 * prov_power_perform() once the final stage has finished and its state
 * (status.json, result.json, boot-finished, KVP) is written. */
#ifndef EGS_PROV_POWER_H
#define EGS_PROV_POWER_H

#include "prov.h"
#include "strbuf.h"

/* "poweroff", "reboot", "halt" (or "none"). */
const char *prov_power_name(int action);

/* power_state's condition: 1 when the change should happen (no
 * condition command, or the command exited 0), 0 otherwise (exit 1,
 * any other exit, or a command that cannot run). A string runs as
 * `/bin/sh -c STRING`, a list as its argv (every item a string);
 * both through prov_run(), so chrooted into ROOT under --root and not at
 * all in dry run (which counts as met). */
int prov_power_condition(const struct prov_ctx *ctx);

/* Carries out ctx->power_action (nothing when PROV_POWER_NONE).
 * simulate names why it must not happen ("--root", "dry run",
 * "--no-reboot"): the condition is still evaluated and the action is only
 * logged ("would power off in N s"). simulate NULL: a detached child
 * waits up to power_timeout_s for this process to exit, checks the
 * condition, shows the message on /dev/console, syncs, sleeps the delay
 * and runs poweroff/reboot/halt from PATH; when that is missing, fails,
 * or the machine is still up 90 s later, it syncs and calls reboot(2)
 * (RB_POWER_OFF, RB_AUTOBOOT, RB_HALT_SYSTEM). A one-line summary is
 * appended to msg. */
void prov_power_perform(const struct prov_ctx *ctx, const char *simulate, struct strbuf *msg);

#endif
