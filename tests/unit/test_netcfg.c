/* common/netcfg*.c: network-config v1/v2 parsing, interface resolution,
 * and the rendered networkd / ifupdown files, byte-exact against
 * tests/fixtures/netcfg/ (CASE.yaml → CASE.networkd/FILES, CASE.eni).
 * EGS_NETCFG_REGEN=1 rewrites the expected files from the current output
 * (review the diff before committing). No netlink here: the live path is
 * only run in dry-run mode; tests/integration/test_netlink.py applies it
 * inside a network namespace. */
#include "fsutil.h"
#include "netcfg.h"
#include "strbuf.h"
#include "testlib.h"
#include "yaml.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char fixdir[512];

static void set_fixdir(void)
{
	const char *env = getenv("EGS_FIXTURES");
	const char *slash = strrchr(__FILE__, '/');
	if (env)
		snprintf(fixdir, sizeof(fixdir), "%s/netcfg", env);
	else
		snprintf(fixdir, sizeof(fixdir), "%.*s/../fixtures/netcfg",
		         slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
}

static struct ydoc *load(const char *text)
{
	struct yaml_error e = {0};
	struct ydoc *d = yaml_load(text, strlen(text), NULL, &e);
	if (!d) {
		printf("yaml: %s\n", e.message);
		yaml_error_free(&e);
	}
	return d;
}

/* Writes ROOT/rel (parents created). */
static void put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	CHECK(fs_mkdir_p(path, 0755) == 0);
	*slash = '/';
	CHECK(fs_write_atomic(path, text, strlen(text), mode) == 0);
}

/* A fake /sys/class/net under root. */
static void fake_sys(const char *root)
{
	put(root, "sys/class/net/lo/address", "00:00:00:00:00:00\n", 0644);
	put(root, "sys/class/net/eth0/address", "52:54:00:12:34:56\n", 0644);
	put(root, "sys/class/net/eth1/address", "52:54:00:ab:cd:ef\n", 0644);
	put(root, "sys/class/net/ens3/address", "52:54:00:00:00:03\n", 0644);
}

static int parse_text(const char *text, struct netcfg *cfg, struct strbuf *err)
{
	struct ydoc *d = load(text);
	sb_reset(err);
	int rc = netcfg_parse(d ? ydoc_root(d) : NULL, cfg, err);
	ydoc_free(d);
	return rc;
}

/* ---- parsing ---------------------------------------------------------------- */

static void test_parse_errors(void)
{
	t_group("parse: disabled, empty, errors");
	struct netcfg cfg;
	struct strbuf err = STRBUF_INIT;
	CHECK(parse_text("network: {config: disabled}\n", &cfg, &err) == 0);
	CHECK(cfg.disabled == 1 && cfg.nifaces == 0);
	netcfg_free(&cfg);
	CHECK(parse_text("config: disabled\n", &cfg, &err) == 0 && cfg.disabled);
	netcfg_free(&cfg);
	CHECK(parse_text("", &cfg, &err) == 0 && cfg.version == 0);
	netcfg_free(&cfg);
	CHECK(parse_text("{}\n", &cfg, &err) == 0 && cfg.version == 0);
	netcfg_free(&cfg);

	CHECK(parse_text("version: 3\nconfig: []\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config version 3 is not supported (egs supports 1 and 2)");
	netcfg_free(&cfg);
	CHECK(parse_text("version: '2'\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config version 2 is not supported (egs supports 1 and 2)");
	netcfg_free(&cfg);
	CHECK(parse_text("ethernets: {}\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config has no 'version' (egs supports 1 and 2)");
	netcfg_free(&cfg);
	CHECK(parse_text("- 1\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config must be a mapping, not seq");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 1\nconfig: {a: 1}\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: version 1 'config' must be a list");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 2\nethernets: [a]\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: version 2 'ethernets' must be a mapping");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n"
	                 "  - type: static\n    address: 300.1.1.1/24\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: eth0: bad address '300.1.1.1/24'");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n"
	                 "  - type: static\n    address: 10.0.0.1\n    netmask: 255.0.255.0\n",
	                 &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: eth0: bad netmask '255.0.255.0'");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 2\nethernets:\n  eth0:\n    addresses: [10.0.0.1]\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err),
	          "network-config: eth0: bad address (an address/prefix is needed) '10.0.0.1'");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 2\nethernets:\n  eth0:\n    mtu: 12\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: eth0: bad mtu '12'");
	netcfg_free(&cfg);
	CHECK(parse_text("version: 2\nethernets:\n  eth0:\n    routes:\n    - to: 10.0.0.0/8\n"
	                 "      via: 10.0.0.1\n      metric: -3\n", &cfg, &err) < 0);
	CHECK_STR(sb_str(&err), "network-config: eth0: bad route metric '-3'");
	netcfg_free(&cfg);
	/* v1 without a name: skipped, not an error. */
	CHECK(parse_text("version: 1\nconfig:\n- type: physical\n- type: wifi\n  name: w0\n",
	                 &cfg, &err) == 0);
	CHECK(cfg.nifaces == 0);
	CHECK_STR(cfg.skipped[0], "physical entry without a name");
	CHECK_STR(cfg.skipped[1], "config type wifi (w0)");
	netcfg_free(&cfg);
	sb_free(&err);
}

static void test_parse_v1(void)
{
	t_group("parse v1");
	char path[700];
	snprintf(path, sizeof(path), "%s/v1-static.yaml", fixdir);
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	CHECK(fs_read_file(path, &text, 0) == 0);
	struct netcfg cfg;
	CHECK(parse_text(sb_str(&text), &cfg, &err) == 0);
	CHECK_STR(sb_str(&err), "");
	CHECK_INT(cfg.version, 1);
	CHECK_INT(cfg.nifaces, 3);
	if (cfg.nifaces == 3) {
		const struct netcfg_iface *e = &cfg.ifaces[0];
		CHECK_STR(e->id, "eth0");
		CHECK_STR(e->set_name, "eth0");
		CHECK_STR(e->match_mac, "52:54:00:12:34:56");
		CHECK_INT(e->mtu, 1400);
		CHECK_INT(e->naddrs, 3);
		CHECK_STR(e->addrs[1].text, "192.168.1.11");
		CHECK_INT(e->addrs[1].prefix, 24);
		CHECK_INT(e->addrs[2].family, AF_INET6);
		CHECK_STR(e->addrs[2].text, "2001:db8::10");
		CHECK_STR(e->gw4.text, "192.168.1.1");
		CHECK_STR(e->gw6.text, "2001:db8::1");
		CHECK_INT(e->nroutes, 2);
		CHECK_INT(e->routes[0].to.prefix, 8);
		CHECK_INT(e->routes[0].metric, 100);
		CHECK_INT(e->routes[1].to.prefix, 12);
		CHECK_INT(e->routes[1].metric, -1);
		CHECK_STR(e->dns[0], "1.1.1.1");
		CHECK_STR(e->search[0], "example.com");
		CHECK(cfg.ifaces[1].dhcp4 && cfg.ifaces[1].dhcp6);
		CHECK_STR(cfg.ifaces[1].match_name, "eth1");
		CHECK(!cfg.ifaces[1].set_name);
	}
	CHECK_STR(cfg.dns[0], "8.8.8.8");
	CHECK_STR(cfg.dns[1], "8.8.4.4");
	CHECK_STR(cfg.search[0], "corp.example");
	const char *notes[] = {"subnet type manual (ens3)", "config type bond (bond0)",
	                       "config type bridge (br0)", "config type vlan (eth0.10)",
	                       "config type route (?)", NULL};
	for (size_t i = 0; notes[i]; i++)
		CHECK_STR(cfg.skipped[i], notes[i]);
	netcfg_free(&cfg);
	sb_free(&text);
	sb_free(&err);
}

static void test_parse_v2_resolve(const char *root)
{
	t_group("parse v2 + resolve");
	char path[700];
	snprintf(path, sizeof(path), "%s/v2-ethernets.yaml", fixdir);
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	CHECK(fs_read_file(path, &text, 0) == 0);
	struct netcfg cfg;
	CHECK(parse_text(sb_str(&text), &cfg, &err) == 0);
	CHECK_INT(cfg.version, 2);
	CHECK_INT(cfg.nifaces, 3);
	snprintf(path, sizeof(path), "%s/sys/class/net", root);
	CHECK(netcfg_resolve(&cfg, path) == 0);
	if (cfg.nifaces == 3) {
		const struct netcfg_iface *lan = &cfg.ifaces[0];
		CHECK_STR(lan->name, "lan0");
		CHECK_STR(lan->devs[0], "eth1"); /* MAC matched case-insensitively */
		CHECK(lan->devs[1] == NULL);
		CHECK_INT(lan->mtu, 9000);
		CHECK_STR(lan->addrs[1].text, "2001:db8:1::5");
		CHECK_INT(lan->nroutes, 3);
		CHECK_INT(lan->routes[2].to.prefix, 24);
		CHECK_INT(lan->routes[2].via.family, 0);
		CHECK_STR(lan->dns[1], "2001:db8:1::53");
		const struct netcfg_iface *wild = &cfg.ifaces[1];
		CHECK_STR(wild->name, "ens3");
		CHECK_STR(wild->devs[0], "ens3");
		CHECK(wild->dhcp4 && wild->dhcp6);
		CHECK_STR(cfg.ifaces[2].name, "eth0");
		CHECK_STR(cfg.ifaces[2].devs[0], "eth0");
	}
	const char *notes[] = {"ethernets.lan.wakeonlan", "bonds: bond0", "bridges: br0",
	                       "vlans: vlan10", NULL};
	for (size_t i = 0; notes[i]; i++)
		CHECK_STR(cfg.skipped[i], notes[i]);
	netcfg_free(&cfg);

	/* routes: to default; a glob that matches several; no sysfs at all. */
	CHECK(parse_text("version: 2\nethernets:\n  all:\n    match: {name: 'e*'}\n"
	                 "    routes:\n    - {to: default, via: 10.0.0.1}\n"
	                 "    - {to: default, via: 'fe80::1', metric: 7}\n", &cfg, &err) == 0);
	CHECK(netcfg_resolve(&cfg, path) == 0);
	CHECK_STR(cfg.ifaces[0].routes[0].to.text, "0.0.0.0");
	CHECK_INT(cfg.ifaces[0].routes[0].to.prefix, 0);
	CHECK_STR(cfg.ifaces[0].routes[1].to.text, "::");
	CHECK_INT(cfg.ifaces[0].routes[1].metric, 7);
	size_t n = 0;
	while (cfg.ifaces[0].devs[n])
		n++;
	CHECK_INT(n, 3); /* eth0, eth1, ens3; never lo */
	CHECK(netcfg_resolve(&cfg, "/nonexistent/sys/class/net") == 0);
	CHECK(cfg.ifaces[0].devs[0] == NULL);
	CHECK_STR(cfg.ifaces[0].name, "all");
	/* ifupdown has no globs: nothing matched is a comment, not a stanza */
	struct strbuf eni = STRBUF_INIT;
	CHECK(netcfg_render_eni(&cfg, &eni) == 0);
	CHECK_STR(sb_str(&eni), "# Generated by egs from the datasource's network-config.\n"
	                        "\n# all: no interface matches e*\n");
	sb_free(&eni);
	netcfg_free(&cfg);

	/* v1: an IPv6 netmask, a prefix key, a default netmask */
	CHECK(parse_text("version: 1\nconfig:\n- type: physical\n  name: e\n  subnets:\n"
	                 "  - {type: static6, address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ff00::'}\n"
	                 "  - {type: static, address: 10.0.0.5, prefix: 20}\n"
	                 "  - {type: static, address: 10.1.0.5}\n", &cfg, &err) == 0);
	CHECK_INT(cfg.ifaces[0].addrs[0].prefix, 56);
	CHECK_INT(cfg.ifaces[0].addrs[1].prefix, 20);
	CHECK_INT(cfg.ifaces[0].addrs[2].prefix, 24);
	netcfg_free(&cfg);
	sb_free(&text);
	sb_free(&err);
}

/* ---- rendering through netcfg_apply ---------------------------------------- */

static int regen(void)
{
	const char *r = getenv("EGS_NETCFG_REGEN");
	return r && *r == '1';
}

/* Compares (or, regenerating, writes) one produced file with its fixture. */
static void compare(const char *got_path, const char *want_name)
{
	char want_path[900];
	snprintf(want_path, sizeof(want_path), "%s/%s", fixdir, want_name);
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	CHECK(fs_read_file(got_path, &got, 0) == 0);
	if (regen()) {
		char *slash = strrchr(want_path, '/');
		*slash = '\0';
		CHECK(fs_mkdir_p(want_path, 0755) == 0);
		*slash = '/';
		CHECK(fs_write_atomic(want_path, got.data, got.len, 0644) == 0);
	}
	if (fs_read_file(want_path, &want, 0) < 0)
		printf("missing fixture %s\n", want_path);
	if (!t_check_str(sb_str(&got), sb_str(&want), __FILE__, __LINE__, want_name))
		printf("--- got %s:\n%s", got_path, sb_str(&got));
	sb_free(&got);
	sb_free(&want);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted file names in dir as "a b c" (empty when missing). */
static void list_dir(const char *dir, struct strbuf *out)
{
	char *names[64];
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && n < 64 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	sb_reset(out);
	for (size_t i = 0; i < n; i++) {
		CHECK(sb_printf(out, "%s%s", i ? " " : "", names[i]) == 0);
		free(names[i]);
	}
}

static void make_root(char *root, size_t cap, const char *marker)
{
	snprintf(root, cap, "/tmp/egs-netcfg-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	fake_sys(root);
	if (marker)
		put(root, marker, "#!/bin/sh\n", 0755);
}

static void rm_rf(const char *root)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(system(cmd) == 0);
}

static int apply_file(const char *root, const char *yaml_name, struct strbuf *err)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", fixdir, yaml_name);
	struct strbuf text = STRBUF_INIT;
	CHECK(fs_read_file(path, &text, 0) == 0);
	struct ydoc *d = load(sb_str(&text));
	struct prov_ctx ctx = {.root = root};
	sb_reset(err);
	int rc = netcfg_apply(&ctx, d ? ydoc_root(d) : NULL, err);
	ydoc_free(d);
	sb_free(&text);
	return rc;
}

static void test_render_case(const char *name)
{
	t_group(name);
	char root[64], yaml_name[128], dir[600], file[900], want[900];
	struct strbuf err = STRBUF_INIT, got = STRBUF_INIT, wanted = STRBUF_INIT;
	snprintf(yaml_name, sizeof(yaml_name), "%s.yaml", name);

	/* systemd-networkd */
	make_root(root, sizeof(root), "usr/lib/systemd/systemd-networkd");
	CHECK(netcfg_backend_for(&(struct prov_ctx){.root = root}) == NETCFG_NETWORKD);
	CHECK(apply_file(root, yaml_name, &err) == 0);
	CHECK_STR(sb_str(&err), "");
	snprintf(dir, sizeof(dir), "%s/etc/systemd/network", root);
	list_dir(dir, &got);
	snprintf(want, sizeof(want), "%s/%s.networkd", fixdir, name);
	if (!regen()) {
		list_dir(want, &wanted);
		CHECK_STR(sb_str(&got), sb_str(&wanted));
	}
	char *names = strdup(sb_str(&got));
	for (char *save = NULL, *f = strtok_r(names, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		snprintf(file, sizeof(file), "%s/%s", dir, f);
		snprintf(want, sizeof(want), "%s.networkd/%s", name, f);
		compare(file, want);
	}
	free(names);
	rm_rf(root);

	/* ifupdown */
	make_root(root, sizeof(root), "sbin/ifup");
	CHECK(netcfg_backend_for(&(struct prov_ctx){.root = root}) == NETCFG_IFUPDOWN);
	CHECK(apply_file(root, yaml_name, &err) == 0);
	CHECK_STR(sb_str(&err), "");
	snprintf(file, sizeof(file), "%s/etc/network/interfaces.d/50-egs", root);
	snprintf(want, sizeof(want), "%s.eni", name);
	compare(file, want);
	rm_rf(root);

	/* neither, under --root: nothing is touched */
	make_root(root, sizeof(root), NULL);
	CHECK(netcfg_backend_for(&(struct prov_ctx){.root = root}) == NETCFG_LIVE);
	CHECK(apply_file(root, yaml_name, &err) == 0);
	snprintf(file, sizeof(file), "%s/etc", root);
	CHECK(access(file, F_OK) != 0);
	rm_rf(root);
	sb_free(&err);
	sb_free(&got);
	sb_free(&wanted);
}

static void test_apply_nothing(void)
{
	t_group("apply: disabled and errors write nothing");
	char root[64];
	make_root(root, sizeof(root), "sbin/ifup");
	struct strbuf err = STRBUF_INIT;
	const char *docs[] = {"network: {config: disabled}\n", "", "version: 2\n"};
	for (size_t i = 0; i < 3; i++) {
		struct ydoc *d = load(docs[i]);
		struct prov_ctx ctx = {.root = root};
		CHECK(netcfg_apply(&ctx, ydoc_root(d), &err) == 0);
		ydoc_free(d);
	}
	CHECK(netcfg_apply(&(struct prov_ctx){.root = root}, NULL, &err) == 0);
	struct ydoc *d = load("version: 7\n");
	CHECK(netcfg_apply(&(struct prov_ctx){.root = root}, ydoc_root(d), &err) < 0);
	CHECK_STR(sb_str(&err), "network-config version 7 is not supported (egs supports 1 and 2)");
	ydoc_free(d);
	char file[600];
	snprintf(file, sizeof(file), "%s/etc", root);
	CHECK(access(file, F_OK) != 0);
	rm_rf(root);
	sb_free(&err);
}

/* netcfg_live in dry-run: the actions it would take, and udhcpc found in
 * the root (prov_run in dry-run only checks that it exists). */
static void test_live_dry_run(void)
{
	t_group("live dry-run");
	char root[64], out[600];
	make_root(root, sizeof(root), "sbin/udhcpc");
	snprintf(out, sizeof(out), "%s/stdout", root);
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	struct netcfg cfg;
	CHECK(parse_text("version: 1\nconfig:\n- type: physical\n  name: eth1\n"
	                 "  mac_address: 52:54:00:AB:CD:EF\n  mtu: 1500\n  subnets:\n"
	                 "  - type: dhcp\n  - type: dhcp6\n  - type: static\n"
	                 "    address: 10.9.8.7/24\n    gateway: 10.9.8.1\n"
	                 "    dns_nameservers: [10.9.8.53]\n"
	                 "- type: physical\n  name: eth0\n  mac_address: '52:54:00:12:34:56'\n"
	                 "  subnets: [{type: static, address: 10.1.1.1/32, routes: [{network: "
	                 "10.2.0.0/16, metric: 3}]}]\n"
	                 "- type: physical\n  name: gone\n  mac_address: '00:11:22:33:44:55'\n"
	                 "- type: nameserver\n  address: 10.9.8.54\n  search: x.example\n",
	                 &cfg, &err) == 0);
	char sys[600];
	snprintf(sys, sizeof(sys), "%s/sys/class/net", root);
	CHECK(netcfg_resolve(&cfg, sys) == 0);
	struct prov_ctx ctx = {.root = root, .dry_run = 1};
	fflush(stdout);
	int saved = dup(1);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved >= 0 && fd >= 0);
	CHECK(dup2(fd, 1) == 1);
	int rc = netcfg_live(&ctx, &cfg, &err);
	fflush(stdout);
	CHECK(dup2(saved, 1) == 1);
	close(fd);
	close(saved);
	CHECK(rc == 0);
	CHECK(fs_read_file(out, &text, 0) == 0);
	char want[1024];
	snprintf(want, sizeof(want),
	         "dry-run: link set eth1 up mtu 1500\n"
	         "dry-run: addr add 10.9.8.7/24 dev eth1\n"
	         "dry-run: route add 0.0.0.0/0 via 10.9.8.1 dev eth1\n"
	         "dry-run: run udhcpc -i eth1 -b -t 3 -T 2\n"
	         "dry-run: skip 'udhcpc6 -i eth1 -b -t 3 -T 2': udhcpc6 not found in %s\n"
	         "dry-run: link set eth0 up\n"
	         "dry-run: addr add 10.1.1.1/32 dev eth0\n"
	         "dry-run: route add 10.2.0.0/16 metric 3 dev eth0\n"
	         "dry-run: write /etc/resolv.conf (116 bytes, mode 0644)\n", root);
	CHECK_STR(sb_str(&text), want);
	/* dry-run changed nothing */
	snprintf(out, sizeof(out), "%s/etc", root);
	CHECK(access(out, F_OK) != 0);
	netcfg_free(&cfg);
	sb_free(&text);
	sb_free(&err);
	rm_rf(root);
}

int main(void)
{
	set_fixdir();
	char root[64];
	make_root(root, sizeof(root), NULL);
	test_parse_errors();
	test_parse_v1();
	test_parse_v2_resolve(root);
	rm_rf(root);
	test_render_case("v1-static");
	test_render_case("v2-ethernets");
	test_apply_nothing();
	test_live_dry_run();
	return t_done();
}
