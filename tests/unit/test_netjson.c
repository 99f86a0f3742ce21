/* common/netcfg_netjson.c: OpenStack network_data.json -> network-config
 * v1 (cloud-init's convert_net_json), then through netcfg_parse/resolve and
 * the networkd renderer as the runner does. Interfaces come from a fake
 * /sys/class/net; "accepted but not applied" lines are read back from
 * the log file. */
#include "fsutil.h"
#include "json.h"
#include "log.h"
#include "netcfg.h"
#include "strbuf.h"
#include "testlib.h"
#include "yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp[64];

static void put(const char *rel, const char *text)
{
	char *p = fs_join(tmp, rel);
	char *d = strdup(p);
	*strrchr(d, '/') = '\0';
	CHECK(fs_mkdir_p(d, 0755) == 0);
	CHECK(fs_write_atomic(p, text, strlen(text), 0644) == 0);
	free(p);
	free(d);
}

/* A realistic Nova network_data.json: two NICs (one with an upper-case MAC,
 * one named), a NIC the guest does not have, a VLAN on top, a bond, an
 * unknown link type; static IPv4 with a default route carrying DNS, static
 * IPv6, DHCP, SLAAC; global DNS and an NTP service. */
static const char nova[] =
	"{\n"
	"  \"links\": [\n"
	"    {\"id\": \"tap1a81968a-79\", \"type\": \"ovs\", \"vif_id\": \"1a81968a-797a\",\n"
	"     \"ethernet_mac_address\": \"FA:16:3E:9C:BF:3D\", \"mtu\": 1450},\n"
	"    {\"id\": \"tap2\", \"type\": \"phy\", \"ethernet_mac_address\": \"fa:16:3e:00:00:02\",\n"
	"     \"name\": \"data0\"},\n"
	"    {\"id\": \"tap3\", \"type\": \"vif\", \"ethernet_mac_address\": \"fa:16:3e:00:00:99\"},\n"
	"    {\"id\": \"vlan0\", \"type\": \"vlan\", \"vlan_link\": \"tap1a81968a-79\", \"vlan_id\": 101,\n"
	"     \"vlan_mac_address\": \"fa:16:3e:9c:bf:3d\"},\n"
	"    {\"id\": \"bond0\", \"type\": \"bond\", \"bond_links\": [\"tap2\", \"tap3\"],\n"
	"     \"bond_mode\": \"802.3ad\"},\n"
	"    {\"id\": \"odd\", \"type\": \"infiniband-ish\", \"ethernet_mac_address\": \"fa:16:3e:00:00:02\"}\n"
	"  ],\n"
	"  \"networks\": [\n"
	"    {\"id\": \"network0\", \"type\": \"ipv4\", \"link\": \"tap1a81968a-79\",\n"
	"     \"ip_address\": \"10.0.0.5\", \"netmask\": \"255.255.255.0\",\n"
	"     \"routes\": [{\"network\": \"0.0.0.0\", \"netmask\": \"0.0.0.0\", \"gateway\": \"10.0.0.1\",\n"
	"                 \"services\": [{\"type\": \"dns\", \"address\": \"10.0.0.2\"}]}],\n"
	"     \"network_id\": \"da5bb487-5193-4a65-a3df-4a0055a8c0d7\"},\n"
	"    {\"id\": \"network1\", \"type\": \"ipv6\", \"link\": \"tap1a81968a-79\",\n"
	"     \"ip_address\": \"2001:db8::5\", \"netmask\": \"ffff:ffff:ffff:ffff::\",\n"
	"     \"routes\": [{\"network\": \"::\", \"netmask\": \"::\", \"gateway\": \"2001:db8::1\"}],\n"
	"     \"services\": [{\"type\": \"dns\", \"address\": \"2001:db8::53\"}]},\n"
	"    {\"id\": \"network2\", \"type\": \"ipv4_dhcp\", \"link\": \"tap2\"},\n"
	"    {\"id\": \"network3\", \"type\": \"ipv6_slaac\", \"link\": \"tap2\"},\n"
	"    {\"id\": \"network4\", \"type\": \"ipv4_dhcp\", \"link\": \"tap3\"},\n"
	"    {\"id\": \"network5\", \"type\": \"ipv4\", \"link\": \"vlan0\", \"ip_address\": \"172.16.0.5\",\n"
	"     \"netmask\": \"255.255.0.0\"},\n"
	"    {\"id\": \"network6\", \"type\": \"ipv5\", \"link\": \"tap2\"},\n"
	"    {\"id\": \"network7\", \"type\": \"ipv4\", \"link\": \"tap2\"}\n"
	"  ],\n"
	"  \"services\": [{\"type\": \"dns\", \"address\": \"8.8.8.8\"}, {\"type\": \"ntp\", \"address\": \"10.0.0.3\"}]\n"
	"}\n";

static const char nova_v1[] =
	"{\"version\":1,\"config\":["
	"{\"type\":\"physical\",\"name\":\"eth0\",\"mac_address\":\"fa:16:3e:9c:bf:3d\",\"mtu\":1450,"
	"\"subnets\":["
	"{\"type\":\"static\",\"address\":\"10.0.0.5\",\"netmask\":\"255.255.255.0\","
	"\"routes\":[{\"network\":\"0.0.0.0\",\"netmask\":\"0.0.0.0\",\"gateway\":\"10.0.0.1\"}],"
	"\"dns_nameservers\":[\"10.0.0.2\"]},"
	"{\"type\":\"static6\",\"address\":\"2001:db8::5\",\"netmask\":\"ffff:ffff:ffff:ffff::\","
	"\"routes\":[{\"network\":\"::\",\"netmask\":\"::\",\"gateway\":\"2001:db8::1\"}],"
	"\"dns_nameservers\":[\"2001:db8::53\"]}]},"
	"{\"type\":\"physical\",\"name\":\"data0\",\"mac_address\":\"fa:16:3e:00:00:02\","
	"\"subnets\":[{\"type\":\"dhcp4\"},{\"type\":\"ipv6_slaac\"}]},"
	"{\"type\":\"nameserver\",\"address\":\"8.8.8.8\"}]}";

static struct ydoc *parse(const char *text)
{
	struct yaml_error ye = {0};
	struct ydoc *d = json_parse(text, strlen(text), &ye);
	if (!d)
		printf("json: %s\n", ye.message);
	yaml_error_free(&ye);
	return d;
}

static void dump(const struct ynode *n, struct strbuf *out)
{
	struct jsonw w;
	sb_reset(out);
	jw_init(&w, out, 0, 0);
	json_write_node(&w, n);
}

static void test_nova(const char *sysnet, const char *logfile)
{
	t_group("a Nova network_data.json");
	struct ydoc *nj = parse(nova);
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct ydoc *v1 = nj ? netcfg_from_netjson(ydoc_root(nj), sysnet, "cd/network_data.json", &err) : NULL;
	CHECK(v1 != NULL);
	CHECK_STR(sb_str(&err), "");
	if (v1) {
		dump(ydoc_root(v1), &out);
		CHECK_STR(sb_str(&out), nova_v1);
	}

	t_group("the converted config through parse, resolve and networkd");
	struct netcfg cfg;
	CHECK_INT(netcfg_parse(v1 ? ydoc_root(v1) : NULL, &cfg, &err), 0);
	CHECK_STR(sb_str(&err), "");
	CHECK_INT(netcfg_resolve(&cfg, sysnet), 0);
	CHECK_INT((int)cfg.nifaces, 2);
	if (cfg.nifaces == 2) {
		CHECK_STR(cfg.ifaces[0].name, "eth0");
		CHECK(cfg.ifaces[0].devs && cfg.ifaces[0].devs[0] && !strcmp(cfg.ifaces[0].devs[0], "eth0"));
		CHECK_INT(cfg.ifaces[0].mtu, 1450);
		sb_reset(&out);
		CHECK_INT(netcfg_render_networkd(&cfg, &cfg.ifaces[0], &out), 0);
		const char *t = sb_str(&out);
		CHECK(strstr(t, "MACAddress=fa:16:3e:9c:bf:3d") != NULL);
		CHECK(strstr(t, "Address=10.0.0.5/24") != NULL);
		CHECK(strstr(t, "Address=2001:db8::5/64") != NULL);
		CHECK(strstr(t, "Gateway=10.0.0.1") != NULL);
		CHECK(strstr(t, "Gateway=2001:db8::1") != NULL);
		CHECK(strstr(t, "DNS=10.0.0.2") != NULL);
		CHECK(strstr(t, "MTUBytes=1450") != NULL);
		CHECK_INT(cfg.ifaces[1].dhcp4, 1);
		CHECK_STR(cfg.ifaces[1].name, "data0");
	}
	netcfg_free(&cfg);

	t_group("what is not applied is logged, once each");
	struct strbuf log = STRBUF_INIT;
	CHECK(fs_read_file(logfile, &log, 1 << 20) == 0);
	static const char *const want[] = {
		"'network_data.json link tap3 (no interface with MAC fa:16:3e:00:00:99 in ",
		"'network_data.json network network4 (on link tap3, which names no interface)'",
		"'network_data.json link vlan0 (egs does not configure link type 'vlan')'",
		"'network_data.json network network5 (on vlan link vlan0)'",
		"'network_data.json link bond0 (egs does not configure link type 'bond')'",
		"'network_data.json link odd (unknown link type 'infiniband-ish')'",
		"'network_data.json network network6 (unknown network type 'ipv5' on data0)'",
		"'network_data.json network network7 (ipv4 without ip_address on data0)'",
		"'network_data.json service ntp (only dns services are used)'",
		NULL};
	for (size_t i = 0; want[i]; i++)
		if (!CHECK(strstr(sb_str(&log), want[i]) != NULL))
			printf("  missing: %s\n", want[i]);
	CHECK(strstr(sb_str(&log), "cd/network_data.json: link tap1a81968a-79 is interface eth0") != NULL);
	sb_free(&log);
	ydoc_free(v1);
	ydoc_free(nj);
	sb_free(&err);
	sb_free(&out);
}

static void test_edges(const char *sysnet)
{
	t_group("edge cases");
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	static const struct {
		const char *json, *v1, *err;
	} cases[] = {
		/* nothing at all: an empty v1 config */
		{"{}", "{\"version\":1,\"config\":[]}", ""},
		{"{\"links\": null, \"networks\": null}", "{\"version\":1,\"config\":[]}", ""},
		/* a link without a type is physical; its MAC names eth1; mtu must be an int */
		{"{\"links\": [{\"id\": \"l\", \"ethernet_mac_address\": \"52:54:00:AB:CD:EF\", \"mtu\": \"9000\"}],"
		 " \"networks\": [{\"id\": \"n\", \"link\": \"l\", \"type\": \"dhcp\"}]}",
		 "{\"version\":1,\"config\":[{\"type\":\"physical\",\"name\":\"eth1\","
		 "\"mac_address\":\"52:54:00:ab:cd:ef\",\"subnets\":[{\"type\":\"dhcp4\"}]}]}", ""},
		/* ipv6_dhcp -> dhcp6; a link with neither MAC nor name is skipped */
		{"{\"links\": [{\"id\": \"a\", \"type\": \"phy\", \"name\": \"eth0\"}, {\"id\": \"b\"}, 7],"
		 " \"networks\": [{\"id\": \"n\", \"link\": \"a\", \"type\": \"ipv6_dhcp\"}, \"x\"]}",
		 "{\"version\":1,\"config\":[{\"type\":\"physical\",\"name\":\"eth0\","
		 "\"subnets\":[{\"type\":\"dhcp6\"}]}]}", ""},
		/* the document's shape is checked */
		{"[1]", NULL, "nd.json: expected a JSON object"},
		{"{\"links\": {\"id\": \"x\"}}", NULL, "nd.json: 'links' must be a list, not map"},
		{"{\"networks\": \"x\"}", NULL, "nd.json: 'networks' must be a list, not str"},
		{"{\"services\": 1}", NULL, "nd.json: 'services' must be a list, not int"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ydoc *nj = parse(cases[i].json);
		sb_reset(&err);
		struct ydoc *v1 = nj ? netcfg_from_netjson(ydoc_root(nj), sysnet, "nd.json", &err) : NULL;
		CHECK_STR(sb_str(&err), cases[i].err);
		if (cases[i].v1) {
			CHECK(v1 != NULL);
			if (v1) {
				dump(ydoc_root(v1), &out);
				CHECK_STR(sb_str(&out), cases[i].v1);
			}
		} else {
			CHECK(v1 == NULL);
		}
		ydoc_free(v1);
		ydoc_free(nj);
	}
	sb_free(&err);
	sb_free(&out);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/egs-netjson.XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	char *logfile = fs_join(tmp, "egs.log");
	log_open(logfile, 0, LOG_INF);
	put("sys/class/net/lo/address", "00:00:00:00:00:00\n");
	put("sys/class/net/eth0/address", "fa:16:3e:9c:bf:3d\n");
	put("sys/class/net/eth1/address", "52:54:00:ab:cd:ef\n");
	put("sys/class/net/data0/address", "fa:16:3e:00:00:02\n");
	char *sysnet = fs_join(tmp, "sys/class/net");
	test_nova(sysnet, logfile);
	test_edges(sysnet);
	free(sysnet);
	free(logfile);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
