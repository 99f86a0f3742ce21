/* common/schema.c: the embedded cloud-init schema and the validator. */
#include "schema.h"
#include "testlib.h"
#include "yaml.h"

#include <stdio.h>
#include <string.h>

static struct schema *S;

/* Validates text; returns the "path: message" of problem i (errors, or
 * deprecations when dep) or "" when there is none. */
static const char *problem(const char *text, int dep, size_t i, size_t *count)
{
	static char buf[1024];
	struct yaml_error err;
	struct ydoc *d = yaml_load(text, strlen(text), NULL, &err);
	buf[0] = 0;
	if (!d) {
		snprintf(buf, sizeof(buf), "yaml: %s", err.message);
		yaml_error_free(&err);
		return buf;
	}
	struct schema_result r;
	if (schema_validate(S, ydoc_root(d), &r) == 0) {
		struct schema_problem *p = dep ? r.deprecations : r.errors;
		size_t n = dep ? r.ndeprecations : r.nerrors;
		if (count)
			*count = n;
		if (i < n)
			snprintf(buf, sizeof(buf), "%s: %s", p[i].path, p[i].message);
		schema_result_free(&r);
	}
	ydoc_free(d);
	return buf;
}

int main(void)
{
	t_group("schema load and self-check");
	S = schema_load_embedded();
	CHECK(S != NULL);
	if (!S)
		return t_done();
	const char *where = NULL;
	const char *bad = schema_unknown_keyword(S, &where);
	CHECK(bad == NULL);
	if (bad)
		printf("  unknown keyword %s at %s\n", bad, where);

	t_group("schema verdicts as cloud-init 22.4.2 gives them");
	size_t n = 0;
	CHECK_STR(problem("hostname: web1\nfoo: 1\n", 0, 0, &n), "");
	CHECK_INT(n, 0);
	CHECK_STR(problem("hostname: 12345\n", 0, 0, &n), "hostname: 12345 is not of type 'string'");
	CHECK_INT(n, 2); /* two modules define hostname */
	CHECK_STR(problem("write_files:\n  - path: /x\n    permissions: 0644\n", 0, 0, NULL),
	          "write_files.0.permissions: 420 is not of type 'string'");
	CHECK_STR(problem("write_files:\n  - content: x\n", 0, 0, NULL),
	          "write_files.0: 'path' is a required property");
	CHECK_STR(problem("write_files:\n  - path: /x\n    mode: 1\n", 0, 0, NULL),
	          "write_files.0: Additional properties are not allowed ('mode' was unexpected)");
	CHECK_STR(problem("write_files:\n  - path: /x\n    content: !!binary aGk=\n", 0, 0, NULL), "");
	CHECK_STR(problem("write_files:\n  - path: /x\n    encoding: GZIP+BASE64\n", 0, 0, NULL),
	          "write_files.0.encoding: 'GZIP+BASE64' is not one of ['gz', 'gzip', 'gz+base64', "
	          "'gzip+base64', 'gz+b64', 'gzip+b64', 'b64', 'base64', 'text/plain']");
	CHECK_STR(problem("runcmd: []\n", 0, 0, NULL), "runcmd: [] is too short");
	CHECK_STR(problem("runcmd:\n  - [echo, 42]\n", 0, 0, NULL),
	          "runcmd.0: ['echo', 42] is not valid under any of the given schemas");
	CHECK_STR(problem("users:\n  - name: a\n    sudo: [x]\n", 0, 0, NULL),
	          "users.0: {'name': 'a', 'sudo': ['x']} is not valid under any of the given schemas");
	CHECK_STR(problem("package_update: 'yes'\n", 0, 0, NULL),
	          "package_update: 'yes' is not of type 'boolean'");
	CHECK_STR(problem("package_update: yes\n", 0, 0, NULL), "");
	CHECK_STR(problem("hostname: 2024-01-02\n", 0, 0, NULL),
	          "hostname: datetime.date(2024, 1, 2) is not of type 'string'");
	CHECK_STR(problem("ntp:\n  servers: [a, a]\n", 0, 0, NULL),
	          "ntp.servers: ['a', 'a'] has non-unique elements");
	CHECK_STR(problem("swap:\n  size: big\n", 0, 0, NULL),
	          "swap.size: 'big' is not valid under any of the given schemas");
	CHECK_STR(problem("apt:\n  primary:\n    - arches: [default]\n      uri: not a uri\n", 0, 0, NULL),
	          "apt.primary.0.uri: 'not a uri' is not a 'uri'");

	t_group("schema deprecations");
	CHECK(strncmp(problem("users:\n  - name: a\n    uid: '1000'\n", 1, 0, &n),
	              "users.0.uid: DEPRECATED", 23) == 0);
	CHECK(strncmp(problem("chpasswd:\n  list: |\n    a:b\n", 1, 0, NULL),
	              "chpasswd.list: DEPRECATED: ", 27) == 0);
	CHECK_STR(problem("chpasswd:\n  list: |\n    a:b\n", 0, 0, NULL), "");

	schema_free(S);
	return t_done();
}
