/* network-config v1 / v2 → struct netcfg (common/netcfg.h): parsing,
 * interface resolution against /sys/class/net, and netcfg_apply, which
 * picks the renderer (common/netcfg_render.c) or the live path
 * (common/netcfg_live.c). */
#include "netcfg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "strv.h"

/* ---- small helpers --------------------------------------------------------- */

/* An empty list instead of NULL, so renderers never check. */
static int strv_init(char ***v)
{
	if (*v)
		return 0;
	*v = calloc(1, sizeof(**v));
	return *v ? 0 : -1;
}

static int note(struct netcfg *cfg, const char *fmt, const char *a, const char *b)
{
	char buf[256];
	snprintf(buf, sizeof(buf), fmt, a ? a : "?", b ? b : "?");
	return strv_push(&cfg->skipped, NULL, buf);
}

/* A malloc'd lower-case copy of a MAC address (NULL: ENOMEM). */
static char *mac_dup(const char *mac)
{
	char *m = strdup(mac);
	for (char *p = m; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return m;
}

/* A scalar as text: strings as they are, ints and the like by their
 * source text (addresses are strings, metrics and MTUs are ints). */
static const char *scalar(const struct ynode *n)
{
	if (!n)
		return NULL;
	if (n->kind == Y_STR)
		return n->str;
	if (n->kind == Y_INT || n->kind == Y_FLOAT)
		return n->text;
	return NULL;
}

/* An integer from an int or a string of digits; -1 when absent or bad. */
static long number(const struct ynode *n)
{
	if (!n)
		return -1;
	if (n->kind == Y_INT && !n->big)
		return n->i >= 0 && n->i <= 0x7fffffffLL ? (long)n->i : -1;
	if (n->kind == Y_STR && n->str[0] && strspn(n->str, "0123456789") == strlen(n->str) &&
	    strlen(n->str) < 10)
		return strtol(n->str, NULL, 10);
	return -1;
}

/* "10.0.0.5", "10.0.0.5/24", "2001:db8::1/64" into ip. want_prefix: 1
 * requires a /prefix, 0 forbids it, -1 takes either (prefix -1 if none). */
static int parse_ip(const char *s, int want_prefix, struct netcfg_ip *ip)
{
	char buf[64];
	unsigned char bin[16];
	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *slash = strchr(buf, '/');
	ip->prefix = -1;
	if (slash) {
		*slash++ = '\0';
		if (want_prefix == 0 || !*slash || strspn(slash, "0123456789") != strlen(slash) ||
		    strlen(slash) > 3)
			return -1;
		ip->prefix = atoi(slash);
	} else if (want_prefix == 1) {
		return -1;
	}
	if (inet_pton(AF_INET, buf, bin) == 1)
		ip->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, bin) == 1)
		ip->family = AF_INET6;
	else
		return -1;
	if (ip->prefix > (ip->family == AF_INET ? 32 : 128))
		return -1;
	if (!inet_ntop(ip->family, bin, ip->text, sizeof(ip->text)))
		return -1;
	return 0;
}

/* A netmask ("255.255.255.0", "ffff:ffff::", or a number) as a prefix
 * length for family; -1 when it is not a contiguous mask. */
static int mask_prefix(const struct ynode *n, int family)
{
	long num = number(n);
	if (num >= 0)
		return num <= (family == AF_INET ? 32 : 128) ? (int)num : -1;
	const char *s = ynode_str(n);
	unsigned char bin[16];
	if (!s || inet_pton(family, s, bin) != 1)
		return -1;
	int len = family == AF_INET ? 4 : 16, bits = 0, ended = 0;
	for (int i = 0; i < len; i++)
		for (int b = 7; b >= 0; b--) {
			int set = (bin[i] >> b) & 1;
			if (set && ended)
				return -1;
			if (set)
				bits++;
			else
				ended = 1;
		}
	return bits;
}

static int bad(struct strbuf *err, const char *where, const char *what, const char *value)
{
	sb_printf(err, "network-config: %s: %s '%s'", where, what, value ? value : "(missing)");
	return -1;
}

/* A string or a list of strings (nameservers, search domains). */
static int add_strings(char ***v, const struct ynode *n)
{
	const char *one = scalar(n);
	if (one)
		return strv_pushn_unique(v, NULL, one, strlen(one));
	for (size_t i = 0; i < ynode_count(n) && n->kind == Y_SEQ; i++) {
		const char *s = scalar(yseq_at(n, i));
		if (s && strv_pushn_unique(v, NULL, s, strlen(s)) < 0)
			return -1;
	}
	return 0;
}

static struct netcfg_iface *new_iface(struct netcfg *cfg, const char *id)
{
	struct netcfg_iface *nv = realloc(cfg->ifaces, (cfg->nifaces + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	cfg->ifaces = nv;
	struct netcfg_iface *ifc = &nv[cfg->nifaces];
	memset(ifc, 0, sizeof(*ifc));
	ifc->id = strdup(id);
	if (!ifc->id || strv_init(&ifc->dns) < 0 || strv_init(&ifc->search) < 0) {
		free(ifc->id);
		strv_free(ifc->dns);
		strv_free(ifc->search);
		return NULL;
	}
	cfg->nifaces++;
	return ifc;
}

static int add_addr(struct netcfg_iface *ifc, const struct netcfg_ip *ip)
{
	struct netcfg_ip *nv = realloc(ifc->addrs, (ifc->naddrs + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	ifc->addrs = nv;
	nv[ifc->naddrs++] = *ip;
	return 0;
}

static int add_route(struct netcfg_iface *ifc, const struct netcfg_route *r)
{
	struct netcfg_route *nv = realloc(ifc->routes, (ifc->nroutes + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	ifc->routes = nv;
	nv[ifc->nroutes++] = *r;
	return 0;
}

static int set_gateway(struct netcfg_iface *ifc, const char *s, struct strbuf *err)
{
	struct netcfg_ip gw;
	if (parse_ip(s, 0, &gw) < 0)
		return bad(err, ifc->id, "bad gateway", s);
	struct netcfg_ip *slot = gw.family == AF_INET ? &ifc->gw4 : &ifc->gw6;
	if (!slot->family)
		*slot = gw;
	return 0;
}

static int set_mtu(struct netcfg_iface *ifc, const struct ynode *n, struct strbuf *err)
{
	if (!n || n->kind == Y_NULL)
		return 0;
	long mtu = number(n);
	if (mtu < 68 || mtu > 65535)
		return bad(err, ifc->id, "bad mtu", scalar(n));
	ifc->mtu = (int)mtu;
	return 0;
}

/* ---- version 1 ------------------------------------------------------------- */

/* One v1 route: network (with /prefix, or netmask / prefix), gateway, metric. */
static int v1_route(struct netcfg_iface *ifc, const struct ynode *r, struct strbuf *err)
{
	struct netcfg_route route = {.metric = -1};
	const char *net = scalar(ymap_get(r, "network"));
	if (!net)
		net = scalar(ymap_get(r, "destination"));
	if (parse_ip(net, -1, &route.to) < 0)
		return bad(err, ifc->id, "bad route network", net);
	if (route.to.prefix < 0) {
		const struct ynode *m = ymap_get(r, "netmask");
		if (!m)
			m = ymap_get(r, "prefix");
		route.to.prefix = m ? mask_prefix(m, route.to.family)
		                    : (route.to.family == AF_INET ? 32 : 128);
		if (route.to.prefix < 0)
			return bad(err, ifc->id, "bad route netmask", scalar(m));
	}
	const char *gw = scalar(ymap_get(r, "gateway"));
	if (gw && parse_ip(gw, 0, &route.via) < 0)
		return bad(err, ifc->id, "bad route gateway", gw);
	if (ymap_get(r, "metric") && (route.metric = number(ymap_get(r, "metric"))) < 0)
		return bad(err, ifc->id, "bad route metric", scalar(ymap_get(r, "metric")));
	return add_route(ifc, &route);
}

static int v1_static(struct netcfg_iface *ifc, const struct ynode *sn, struct strbuf *err)
{
	const char *a = scalar(ymap_get(sn, "address"));
	struct netcfg_ip ip;
	if (parse_ip(a, -1, &ip) < 0)
		return bad(err, ifc->id, "bad address", a);
	if (ip.prefix < 0) {
		const struct ynode *m = ymap_get(sn, "netmask");
		if (!m)
			m = ymap_get(sn, "prefix");
		ip.prefix = m ? mask_prefix(m, ip.family) : (ip.family == AF_INET ? 24 : 64);
		if (ip.prefix < 0)
			return bad(err, ifc->id, "bad netmask", scalar(m));
	}
	if (add_addr(ifc, &ip) < 0)
		return -1;
	const char *gw = scalar(ymap_get(sn, "gateway"));
	if (gw && set_gateway(ifc, gw, err) < 0)
		return -1;
	const struct ynode *routes = ymap_get(sn, "routes");
	for (size_t i = 0; routes && routes->kind == Y_SEQ && i < routes->n; i++)
		if (v1_route(ifc, yseq_at(routes, i), err) < 0)
			return -1;
	return 0;
}

static int v1_subnet(struct netcfg *cfg, struct netcfg_iface *ifc, const struct ynode *sn,
                     struct strbuf *err)
{
	const char *type = ynode_str(ymap_get(sn, "type"));
	if (!type)
		return note(cfg, "subnet without a type (%s)%s", ifc->id, "");
	if (!strcmp(type, "dhcp") || !strcmp(type, "dhcp4"))
		ifc->dhcp4 = 1;
	else if (!strcmp(type, "dhcp6") || !strcmp(type, "ipv6_dhcpv6-stateful"))
		ifc->dhcp6 = 1;
	else if (!strcmp(type, "static") || !strcmp(type, "static6")) {
		if (v1_static(ifc, sn, err) < 0)
			return -1;
	} else
		return note(cfg, "subnet type %s (%s)", type, ifc->id);
	if (add_strings(&ifc->dns, ymap_get(sn, "dns_nameservers")) < 0 ||
	    add_strings(&ifc->search, ymap_get(sn, "dns_search")) < 0)
		return -1;
	return 0;
}

static int v1_physical(struct netcfg *cfg, const struct ynode *c, struct strbuf *err)
{
	const char *name = ynode_str(ymap_get(c, "name"));
	if (!name || !name[0])
		return note(cfg, "physical entry without a name%s%s", "", "");
	struct netcfg_iface *ifc = new_iface(cfg, name);
	if (!ifc)
		return -1;
	const char *mac = scalar(ymap_get(c, "mac_address"));
	if (mac) {
		if (!(ifc->match_mac = mac_dup(mac)) || !(ifc->set_name = strdup(name)))
			return -1;
	} else if (!(ifc->match_name = strdup(name)))
		return -1;
	if (set_mtu(ifc, ymap_get(c, "mtu"), err) < 0)
		return -1;
	const struct ynode *subnets = ymap_get(c, "subnets");
	for (size_t i = 0; subnets && subnets->kind == Y_SEQ && i < subnets->n; i++)
		if (v1_subnet(cfg, ifc, yseq_at(subnets, i), err) < 0)
			return -1;
	return 0;
}

static int parse_v1(struct netcfg *cfg, const struct ynode *doc, struct strbuf *err)
{
	const struct ynode *list = ymap_get(doc, "config");
	if (!list || list->kind == Y_NULL)
		return 0;
	if (list->kind != Y_SEQ) {
		sb_puts(err, "network-config: version 1 'config' must be a list");
		return -1;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct ynode *c = yseq_at(list, i);
		const char *type = ynode_str(ymap_get(c, "type"));
		const char *name = ynode_str(ymap_get(c, "name"));
		int rc = 0;
		if (type && !strcmp(type, "physical"))
			rc = v1_physical(cfg, c, err);
		else if (type && !strcmp(type, "nameserver"))
			rc = add_strings(&cfg->dns, ymap_get(c, "address")) < 0 ||
			     add_strings(&cfg->search, ymap_get(c, "search")) < 0 ? -1 : 0;
		else
			rc = note(cfg, "config type %s (%s)", type ? type : "(none)", name);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ---- version 2 ------------------------------------------------------------- */

static int v2_route(struct netcfg_iface *ifc, const struct ynode *r, struct strbuf *err)
{
	struct netcfg_route route = {.metric = -1};
	const char *to = scalar(ymap_get(r, "to"));
	const char *via = scalar(ymap_get(r, "via"));
	if (via && parse_ip(via, 0, &route.via) < 0)
		return bad(err, ifc->id, "bad route via", via);
	if (to && !strcmp(to, "default"))
		to = route.via.family == AF_INET6 ? "::/0" : "0.0.0.0/0";
	if (parse_ip(to, -1, &route.to) < 0)
		return bad(err, ifc->id, "bad route to", to);
	if (route.to.prefix < 0)
		route.to.prefix = route.to.family == AF_INET ? 32 : 128;
	if (ymap_get(r, "metric") && (route.metric = number(ymap_get(r, "metric"))) < 0)
		return bad(err, ifc->id, "bad route metric", scalar(ymap_get(r, "metric")));
	return add_route(ifc, &route);
}

static const char *const v2_known[] = {"match", "set-name", "dhcp4", "dhcp6", "addresses",
                                       "gateway4", "gateway6", "routes", "nameservers", "mtu",
                                       NULL};

static int v2_ethernet(struct netcfg *cfg, const char *id, const struct ynode *e,
                       struct strbuf *err)
{
	struct netcfg_iface *ifc = new_iface(cfg, id);
	if (!ifc)
		return -1;
	const struct ynode *match = ymap_get(e, "match");
	const char *mac = scalar(ymap_get(match, "macaddress"));
	const char *mname = scalar(ymap_get(match, "name"));
	const char *setname = scalar(ymap_get(e, "set-name"));
	if ((mac && !(ifc->match_mac = mac_dup(mac))) || (mname && !(ifc->match_name = strdup(mname))) ||
	    (setname && !(ifc->set_name = strdup(setname))))
		return -1;
	for (size_t i = 0; i < ynode_count(match); i++) {
		const char *k = ynode_str(ymap_key(match, i));
		if (k && strcmp(k, "macaddress") && strcmp(k, "name") && note(cfg, "ethernets.%s.match.%s", id, k) < 0)
			return -1;
	}
	ifc->dhcp4 = ynode_truthy(ymap_get(e, "dhcp4"));
	ifc->dhcp6 = ynode_truthy(ymap_get(e, "dhcp6"));
	if (set_mtu(ifc, ymap_get(e, "mtu"), err) < 0)
		return -1;
	const struct ynode *addrs = ymap_get(e, "addresses");
	for (size_t i = 0; addrs && addrs->kind == Y_SEQ && i < addrs->n; i++) {
		const char *a = scalar(yseq_at(addrs, i));
		struct netcfg_ip ip;
		if (parse_ip(a, 1, &ip) < 0)
			return bad(err, id, "bad address (an address/prefix is needed)", a);
		if (add_addr(ifc, &ip) < 0)
			return -1;
	}
	const char *gw;
	if ((gw = scalar(ymap_get(e, "gateway4"))) && set_gateway(ifc, gw, err) < 0)
		return -1;
	if ((gw = scalar(ymap_get(e, "gateway6"))) && set_gateway(ifc, gw, err) < 0)
		return -1;
	const struct ynode *routes = ymap_get(e, "routes");
	for (size_t i = 0; routes && routes->kind == Y_SEQ && i < routes->n; i++)
		if (v2_route(ifc, yseq_at(routes, i), err) < 0)
			return -1;
	const struct ynode *ns = ymap_get(e, "nameservers");
	if (add_strings(&ifc->dns, ymap_get(ns, "addresses")) < 0 ||
	    add_strings(&ifc->search, ymap_get(ns, "search")) < 0)
		return -1;
	for (size_t i = 0; i < ynode_count(e); i++) {
		const char *k = ynode_str(ymap_key(e, i));
		int known = 0;
		for (size_t j = 0; k && v2_known[j]; j++)
			known |= !strcmp(k, v2_known[j]);
		if (k && !known && note(cfg, "ethernets.%s.%s", id, k) < 0)
			return -1;
	}
	return 0;
}

static int parse_v2(struct netcfg *cfg, const struct ynode *doc, struct strbuf *err)
{
	for (size_t i = 0; i < ynode_count(doc); i++) {
		const char *k = ynode_str(ymap_key(doc, i));
		const struct ynode *v = ymap_value(doc, i);
		if (!k || !strcmp(k, "version") || !strcmp(k, "renderer"))
			continue;
		if (strcmp(k, "ethernets") != 0) {
			/* bonds, bridges, vlans, wifis, ...: one note per entry */
			for (size_t j = 0; j < ynode_count(v) && v->kind == Y_MAP; j++)
				if (note(cfg, "%s: %s", k, ynode_str(ymap_key(v, j))) < 0)
					return -1;
			if ((!v || v->kind != Y_MAP) && note(cfg, "%s%s", k, "") < 0)
				return -1;
			continue;
		}
		if (v && v->kind != Y_MAP && v->kind != Y_NULL) {
			sb_puts(err, "network-config: version 2 'ethernets' must be a mapping");
			return -1;
		}
		for (size_t j = 0; j < ynode_count(v); j++) {
			const char *id = scalar(ymap_key(v, j));
			const struct ynode *e = ymap_value(v, j);
			if (!id || (e && e->kind != Y_MAP && e->kind != Y_NULL))
				return bad(err, "ethernets", "bad entry", id);
			if (v2_ethernet(cfg, id, e, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- entry points ------------------------------------------------------------ */

int netcfg_parse(const struct ynode *doc, struct netcfg *cfg, struct strbuf *err)
{
	memset(cfg, 0, sizeof(*cfg));
	if (strv_init(&cfg->dns) < 0 || strv_init(&cfg->search) < 0 || strv_init(&cfg->skipped) < 0)
		goto nomem;
	if (!doc || doc->kind == Y_NULL)
		return 0;
	const struct ynode *inner = ymap_get(doc, "network");
	if (inner && inner->kind == Y_MAP)
		doc = inner;
	if (doc->kind != Y_MAP) {
		sb_printf(err, "network-config must be a mapping, not %s", ykind_name(doc->kind));
		return -1;
	}
	if (ynode_is_str(ymap_get(doc, "config"), "disabled")) {
		cfg->disabled = 1;
		return 0;
	}
	if (doc->n == 0)
		return 0;
	const struct ynode *ver = ymap_get(doc, "version");
	if (!ver) {
		sb_puts(err, "network-config has no 'version' (egs supports 1 and 2)");
		return -1;
	}
	if (ver->kind != Y_INT || (ver->i != 1 && ver->i != 2)) {
		sb_printf(err, "network-config version %s is not supported (egs supports 1 and 2)",
		          ver->text[0] ? ver->text : ykind_name(ver->kind));
		return -1;
	}
	cfg->version = (int)ver->i;
	int rc = cfg->version == 1 ? parse_v1(cfg, doc, err) : parse_v2(cfg, doc, err);
	if (rc < 0 && err->len == 0)
		goto nomem;
	return rc;
nomem:
	sb_puts(err, "network-config: out of memory");
	return -1;
}

static void iface_free(struct netcfg_iface *ifc)
{
	free(ifc->id);
	free(ifc->set_name);
	free(ifc->match_mac);
	free(ifc->match_name);
	free(ifc->addrs);
	free(ifc->routes);
	strv_free(ifc->dns);
	strv_free(ifc->search);
	free(ifc->name);
	strv_free(ifc->devs);
}

void netcfg_free(struct netcfg *cfg)
{
	for (size_t i = 0; i < cfg->nifaces; i++)
		iface_free(&cfg->ifaces[i]);
	free(cfg->ifaces);
	strv_free(cfg->dns);
	strv_free(cfg->search);
	strv_free(cfg->skipped);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- resolution against /sys/class/net ---------------------------------------- */

static int is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* MACs compare case-insensitively. */
static int mac_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* The system's interfaces as name/MAC pairs (names[i], macs[i]). */
static int read_sysnet(const char *sysnet, char ***names, char ***macs)
{
	DIR *d = opendir(sysnet);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *dir = fs_join(sysnet, de->d_name);
		char *path = dir ? fs_join(dir, "address") : NULL;
		struct strbuf mac = STRBUF_INIT;
		if (!path) {
			rc = -1;
		} else {
			if (fs_read_file(path, &mac, 4096) < 0)
				sb_reset(&mac);
			while (mac.len && isspace((unsigned char)mac.data[mac.len - 1]))
				sb_truncate(&mac, mac.len - 1);
			if (strv_push(names, NULL, de->d_name) < 0 || strv_push(macs, NULL, sb_str(&mac)) < 0)
				rc = -1;
		}
		sb_free(&mac);
		free(path);
		free(dir);
	}
	closedir(d);
	return rc;
}

static int resolve_one(struct netcfg_iface *ifc, char **names, char **macs)
{
	strv_free(ifc->devs);
	ifc->devs = NULL;
	if (strv_init(&ifc->devs) < 0)
		return -1;
	for (size_t i = 0; names && names[i]; i++) {
		int ok;
		if (ifc->match_mac || ifc->match_name) {
			ok = !ifc->match_mac || mac_equal(ifc->match_mac, macs[i]);
			if (ifc->match_name)
				ok = ok && fnmatch(ifc->match_name, names[i], 0) == 0 &&
				     (strcmp(names[i], "lo") != 0 || !is_glob(ifc->match_name));
		} else {
			ok = strcmp(ifc->id, names[i]) == 0;
		}
		if (ok && strv_push(&ifc->devs, NULL, names[i]) < 0)
			return -1;
	}
	const char *name = ifc->id;
	if (ifc->set_name)
		name = ifc->set_name;
	else if (ifc->match_name && !is_glob(ifc->match_name))
		name = ifc->match_name;
	else if ((ifc->match_mac || ifc->match_name) && ifc->devs[0])
		name = ifc->devs[0];
	free(ifc->name);
	ifc->name = strdup(name);
	return ifc->name ? 0 : -1;
}

char *netcfg_name_by_mac(const char *sysnet, const char *mac)
{
	char **names = NULL, **macs = NULL;
	char *name = NULL;
	if (read_sysnet(sysnet, &names, &macs) == 0)
		for (size_t i = 0; names && names[i] && !name; i++)
			if (mac_equal(macs[i], mac) && !(name = strdup(names[i])))
				break;
	strv_free(names);
	strv_free(macs);
	return name;
}

int netcfg_resolve(struct netcfg *cfg, const char *sysnet)
{
	char **names = NULL, **macs = NULL;
	int rc = read_sysnet(sysnet, &names, &macs);
	for (size_t i = 0; rc == 0 && i < cfg->nifaces; i++)
		rc = resolve_one(&cfg->ifaces[i], names, macs);
	strv_free(names);
	strv_free(macs);
	return rc;
}

/* ---- netcfg_apply -------------------------------------------------------------- */

static int exists_under(const struct prov_ctx *ctx, const char *const *paths)
{
	for (size_t i = 0; paths[i]; i++) {
		char *p = prov_path(ctx, paths[i]);
		int ok = p && access(p, F_OK) == 0;
		free(p);
		if (ok)
			return 1;
	}
	return 0;
}

enum netcfg_backend netcfg_backend_for(const struct prov_ctx *ctx)
{
	static const char *const networkd[] = {"/lib/systemd/systemd-networkd",
	                                       "/usr/lib/systemd/systemd-networkd", NULL};
	static const char *const ifupdown[] = {"/sbin/ifup", "/usr/sbin/ifup", NULL};
	if (exists_under(ctx, networkd))
		return NETCFG_NETWORKD;
	if (exists_under(ctx, ifupdown))
		return NETCFG_IFUPDOWN;
	return NETCFG_LIVE;
}

static int write_text(struct prov_ctx *ctx, const char *abs, const struct strbuf *text,
                      struct strbuf *err)
{
	if (prov_write_file(ctx, abs, sb_str(text), text->len, 0644, (uid_t)-1, (gid_t)-1) == 0)
		return 0;
	sb_printf(err, "network-config: write %s: %s", abs, strerror(errno));
	return -1;
}

static int write_networkd(struct prov_ctx *ctx, const struct netcfg *cfg, struct strbuf *err)
{
	int rc = 0;
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct netcfg_iface *ifc = &cfg->ifaces[i];
		struct strbuf text = STRBUF_INIT, path = STRBUF_INIT;
		if (netcfg_render_networkd(cfg, ifc, &text) < 0 ||
		    sb_printf(&path, "/etc/systemd/network/10-egs-%s.network", ifc->name) < 0)
			rc = -1;
		else if (write_text(ctx, sb_str(&path), &text, err) < 0)
			rc = -1;
		sb_reset(&text);
		sb_reset(&path);
		if (rc == 0 && netcfg_render_networkd_link(ifc, &text) < 0)
			rc = -1;
		else if (rc == 0 && text.len &&
		         (sb_printf(&path, "/etc/systemd/network/10-egs-%s.link", ifc->name) < 0 ||
		          write_text(ctx, sb_str(&path), &text, err) < 0))
			rc = -1;
		sb_free(&text);
		sb_free(&path);
		if (rc < 0)
			break;
	}
	return rc;
}

int netcfg_apply(struct prov_ctx *ctx, const struct ynode *doc, struct strbuf *err)
{
	struct netcfg cfg;
	int rc = netcfg_parse(doc, &cfg, err);
	if (rc == 0 && cfg.disabled)
		log_msg(LOG_INF, "egs.run", "network-config: disabled (config: disabled)");
	for (size_t i = 0; rc == 0 && cfg.skipped[i]; i++) {
		char key[300];
		snprintf(key, sizeof(key), "network-config %s", cfg.skipped[i]);
		prov_not_applied(ctx, key);
	}
	if (rc < 0 || cfg.version == 0 || cfg.nifaces == 0)
		goto out;
	char *sysnet = prov_path(ctx, "/sys/class/net");
	rc = sysnet ? netcfg_resolve(&cfg, sysnet) : -1;
	free(sysnet);
	if (rc < 0) {
		sb_puts(err, "network-config: out of memory");
		goto out;
	}
	enum netcfg_backend be = netcfg_backend_for(ctx);
	if (be == NETCFG_NETWORKD) {
		rc = write_networkd(ctx, &cfg, err);
	} else if (be == NETCFG_IFUPDOWN) {
		struct strbuf text = STRBUF_INIT;
		rc = netcfg_render_eni(&cfg, &text);
		if (rc < 0)
			sb_puts(err, "network-config: out of memory");
		else
			rc = write_text(ctx, "/etc/network/interfaces.d/50-egs", &text, err);
		sb_free(&text);
	} else if (ctx->root && ctx->root[0] && strcmp(ctx->root, "/") != 0) {
		/* Never touch the host's interfaces for an image under --root. */
		prov_not_applied(ctx, "network-config (the root has neither systemd-networkd nor "
		                      "ifupdown; direct apply is only for /)");
	} else {
		rc = netcfg_live(ctx, &cfg, err);
	}
out:
	netcfg_free(&cfg);
	return rc;
}
