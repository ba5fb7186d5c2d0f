// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "ioasid" generic netlink family: random and malformed requests.
 * Each must get an answer (records, or an errno of the refused kind) within
 * a second and leave the family answering; the kernel log is checked after
 * every op like every other.
 */
#include "fuzz.h"
#include "nl_utils.h"

/* What a request may get: records, or refused for what it is */
#define NL_EXP (E_OK | E(EINVAL) | E(ERANGE) | E(EOPNOTSUPP) | E(ENOENT) | \
		E(EPERM) | E(EAGAIN) | E(EPROTONOSUPPORT) | E(EMSGSIZE))

/* ioasid-ctx of /proc/self/fdinfo/@fd */
static __u32 fdinfo_ctx(int fd)
{
	char path[64], line[128];
	__u32 id = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, "ioasid-ctx:", 11))
			id = strtoul(line + 11, NULL, 10);
	fclose(fp);
	return id;
}

/* Random attributes into @buf (at most @max bytes); their length */
static size_t nl_rand_attrs(struct fz *f, char *buf, size_t max, int c)
{
	size_t off = 0;
	int n = pick(f, 5), k;

	for (k = 0; k != n && off + 64 <= max; k++) {
		__u16 type = pick(f, 4) ? 1 + pick(f, IOASID_NL_A_MAX + 4) :
					  pick(f, 65536);
		__u8 data[40];
		__u16 len = pick(f, 4) ? 4 : pick(f, sizeof(data));
		__u32 v;

		for (v = 0; v != sizeof(data); v++)
			data[v] = pick(f, 256);
		/* Often a plausible context or object ID */
		if (len == 4 && chance(f, 60)) {
			v = pick(f, 8);
			if (type == IOASID_NL_A_CTX_ID && c >= 0 &&
			    f->m.ctx[c].fd >= 0 && chance(f, 50))
				v = fdinfo_ctx(f->m.ctx[c].fd);
			memcpy(data, &v, 4);
		}
		nl_put(buf, &off, type, data, len);
		/* Sometimes an attribute whose length lies */
		if (bad(f) && chance(f, 30))
			((struct nlattr *)(buf + off - NLA_ALIGN(NLA_HDRLEN + len)))->nla_len =
				pick(f, 3) ? NLA_HDRLEN + len + 1 + pick(f, 200) :
					     pick(f, NLA_HDRLEN);
	}
	/* Trailing bytes that are no attribute */
	if (bad(f) && chance(f, 20))
		off += 1 + pick(f, 3);
	return off;
}

void op_netlink(struct fz *f)
{
	static char attrs[1024];
	int c = pick_ctx(f), rc;
	struct nl_rec *recs;
	struct gnl g;
	size_t len;
	__u8 cmd, ver = IOASID_GENL_VERSION;
	__u16 reserved = 0, flags;
	char what[120];

	rc = gnl_open(&g);
	/* A kernel without networking has no family to send to */
	if (rc == -ENOSYS || rc == -EAFNOSUPPORT)
		return;
	if (rc) {
		finding(f, "the ioasid netlink family: %s", strerror(-rc));
		return;
	}
	recs = calloc(16, sizeof(*recs));
	if (!recs) {
		gnl_close(&g);
		return;
	}
	cmd = pick(f, 5) ? 1 + pick(f, IOASID_NL_CMD_MAX) : pick(f, 256);
	flags = cmd >= IOASID_NL_CMD_GET_CONTEXT &&
		cmd <= IOASID_NL_CMD_GET_HWPT ? NLM_F_DUMP : 0;
	if (bad(f)) {
		flags ^= chance(f, 50) ? NLM_F_DUMP : NLM_F_ACK;
		if (chance(f, 30))
			reserved = 1 + pick(f, 65535);
		if (chance(f, 30))
			ver = pick(f, 256);
	}
	len = nl_rand_attrs(f, attrs, bad(f) && chance(f, 10) ? sizeof(attrs) :
			    256, c);
	snprintf(what, sizeof(what), "NETLINK cmd=%u flags=%#x ver=%u rsv=%u %zu bytes of attributes",
		 cmd, flags, ver, reserved, len);
	rc = gnl_send_raw(&g, g.family, cmd, ver, reserved, flags, attrs, len);
	if (!rc) {
		struct timeval tv = { .tv_sec = 1 };

		setsockopt(g.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		rc = gnl_recv(&g, recs, 16);
	}
	/*
	 * A doit the kernel refused sends an error; one it accepted, its
	 * reply; a request to no command at all (a dump flag on nothing)
	 * may get neither within the second: EAGAIN, from the timeout
	 */
	check_rc(f, what, NL_EXP, rc < 0 ? -rc : 0);
	/* Whatever came before, the family answers */
	rc = gnl_req(&g, IOASID_NL_CMD_GET_VERSION, false, recs, 1, 0);
	if (rc != 1)
		finding(f, "%s: GET_VERSION after it: %d", what, rc);
	free(recs);
	gnl_close(&g);
}
