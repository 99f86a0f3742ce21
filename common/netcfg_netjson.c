/* OpenStack network_data.json -> network-config v1 (common/netcfg.h,
 * netcfg_from_netjson), after cloud-init's convert_net_json: the result
 * goes through the same parser, renderers and netlink path as a NoCloud
 * network-config. What egs cannot express (bonds, VLANs, unknown link
 * types, links that name no interface) is logged as accepted but not
 * applied, never an error: a ConfigDrive's network data is best effort. */
#include "netcfg.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* cloud-init's KNOWN_PHYSICAL_TYPES (a link without a type is one too). */
static const char *const physical_types[] = {"bgpovs", "bridge",    "cascading", "dvs",
                                             "ethernet", "hw_veb",  "hyperv",    "ovs",
                                             "phy",    "tap",       "vhostuser", "vif", NULL};

struct conv {
	struct ydoc *d;
	const char *sysnet, *file;
	int nomem;
};

static const char *str_of(const struct ynode *map, const char *key)
{
	return map && map->kind == Y_MAP ? ymap_get_str(map, key) : NULL;
}

static void not_applied(const char *what, const char *id, const char *detail)
{
	char key[320];
	snprintf(key, sizeof(key), "network_data.json %s %s (%s)", what, id ? id : "(no id)", detail);
	prov_not_applied(NULL, key);
}

/* map[key] = v; remembers ENOMEM (v NULL) so callers check once. */
static void put(struct conv *c, struct ynode *map, const char *key, struct ynode *v)
{
	if (!v || ymap_set(c->d, map, key, v) < 0)
		c->nomem = 1;
}

static void append(struct conv *c, struct ynode *seq, struct ynode *v)
{
	if (!v || yseq_append(c->d, seq, v) < 0)
		c->nomem = 1;
}

/* Copies map[key] (from the JSON document) into out when present. */
static void copy_key(struct conv *c, struct ynode *out, const struct ynode *map, const char *key)
{
	const struct ynode *v = ymap_get(map, key);
	if (v && v->kind != Y_NULL)
		put(c, out, key, ynode_copy(c->d, v));
}

/* The addresses of the DNS services in a `services` list into seq. */
static void dns_services(struct conv *c, struct ynode *seq, const struct ynode *services)
{
	for (size_t i = 0; services && services->kind == Y_SEQ && i < services->n; i++) {
		const struct ynode *s = services->items[i];
		const char *type = str_of(s, "type"), *addr = str_of(s, "address");
		if (type && addr && strcmp(type, "dns") == 0)
			append(c, seq, ynode_new_str(c->d, addr));
	}
}

/* One `networks` entry as a v1 subnet, or NULL when it is not applied. */
static struct ynode *subnet(struct conv *c, const struct ynode *net, const char *iface)
{
	const char *type = str_of(net, "type");
	const char *id = str_of(net, "id");
	const char *v1type = NULL;
	int is_static = 0;
	if (!type) {
		not_applied("network", id, "no type");
		return NULL;
	}
	if (!strcmp(type, "ipv4") || !strcmp(type, "static")) {
		v1type = "static";
		is_static = 1;
	} else if (!strcmp(type, "ipv6") || !strcmp(type, "static6")) {
		v1type = "static6";
		is_static = 1;
	} else if (!strcmp(type, "ipv4_dhcp") || !strcmp(type, "dhcp") || !strcmp(type, "dhcp4")) {
		v1type = "dhcp4";
	} else if (!strcmp(type, "ipv6_dhcp") || !strcmp(type, "dhcp6")) {
		v1type = "dhcp6";
	} else if (!strcmp(type, "ipv6_slaac") || !strcmp(type, "ipv6_dhcpv6-stateless") ||
	           !strcmp(type, "ipv6_dhcpv6-stateful")) {
		v1type = type;
	} else {
		char why[160];
		snprintf(why, sizeof(why), "unknown network type '%s' on %s", type, iface);
		not_applied("network", id, why);
		return NULL;
	}
	const char *addr = str_of(net, "ip_address");
	if (is_static && !addr) {
		char why[160];
		snprintf(why, sizeof(why), "%s without ip_address on %s", type, iface);
		not_applied("network", id, why);
		return NULL;
	}
	struct ynode *sn = ynode_new_map(c->d);
	if (!sn) {
		c->nomem = 1;
		return NULL;
	}
	put(c, sn, "type", ynode_new_str(c->d, v1type));
	if (is_static)
		put(c, sn, "address", ynode_new_str(c->d, addr));
	static const char *const keys[] = {"netmask", "broadcast", "metric", "gateway", "dns_search", NULL};
	for (size_t i = 0; keys[i]; i++)
		copy_key(c, sn, net, keys[i]);
	/* routes: only network, netmask, gateway (they may carry services) */
	const struct ynode *routes = ymap_get(net, "routes");
	struct ynode *dns = ynode_new_seq(c->d);
	if (!dns)
		c->nomem = 1;
	if (routes && routes->kind == Y_SEQ && routes->n) {
		struct ynode *out = ynode_new_seq(c->d);
		for (size_t i = 0; out && i < routes->n; i++) {
			const struct ynode *r = routes->items[i];
			if (r->kind != Y_MAP)
				continue;
			struct ynode *rr = ynode_new_map(c->d);
			if (!rr) {
				c->nomem = 1;
				break;
			}
			copy_key(c, rr, r, "network");
			copy_key(c, rr, r, "netmask");
			copy_key(c, rr, r, "gateway");
			append(c, out, rr);
			if (dns)
				dns_services(c, dns, ymap_get(r, "services"));
		}
		put(c, sn, "routes", out);
	}
	if (dns) {
		dns_services(c, dns, ymap_get(net, "services"));
		if (dns->n)
			put(c, sn, "dns_nameservers", dns);
	}
	return sn;
}

static int is_physical(const char *type)
{
	if (!type)
		return 1;
	for (size_t i = 0; physical_types[i]; i++)
		if (strcmp(type, physical_types[i]) == 0)
			return 1;
	return 0;
}

/* The networks on link id, noted as not applied (the link is not). */
static void skip_networks(struct conv *c, const struct ynode *networks, const char *id,
                          const char *why)
{
	for (size_t i = 0; networks && networks->kind == Y_SEQ && i < networks->n; i++) {
		const char *link = str_of(networks->items[i], "link");
		if (link && id && strcmp(link, id) == 0)
			not_applied("network", str_of(networks->items[i], "id"), why);
	}
}

static void link_entry(struct conv *c, struct ynode *config, const struct ynode *link,
                       const struct ynode *networks)
{
	const char *id = str_of(link, "id");
	const char *type = str_of(link, "type");
	char why[200];
	if (link->kind != Y_MAP) {
		not_applied("link", NULL, "not an object");
		return;
	}
	if (!is_physical(type)) {
		int known = !strcmp(type, "bond") || !strcmp(type, "vlan");
		snprintf(why, sizeof(why), "%s link type '%s'", known ? "egs does not configure" : "unknown",
		         type);
		not_applied("link", id, why);
		snprintf(why, sizeof(why), "on %s link %s", type, id ? id : "(no id)");
		skip_networks(c, networks, id, why);
		return;
	}
	char mac[64] = "";
	const char *m = str_of(link, "ethernet_mac_address");
	if (m && strlen(m) < sizeof(mac))
		for (size_t i = 0; m[i]; i++)
			mac[i] = (char)tolower((unsigned char)m[i]);
	char *name = str_of(link, "name") ? strdup(str_of(link, "name"))
	           : mac[0]                ? netcfg_name_by_mac(c->sysnet, mac)
	                                   : NULL;
	if (!name) {
		snprintf(why, sizeof(why), mac[0] ? "no interface with MAC %s in %s" : "no name and no MAC%s%s",
		         mac, mac[0] ? c->sysnet : "");
		not_applied("link", id, why);
		snprintf(why, sizeof(why), "on link %s, which names no interface", id ? id : "(no id)");
		skip_networks(c, networks, id, why);
		return;
	}
	struct ynode *e = ynode_new_map(c->d);
	struct ynode *subnets = ynode_new_seq(c->d);
	if (!e || !subnets) {
		c->nomem = 1;
		free(name);
		return;
	}
	put(c, e, "type", ynode_new_str(c->d, "physical"));
	put(c, e, "name", ynode_new_str(c->d, name));
	if (mac[0])
		put(c, e, "mac_address", ynode_new_str(c->d, mac));
	const struct ynode *mtu = ymap_get(link, "mtu");
	if (mtu && mtu->kind == Y_INT)
		put(c, e, "mtu", ynode_copy(c->d, mtu));
	for (size_t i = 0; networks && networks->kind == Y_SEQ && i < networks->n; i++) {
		const char *on = str_of(networks->items[i], "link");
		if (!on || !id || strcmp(on, id) != 0)
			continue;
		struct ynode *sn = subnet(c, networks->items[i], name);
		if (sn)
			append(c, subnets, sn);
	}
	put(c, e, "subnets", subnets);
	append(c, config, e);
	log_msg(LOG_INF, "egs.run", "%s: link %s is interface %s", c->file, id ? id : "(no id)", name);
	free(name);
}

static const struct ynode *list_of(const struct ynode *nj, const char *key, const char *file,
                                   int *bad, struct strbuf *err)
{
	const struct ynode *v = ymap_get(nj, key);
	if (v && v->kind != Y_SEQ && v->kind != Y_NULL) {
		sb_printf(err, "%s: '%s' must be a list, not %s", file, key, ykind_name(v->kind));
		*bad = 1;
	}
	return v && v->kind == Y_SEQ ? v : NULL;
}

struct ydoc *netcfg_from_netjson(const struct ynode *nj, const char *sysnet, const char *file,
                                 struct strbuf *err)
{
	if (!nj || nj->kind != Y_MAP) {
		sb_printf(err, "%s: expected a JSON object", file);
		return NULL;
	}
	int bad = 0;
	const struct ynode *links = list_of(nj, "links", file, &bad, err);
	const struct ynode *networks = bad ? NULL : list_of(nj, "networks", file, &bad, err);
	const struct ynode *services = bad ? NULL : list_of(nj, "services", file, &bad, err);
	if (bad)
		return NULL;
	struct conv c = {ydoc_new(), sysnet, file, 0};
	if (!c.d) {
		sb_puts(err, "out of memory");
		return NULL;
	}
	struct ynode *root = ynode_new_map(c.d);
	struct ynode *config = ynode_new_seq(c.d);
	if (!root || !config) {
		ydoc_free(c.d);
		sb_puts(err, "out of memory");
		return NULL;
	}
	ydoc_set_root(c.d, root);
	put(&c, root, "version", ynode_new_int(c.d, 1));
	for (size_t i = 0; links && i < links->n; i++)
		link_entry(&c, config, links->items[i], networks);
	for (size_t i = 0; services && i < services->n; i++) {
		const struct ynode *s = services->items[i];
		const char *type = str_of(s, "type"), *addr = str_of(s, "address");
		if (type && addr && strcmp(type, "dns") == 0) {
			struct ynode *ns = ynode_new_map(c.d);
			if (!ns) {
				c.nomem = 1;
				break;
			}
			put(&c, ns, "type", ynode_new_str(c.d, "nameserver"));
			put(&c, ns, "address", ynode_new_str(c.d, addr));
			append(&c, config, ns);
		} else {
			not_applied("service", type, "only dns services are used");
		}
	}
	put(&c, root, "config", config);
	if (c.nomem) {
		ydoc_free(c.d);
		sb_puts(err, "out of memory");
		return NULL;
	}
	return c.d;
}
