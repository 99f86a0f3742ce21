/* netcfg_live (common/netcfg.h): network-config applied to the running
 * system for guests without a network manager (the initramfs case):
 * rtnetlink for links, addresses and routes (common/netlink.c),
 * /etc/resolv.conf for DNS, udhcpc / udhcpc6 for DHCP. */
#include "netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netlink.h"

struct live {
	struct prov_ctx *ctx;
	struct nl_sock nl;
	struct strbuf *err;
	int failed;
};

/* Logs a failed step ("network-config: DEV: MESSAGE"); the first one
 * also goes to err. */
static void fail(struct live *lv, const char *dev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct live *lv, const char *dev, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = sb_vprintf(&msg, fmt, ap);
	va_end(ap);
	const char *text = rc < 0 ? "out of memory" : sb_str(&msg);
	log_msg(LOG_WRN, "egs.run", "network-config: %s: %s", dev, text);
	if (!lv->failed && sb_printf(lv->err, "network-config: %s: %s", dev, text) < 0)
		sb_reset(lv->err);
	lv->failed = 1;
	sb_free(&msg);
}

/* The binary form of ip, with the bits past prefix cleared when mask. */
static void ip_bin(const struct netcfg_ip *ip, unsigned char bin[16], int mask)
{
	memset(bin, 0, 16);
	if (inet_pton(ip->family, ip->text, bin) != 1)
		return;
	int bits = ip->family == AF_INET ? 32 : 128;
	for (int b = mask && ip->prefix >= 0 ? ip->prefix : bits; b < bits; b++)
		bin[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
}

static void route(struct live *lv, const char *dev, int idx, const struct netcfg_ip *to,
                  const struct netcfg_ip *via, long metric)
{
	char what[128];
	snprintf(what, sizeof(what), "%s/%d%s%s", to->text, to->prefix, via->family ? " via " : "",
	         via->family ? via->text : "");
	if (metric >= 0)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " metric %ld", metric);
	prov_action(lv->ctx, "route add %s dev %s", what, dev);
	if (lv->ctx->dry_run)
		return;
	unsigned char dst[16], gw[16];
	ip_bin(to, dst, 1);
	ip_bin(via, gw, 0);
	if (nl_route_add(&lv->nl, idx, to->family, dst, to->prefix, via->family ? gw : NULL, metric) < 0)
		fail(lv, dev, "route add %s: %s", what, strerror(errno));
}

/* Renames the one device a set-name entry matched (it must be down). */
static int rename_dev(struct live *lv, const char *dev, const char *name)
{
	prov_action(lv->ctx, "link set %s name %s", dev, name);
	if (lv->ctx->dry_run)
		return 0;
	int idx = (int)if_nametoindex(dev);
	if (!idx || nl_link_set(&lv->nl, idx, 0, 0, name) < 0) {
		fail(lv, dev, "rename to %s: %s", name, strerror(idx ? errno : ENODEV));
		return -1;
	}
	return 0;
}

static void dhcp(struct live *lv, const char *prog, const char *dev)
{
	char *argv[] = {(char *)prog, "-i", (char *)dev, "-b", "-t", "3", "-T", "2", NULL};
	int rc = prov_run(lv->ctx, argv, NULL);
	if (rc == 127) {
		char key[128];
		snprintf(key, sizeof(key), "network-config DHCP on %s (no %s)", dev, prog);
		prov_not_applied(lv->ctx, key);
	} else if (rc != 0) {
		fail(lv, dev, "%s exited with status %d", prog, rc);
	}
}

static void apply_dev(struct live *lv, const struct netcfg_iface *ifc, const char *dev)
{
	if (ifc->mtu)
		prov_action(lv->ctx, "link set %s up mtu %d", dev, ifc->mtu);
	else
		prov_action(lv->ctx, "link set %s up", dev);
	int idx = 0;
	if (!lv->ctx->dry_run) {
		idx = (int)if_nametoindex(dev);
		if (!idx) {
			fail(lv, dev, "no such interface");
			return;
		}
		if (nl_link_set(&lv->nl, idx, 1, ifc->mtu, NULL) < 0) {
			fail(lv, dev, "link set up: %s", strerror(errno));
			return;
		}
	}
	for (size_t i = 0; i < ifc->naddrs; i++) {
		const struct netcfg_ip *a = &ifc->addrs[i];
		char what[64];
		snprintf(what, sizeof(what), "%s/%d", a->text, a->prefix);
		prov_action(lv->ctx, "addr add %s dev %s", what, dev);
		unsigned char bin[16];
		ip_bin(a, bin, 0);
		if (!lv->ctx->dry_run && nl_addr_add(&lv->nl, idx, a->family, bin, a->prefix) < 0)
			fail(lv, dev, "addr add %s: %s", what, strerror(errno));
	}
	static const struct netcfg_ip any4 = {AF_INET, "0.0.0.0", 0}, any6 = {AF_INET6, "::", 0};
	if (ifc->gw4.family)
		route(lv, dev, idx, &any4, &ifc->gw4, -1);
	if (ifc->gw6.family)
		route(lv, dev, idx, &any6, &ifc->gw6, -1);
	for (size_t i = 0; i < ifc->nroutes; i++)
		route(lv, dev, idx, &ifc->routes[i].to, &ifc->routes[i].via, ifc->routes[i].metric);
	if (ifc->dhcp4)
		dhcp(lv, "udhcpc", dev);
	if (ifc->dhcp6)
		dhcp(lv, "udhcpc6", dev);
}

/* Adds src's strings not yet in v (at most RESOLV_MAX). */
#define RESOLV_MAX 16
static void add_unique(char **v, size_t *n, char *const *src)
{
	for (size_t i = 0; src[i]; i++) {
		int seen = 0;
		for (size_t j = 0; j < *n; j++)
			seen |= strcmp(v[j], src[i]) == 0;
		if (!seen && *n < RESOLV_MAX)
			v[(*n)++] = src[i];
	}
}

/* ROOT/etc/resolv.conf from the global and per-interface DNS settings. */
static void write_resolv(struct live *lv, const struct netcfg *cfg)
{
	char *ns[RESOLV_MAX], *sr[RESOLV_MAX];
	size_t nns = 0, nsr = 0;
	add_unique(ns, &nns, cfg->dns);
	add_unique(sr, &nsr, cfg->search);
	for (size_t i = 0; i < cfg->nifaces; i++) {
		add_unique(ns, &nns, cfg->ifaces[i].dns);
		add_unique(sr, &nsr, cfg->ifaces[i].search);
	}
	if (!nns && !nsr)
		return;
	struct strbuf text = STRBUF_INIT;
	int rc = sb_puts(&text, "# Generated by egs from the datasource's network-config.\n");
	for (size_t i = 0; i < nns; i++)
		rc |= sb_printf(&text, "nameserver %s\n", ns[i]);
	if (nsr)
		rc |= sb_puts(&text, "search");
	for (size_t i = 0; i < nsr; i++)
		rc |= sb_printf(&text, " %s", sr[i]);
	if (nsr)
		rc |= sb_putc(&text, '\n');
	if (rc < 0 || prov_write_file(lv->ctx, "/etc/resolv.conf", text.data, text.len, 0644,
	                              (uid_t)-1, (gid_t)-1) < 0)
		fail(lv, "/etc/resolv.conf", "write: %s", strerror(rc < 0 ? ENOMEM : errno));
	sb_free(&text);
}

int netcfg_live(struct prov_ctx *ctx, const struct netcfg *cfg, struct strbuf *err)
{
	struct live lv = {.ctx = ctx, .nl = {.fd = -1}, .err = err};
	if (!ctx->dry_run && nl_open(&lv.nl) < 0) {
		sb_printf(err, "network-config: rtnetlink: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct netcfg_iface *ifc = &cfg->ifaces[i];
		if (!ifc->devs || !ifc->devs[0]) {
			log_msg(LOG_WRN, "egs.run", "network-config: no interface matches '%s': skipped",
			        ifc->id);
			continue;
		}
		if (ifc->set_name && !ifc->devs[1] && strcmp(ifc->devs[0], ifc->set_name) != 0) {
			if (rename_dev(&lv, ifc->devs[0], ifc->set_name) == 0)
				apply_dev(&lv, ifc, ifc->set_name);
			continue;
		}
		for (size_t d = 0; ifc->devs[d]; d++)
			apply_dev(&lv, ifc, ifc->devs[d]);
	}
	write_resolv(&lv, cfg);
	nl_close(&lv.nl);
	return lv.failed ? -1 : 0;
}
