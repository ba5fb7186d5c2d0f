/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A raw generic netlink client of the "ioasid" family for the selftests
 * (no libnl: the suites are static binaries and this checks the wire
 * format independently of ioasidctl).  Every helper returns 0 or a count
 * on success and a negative errno on failure, the kernel's for a refused
 * request.
 */
#ifndef __NL_UTILS_H
#define __NL_UTILS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/ioasid_netlink.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NL_BUF (64 * 1024)

struct gnl {
	int fd;
	__u16 family;
	__u32 mcgrp;		/* the admin group's ID */
	__u32 seq;
	char errmsg[256];	/* the extack message of the last error */
};

/* One reply or event: its integer attributes and three strings */
struct nl_rec {
	__u8 cmd;
	bool has[IOASID_NL_A_MAX + 1];
	__u64 v[IOASID_NL_A_MAX + 1];
	char comm[32];
	char dev_name[64];
	char iommu[32];
	/* IOASID_NL_A_STATS, flattened */
	__u64 stat[IOASID_NL_STAT_MAX + 1];
};

#define NLA_OK(a, rem) ((rem) >= (int)sizeof(struct nlattr) && \
			(a)->nla_len >= sizeof(struct nlattr) && \
			(a)->nla_len <= (rem))
#define NLA_NEXT(a, rem) ((rem) -= NLA_ALIGN((a)->nla_len), \
			  (struct nlattr *)((char *)(a) + NLA_ALIGN((a)->nla_len)))
#define NLA_DATA(a) ((void *)((char *)(a) + NLA_HDRLEN))
#define NLA_PAYLOAD(a) ((int)(a)->nla_len - NLA_HDRLEN)

static inline __u64 nla_uint(struct nlattr *a)
{
	__u64 v64 = 0;
	__u32 v32 = 0;

	if (NLA_PAYLOAD(a) == 8) {
		memcpy(&v64, NLA_DATA(a), 8);
		return v64;
	}
	if (NLA_PAYLOAD(a) == 4)
		memcpy(&v32, NLA_DATA(a), 4);
	return v32;
}

static inline void nla_str(struct nlattr *a, char *out, size_t len)
{
	snprintf(out, len, "%.*s", NLA_PAYLOAD(a), (char *)NLA_DATA(a));
}

/* Append an attribute to a message being built in @buf at *@off */
static inline void nl_put(void *buf, size_t *off, __u16 type, const void *data,
			  __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)buf + *off);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(NLA_DATA(a), data, len);
	memset((char *)NLA_DATA(a) + len, 0, NLA_ALIGN(len) - len);
	*off += NLA_ALIGN(a->nla_len);
}

static inline void nl_put_u32(void *buf, size_t *off, __u16 type, __u32 v)
{
	nl_put(buf, off, type, &v, sizeof(v));
}

/*
 * Send a message: @cmd of @family, @flags, and @alen bytes of attributes;
 * @version and @reserved go into the genl header as they are
 */
static inline int gnl_send_raw(struct gnl *g, __u16 family, __u8 cmd,
			       __u8 version, __u16 reserved, __u16 flags,
			       const void *attrs, size_t alen)
{
	size_t len = NLMSG_HDRLEN + GENL_HDRLEN + alen;
	struct nlmsghdr *nlh;
	struct genlmsghdr *gh;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char *buf = calloc(1, len);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = len;
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++g->seq;
	gh = (struct genlmsghdr *)(buf + NLMSG_HDRLEN);
	gh->cmd = cmd;
	gh->version = version;
	gh->reserved = reserved;
	if (alen)
		memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN, attrs, alen);
	n = sendto(g->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	free(buf);
	return n == (ssize_t)len ? 0 : -errno;
}

static inline void nl_parse_attrs(struct nl_rec *r, struct nlattr *a, int rem)
{
	for (; NLA_OK(a, rem); a = NLA_NEXT(a, rem)) {
		__u16 t = a->nla_type & NLA_TYPE_MASK;

		if (t > IOASID_NL_A_MAX)
			continue;
		r->has[t] = true;
		switch (t) {
		case IOASID_NL_A_COMM:
			nla_str(a, r->comm, sizeof(r->comm));
			break;
		case IOASID_NL_A_DEV_NAME:
			nla_str(a, r->dev_name, sizeof(r->dev_name));
			break;
		case IOASID_NL_A_IOMMU:
			nla_str(a, r->iommu, sizeof(r->iommu));
			break;
		case IOASID_NL_A_STATS: {
			struct nlattr *s = NLA_DATA(a);
			int srem = NLA_PAYLOAD(a);

			for (; NLA_OK(s, srem); s = NLA_NEXT(s, srem))
				if (s->nla_type <= IOASID_NL_STAT_MAX)
					r->stat[s->nla_type] = nla_uint(s);
			break;
		}
		default:
			r->v[t] = nla_uint(a);
		}
	}
}

/*
 * Read the answer to the last request: up to @max records into @recs
 * (NULL: none kept); returns how many came, or the kernel's -errno
 */
static inline int gnl_recv(struct gnl *g, struct nl_rec *recs, int max)
{
	char *buf = malloc(NL_BUF);
	int count = 0, rc = 0;
	bool done = false;

	if (!buf)
		return -ENOMEM;
	g->errmsg[0] = 0;
	while (!done) {
		struct nlmsghdr *nlh;
		ssize_t n = recv(g->fd, buf, NL_BUF, 0);
		int len;

		if (n < 0) {
			rc = -errno;
			break;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != g->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);
				int off = sizeof(*e);

				rc = e->error;
				if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
					struct nlattr *a;
					int rem;

					if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
						off += e->msg.nlmsg_len -
						       sizeof(e->msg);
					a = (struct nlattr *)((char *)e +
							      NLMSG_ALIGN(off));
					rem = (int)nlh->nlmsg_len -
					      NLMSG_HDRLEN - NLMSG_ALIGN(off);
					for (; NLA_OK(a, rem); a = NLA_NEXT(a, rem))
						if (a->nla_type == NLMSGERR_ATTR_MSG)
							nla_str(a, g->errmsg,
								sizeof(g->errmsg));
				}
				done = true;
				break;
			}
			if (nlh->nlmsg_type != g->family)
				continue;
			if (recs && count < max) {
				struct genlmsghdr *gh = NLMSG_DATA(nlh);

				memset(&recs[count], 0, sizeof(recs[count]));
				recs[count].cmd = gh->cmd;
				nl_parse_attrs(&recs[count],
					       (struct nlattr *)((char *)gh + GENL_HDRLEN),
					       nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			}
			count++;
			/* A doit's reply is one message, without DONE */
			if (!(nlh->nlmsg_flags & NLM_F_MULTI))
				done = true;
		}
	}
	free(buf);
	return rc ? rc : count;
}

/* Resolve @name through nlctrl: the family ID and its "admin" group */
static inline int gnl_resolve(struct gnl *g, const char *name)
{
	char attrs[64], *buf;
	size_t off = 0;
	struct nlmsghdr *nlh;
	int rc = -ENOENT, len;
	ssize_t n;

	nl_put(attrs, &off, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	rc = gnl_send_raw(g, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0, 0,
			  attrs, off);
	if (rc)
		return rc;
	buf = malloc(NL_BUF);
	if (!buf)
		return -ENOMEM;
	n = recv(g->fd, buf, NL_BUF, 0);
	rc = -ENOENT;
	len = n < 0 ? 0 : n;
	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		struct nlattr *a;
		int rem;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
			break;
		}
		a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
		rem = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		for (; NLA_OK(a, rem); a = NLA_NEXT(a, rem)) {
			if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
				g->family = *(__u16 *)NLA_DATA(a);
				rc = 0;
			}
			if (a->nla_type == CTRL_ATTR_MCAST_GROUPS) {
				struct nlattr *grp = NLA_DATA(a);
				int grem = NLA_PAYLOAD(a);

				for (; NLA_OK(grp, grem); grp = NLA_NEXT(grp, grem)) {
					struct nlattr *ga = NLA_DATA(grp);
					int garem = NLA_PAYLOAD(grp);
					__u32 id = 0;
					char gname[32] = "";

					for (; NLA_OK(ga, garem); ga = NLA_NEXT(ga, garem)) {
						if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
							id = nla_uint(ga);
						if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
							nla_str(ga, gname, sizeof(gname));
					}
					if (!strcmp(gname, IOASID_GENL_MCGRP_ADMIN))
						g->mcgrp = id;
				}
			}
		}
	}
	free(buf);
	return rc;
}

static inline int gnl_open(struct gnl *g)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rc;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	if (bind(g->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(g->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one))) {
		rc = -errno;
		close(g->fd);
		return rc;
	}
	rc = gnl_resolve(g, IOASID_GENL_NAME);
	if (rc)
		close(g->fd);
	return rc;
}

static inline void gnl_close(struct gnl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

/* Join the event group: 0 or -errno (EPERM without CAP_SYS_ADMIN) */
static inline int gnl_join(struct gnl *g)
{
	if (setsockopt(g->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g->mcgrp,
		       sizeof(g->mcgrp)))
		return -errno;
	return 0;
}

/* A request of the ioasid family with u32 attributes: pairs, 0 ends */
static inline int gnl_req(struct gnl *g, __u8 cmd, bool dump,
			  struct nl_rec *recs, int max, ...)
{
	char attrs[256];
	size_t off = 0;
	va_list ap;
	int type, rc;

	va_start(ap, max);
	while ((type = va_arg(ap, int)))
		nl_put_u32(attrs, &off, type, va_arg(ap, __u32));
	va_end(ap);
	rc = gnl_send_raw(g, g->family, cmd, IOASID_GENL_VERSION, 0,
			  dump ? NLM_F_DUMP : 0, attrs, off);
	if (rc)
		return rc;
	return gnl_recv(g, recs, max);
}

/*
 * Events received within @ms milliseconds into @recs (at most @max), only
 * those of context @ctx_id if not 0
 */
static inline int gnl_events(struct gnl *g, struct nl_rec *recs, int max,
			     __u32 ctx_id, int ms)
{
	char *buf = malloc(NL_BUF);
	int count = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		if (poll(&pfd, 1, ms) <= 0)
			break;
		n = recv(g->fd, buf, NL_BUF, 0);
		if (n < 0) {
			count = -errno;
			break;
		}
		len = n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			struct nl_rec r = { 0 };

			if (nlh->nlmsg_type != g->family)
				continue;
			r.cmd = ((struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
			nl_parse_attrs(&r, (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN),
				       nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
			if (ctx_id && r.v[IOASID_NL_A_CTX_ID] != ctx_id)
				continue;
			if (count < max)
				recs[count] = r;
			count++;
		}
	}
	free(buf);
	return count;
}

#endif
