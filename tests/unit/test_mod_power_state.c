/* common/mod_power_state.c (cc_power_state_change): power_state parsing
 * as cloud-init's load_power_state validates it, the recorded decision,
 * condition commands run chrooted in the test's --root tree (a static
 * busybox as /bin/sh), and prov_power_perform() only logging under
 * --root and dry run. Nothing here powers anything off. */
#include "provtest.h"
#include "prov_power.h"
#include "testlib.h"

extern const struct prov_module mod_power_state;

/* Runs the module on yaml; returns its result, the error in *err. */
static int parse(struct pt *t, const char *yaml, char **err)
{
	if (pt_init(t, yaml) < 0)
		return -2;
	return pt_run(t, &mod_power_state, err);
}

static void ok_case(const char *yaml, int action, int delay, double timeout, const char *message,
                    int has_cond)
{
	struct pt t;
	char *err = NULL;
	CHECK_INT(parse(&t, yaml, &err), 0);
	CHECK_STR(err, "");
	CHECK_INT(t.ctx.power_action, action);
	CHECK_INT(t.ctx.power_delay_s, delay);
	CHECK(t.ctx.power_timeout_s == timeout);
	CHECK_STR(t.ctx.power_message, message);
	CHECK_INT(t.ctx.power_condition != NULL, has_cond);
	free(err);
	pt_free(&t);
}

static void bad_case(const char *yaml, const char *want)
{
	struct pt t;
	char *err = NULL;
	CHECK_INT(parse(&t, yaml, &err), -1);
	CHECK_STR(err, want);
	CHECK_INT(t.ctx.power_action, PROV_POWER_NONE);
	free(err);
	pt_free(&t);
}

static void test_parse(void)
{
	t_group("power_state: valid");
	ok_case("power_state: {mode: poweroff}\n", PROV_POWER_POWEROFF, 0, 30.0, "", 0);
	ok_case("power_state: {mode: reboot, delay: '+5', message: bye}\n", PROV_POWER_REBOOT, 300,
	        30.0, "bye", 0);
	ok_case("power_state: {mode: halt, delay: 2, timeout: 5}\n", PROV_POWER_HALT, 120, 5.0, "", 0);
	ok_case("power_state: {mode: poweroff, delay: now, message: egs-bye}\n", PROV_POWER_POWEROFF, 0,
	        30.0, "egs-bye", 0);
	ok_case("power_state: {mode: poweroff, delay: ' 3 ', timeout: '2.5'}\n", PROV_POWER_POWEROFF,
	        180, 2.5, "", 0);
	ok_case("power_state: {mode: poweroff, delay: 1.9, timeout: 1_0}\n", PROV_POWER_POWEROFF, 60,
	        10.0, "", 0);
	ok_case("power_state: {mode: poweroff, delay: '1_0'}\n", PROV_POWER_POWEROFF, 600, 30.0, "", 0);
	ok_case("power_state: {mode: reboot, condition: true}\n", PROV_POWER_REBOOT, 0, 30.0, "", 0);
	ok_case("power_state: {mode: reboot, condition: 'test -e /x'}\n", PROV_POWER_REBOOT, 0, 30.0,
	        "", 1);
	ok_case("power_state: {mode: reboot, condition: [test, -e, /x]}\n", PROV_POWER_REBOOT, 0, 30.0,
	        "", 1);
	ok_case("power_state: {mode: poweroff, message: ''}\n", PROV_POWER_POWEROFF, 0, 30.0, "", 0);
	ok_case("power_state: {mode: poweroff, message: 42}\n", PROV_POWER_POWEROFF, 0, 30.0, "42", 0);

	t_group("power_state: nothing to do");
	ok_case("power_state:\n", PROV_POWER_NONE, 0, 30.0, "", 0);
	ok_case("power_state: {mode: poweroff, condition: false}\n", PROV_POWER_NONE, 0, 30.0, "", 0);
	ok_case("runcmd: [ls]\n", PROV_POWER_NONE, 0, 30.0, "", 0);

	t_group("power_state: invalid");
	bad_case("power_state: reboot\n", "power_state is not a dict. Not performing power state change!");
	bad_case("power_state: {mode: hibernate}\n",
	         "power_state[mode] required, must be one of: halt,poweroff,reboot. found: 'hibernate'. "
	         "Not performing power state change!");
	bad_case("power_state: {delay: now}\n",
	         "power_state[mode] required, must be one of: halt,poweroff,reboot. found: 'None'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: [reboot]}\n",
	         "power_state[mode] required, must be one of: halt,poweroff,reboot. found: '['reboot']'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: Reboot}\n",
	         "power_state[mode] required, must be one of: halt,poweroff,reboot. found: 'Reboot'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, delay: soon}\n",
	         "power_state[delay] must be 'now' or '+m' (minutes). found 'soon'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, delay: '+1.5'}\n",
	         "power_state[delay] must be 'now' or '+m' (minutes). found '+1.5'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, delay: -1}\n",
	         "power_state[delay] must be 'now' or '+m' (minutes). found '-1'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, delay: }\n",
	         "power_state[delay] must be 'now' or '+m' (minutes). found 'None'. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, timeout: soon}\n",
	         "failed to convert timeout 'soon' to float. Not performing power state change!");
	bad_case("power_state: {mode: reboot, timeout: '0x10'}\n",
	         "failed to convert timeout '0x10' to float. Not performing power state change!");
	bad_case("power_state: {mode: reboot, condition: 1}\n",
	         "power_state[condition] type int invalid. must be list, bool, str. "
	         "Not performing power state change!");
	bad_case("power_state: {mode: reboot, condition: {a: 1}}\n",
	         "power_state[condition] type map invalid. must be list, bool, str. "
	         "Not performing power state change!");
}

/* The condition of yaml's power_state evaluated in the test root. */
static int cond(const char *yaml, const char *go_file)
{
	struct pt t;
	char *err = NULL;
	int met = -1;
	if (parse(&t, yaml, &err) == 0 && pt_add_shell(&t) == 0 &&
	    (!go_file || pt_put(&t, go_file, "", 0644) == 0))
		met = prov_power_condition(&t.ctx);
	free(err);
	pt_free(&t);
	return met;
}

static void test_condition(void)
{
	t_group("power_state: condition commands (chrooted)");
	struct pt t;
	char *err = NULL;
	CHECK_INT(parse(&t, "power_state: {mode: poweroff, condition: 'exit 0'}\n", &err), 0);
	int have = pt_add_shell(&t) == 0;
	free(err);
	pt_free(&t);
	if (!have) {
		printf("skip: no static /usr/bin/busybox\n");
		return;
	}
	CHECK_INT(cond("power_state: {mode: poweroff, condition: 'exit 0'}\n", NULL), 1);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: 'exit 1'}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: 'exit 3'}\n", NULL), 0);
	/* the command sees ROOT as / */
	CHECK_INT(cond("power_state: {mode: poweroff, condition: 'test -e /go'}\n", "/go"), 1);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: 'test -e /go'}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: [/bin/sh, -c, 'test -e /go']}\n", "/go"),
	          1);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: [sh, -c, 'exit 1']}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: [no-such-program]}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: [sh, -c, 1]}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: []}\n", NULL), 0);
	CHECK_INT(cond("power_state: {mode: poweroff, condition: true}\n", NULL), 1);
}

static void test_perform(void)
{
	t_group("power_state: performed only as a log line under --root / dry run");
	struct pt t;
	char *err = NULL;
	struct strbuf msg = STRBUF_INIT;
	CHECK_INT(parse(&t, "power_state: {mode: poweroff, delay: '+2', message: egs-bye}\n", &err), 0);
	prov_power_perform(&t.ctx, "--root", &msg);
	CHECK_STR(sb_str(&msg), " Would power off in 120 s (not performed: --root).");
	free(err);
	pt_free(&t);

	sb_reset(&msg);
	CHECK_INT(parse(&t, "power_state: {mode: reboot, condition: 'exit 1'}\n", &err), 0);
	t.ctx.dry_run = 1; /* dry run: the condition is not run, counts as met */
	prov_power_perform(&t.ctx, "dry run", &msg);
	CHECK_STR(sb_str(&msg), " Would reboot in 0 s (not performed: dry run).");
	free(err);
	pt_free(&t);

	sb_reset(&msg);
	CHECK_INT(parse(&t, "power_state: {mode: halt, condition: 'exit 1'}\n", &err), 0);
	if (pt_add_shell(&t) == 0) {
		prov_power_perform(&t.ctx, "--root", &msg);
		CHECK_STR(sb_str(&msg), " power_state condition not met: no halt.");
	}
	free(err);
	pt_free(&t);

	sb_reset(&msg);
	CHECK_INT(parse(&t, "power_state: {mode: halt, condition: false}\n", &err), 0);
	prov_power_perform(&t.ctx, NULL, &msg); /* nothing recorded: nothing done */
	CHECK_STR(sb_str(&msg), "");
	free(err);
	pt_free(&t);
	sb_free(&msg);
	CHECK_STR(prov_power_name(PROV_POWER_HALT), "halt");
	CHECK_STR(mod_power_state.name, "power-state-change");
	CHECK_INT(mod_power_state.stage, STAGE_FINAL);
	CHECK_INT(mod_power_state.freq, FREQ_INSTANCE);
}

int main(void)
{
	test_parse();
	test_condition();
	test_perform();
	return t_done();
}
