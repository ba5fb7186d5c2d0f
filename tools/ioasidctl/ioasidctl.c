// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasidctl: what /dev/ioasid contexts exist, what they hold and pin, and
 * their events as they happen, from the "ioasid" generic netlink family of
 * ioasid-core (include/uapi/linux/ioasid_netlink.h), through libnl-3.
 *
 *   ioasidctl [--json] list | show PID | show ctx ID | stats | monitor
 *
 * Exit status: 0 success, 1 a request failed (the kernel's errno and
 * message on stderr), 2 usage error, 3 the ioasid module is not loaded.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <linux/ioasid_netlink.h>

#define PROG "ioasidctl"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

enum { EXIT_REQUEST = 1, EXIT_USAGE = 2, EXIT_NOMODULE = 3 };

static bool json;
static long max_events = -1;	/* monitor: stop after this many */
static struct nl_sock *sk;
static int family;

/* ---------------------------------------------------------- output */

/* JSON: one object per message; the caller wraps dumps in [ ] */
static bool first_field;
static bool first_record;

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void jkey(const char *key)
{
	printf("%s", first_field ? "" : ", ");
	first_field = false;
	json_str(key);
	printf(": ");
}

static void jnum(const char *key, uint64_t v)
{
	jkey(key);
	printf("%" PRIu64, v);
}

static void jstring(const char *key, const char *v)
{
	jkey(key);
	json_str(v);
}

static void jbool(const char *key, bool v)
{
	jkey(key);
	printf("%s", v ? "true" : "false");
}

static void jbegin(void)
{
	printf("%s{", first_record ? "" : ",\n");
	first_record = false;
	first_field = true;
}

static void jend(void)
{
	printf("}");
}

/* ------------------------------------------------------ attributes */

static struct nlattr *tb[IOASID_NL_A_MAX + 1];

static uint32_t u32_or(int a, uint32_t def)
{
	return tb[a] ? nla_get_u32(tb[a]) : def;
}

static uint64_t u64_or(int a, uint64_t def)
{
	return tb[a] ? nla_get_u64(tb[a]) : def;
}

static const char *str_or(int a, const char *def)
{
	return tb[a] ? nla_get_string(tb[a]) : def;
}

static int parse(struct nl_msg *msg)
{
	return genlmsg_parse(nlmsg_hdr(msg), 0, tb, IOASID_NL_A_MAX, NULL);
}

static const char *obj_type_name(uint32_t t)
{
	static const char *const names[] = {
		[IOASID_NL_OBJ_IOAS] = "ioas",
		[IOASID_NL_OBJ_HWPT] = "hwpt",
		[IOASID_NL_OBJ_DEVICE] = "device",
		[IOASID_NL_OBJ_ACCESS] = "access",
		[IOASID_NL_OBJ_SELFTEST] = "selftest",
		[IOASID_NL_OBJ_FAULT] = "fault",
	};

	if (t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "unknown";
}

static const char *hwpt_kind_name(uint32_t k)
{
	switch (k) {
	case IOASID_NL_HWPT_AUTO: return "auto";
	case IOASID_NL_HWPT_PAGING: return "paging";
	case IOASID_NL_HWPT_NESTED: return "nested";
	}
	return "unknown";
}

static const char *event_name(uint32_t e)
{
	static const char *const names[] = {
		[IOASID_NL_EVENT_CTX_OPEN] = "open",
		[IOASID_NL_EVENT_CTX_CLOSE] = "close",
		[IOASID_NL_EVENT_BIND] = "bind",
		[IOASID_NL_EVENT_UNBIND] = "unbind",
		[IOASID_NL_EVENT_ATTACH] = "attach",
		[IOASID_NL_EVENT_DETACH] = "detach",
		[IOASID_NL_EVENT_OBJ_CREATE] = "create",
		[IOASID_NL_EVENT_OBJ_DESTROY] = "destroy",
		[IOASID_NL_EVENT_FAULT] = "fault",
		[IOASID_NL_EVENT_MAP] = "map",
		[IOASID_NL_EVENT_UNMAP] = "unmap",
	};

	if (e < sizeof(names) / sizeof(names[0]) && names[e])
		return names[e];
	return "unknown";
}

/* "rw", "r-", ... */
static const char *prot_str(uint32_t p, char *buf)
{
	buf[0] = p & IOASID_NL_PROT_READ ? 'r' : '-';
	buf[1] = p & IOASID_NL_PROT_WRITE ? 'w' : '-';
	buf[2] = 0;
	return buf;
}

static const char *backing_str(uint32_t b, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } kinds[] = {
		{ IOASID_NL_BACKING_ANON, "anon" },
		{ IOASID_NL_BACKING_THP, "thp" },
		{ IOASID_NL_BACKING_HUGETLB, "hugetlb" },
		{ IOASID_NL_BACKING_SHMEM, "shmem" },
		{ IOASID_NL_BACKING_FILE, "file" },
	};
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i != sizeof(kinds) / sizeof(kinds[0]); i++)
		if (b & kinds[i].bit)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", kinds[i].name);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

static const char *hwpt_flags_str(uint32_t f, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } flags[] = {
		{ IOASID_NL_HWPT_ENFORCE_CC, "enforce-cc" },
		{ IOASID_NL_HWPT_NEST_PARENT, "nest-parent" },
		{ IOASID_NL_HWPT_DIRTY_TRACKING, "dirty" },
		{ IOASID_NL_HWPT_IN_IOAS, "in-ioas" },
	};
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i != sizeof(flags) / sizeof(flags[0]); i++)
		if (f & flags[i].bit)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", flags[i].name);
	if (!n)
		snprintf(buf, len, "-");
	return buf;
}

/* ----------------------------------------------------------- netlink */

struct req_err {
	int error;		/* positive errno from the kernel */
	char msg[256];		/* its extack message, if any */
};

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	struct req_err *re = arg;
	struct nlattr *a;
	int len, off, rem;

	(void)nla;
	re->error = -err->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	len = nlh->nlmsg_len - NLMSG_HDRLEN - off;
	if (len <= 0)
		return NL_STOP;
	a = (struct nlattr *)((char *)err + NLMSG_ALIGN(off));
	nla_for_each_attr(a, a, len, rem)
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(re->msg, sizeof(re->msg), "%s",
				 (char *)nla_data(a));
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_STOP;
}

static void die_nl(const char *what, int nlerr, const struct req_err *re)
{
	const char *hint = "";

	/*
	 * Linux 6.1 passes no extack to a dump's start callback, where the
	 * family checks a context filter: say what its errnos mean
	 */
	if (re && !re->msg[0]) {
		if (re->error == ENOENT)
			hint = "no such context or IOAS";
		else if (re->error == EPERM)
			hint = "the context belongs to another user: only CAP_SYS_ADMIN sees every context";
		else if (re->error == EAGAIN)
			hint = "the IOAS stayed busy; try again";
	}
	if (re && re->error) {
		fprintf(stderr, "%s: %s: %s%s%s\n", PROG, what,
			strerror(re->error), re->msg[0] || hint[0] ? ": " : "",
			re->msg[0] ? re->msg : hint);
	} else {
		fprintf(stderr, "%s: %s: %s\n", PROG, what, nl_geterror(nlerr));
	}
	exit(EXIT_REQUEST);
}

static bool module_loaded(void)
{
	return access("/sys/module/ioasid_core", F_OK) == 0;
}

static void connect_family(void)
{
	int one = 1;

	sk = nl_socket_alloc();
	if (!sk) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		exit(EXIT_REQUEST);
	}
	if (genl_connect(sk)) {
		fprintf(stderr, "%s: cannot open a generic netlink socket: %s\n",
			PROG, strerror(errno));
		exit(EXIT_REQUEST);
	}
	/* Replies come without an ACK after them, errors as NLMSG_ERROR */
	nl_socket_disable_auto_ack(sk);
	/* The kernel's message with an errno (extack); older kernels ignore it */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	family = genl_ctrl_resolve(sk, IOASID_GENL_NAME);
	if (family < 0) {
		if (!module_loaded())
			fprintf(stderr, "%s: the ioasid module is not loaded (modprobe ioasid-core)\n",
				PROG);
		else
			fprintf(stderr, "%s: ioasid-core is loaded but has no \"%s\" generic netlink family: is it older than ioasidctl, or is this another network namespace?\n",
				PROG, IOASID_GENL_NAME);
		exit(EXIT_NOMODULE);
	}
}

/*
 * Send @cmd (a dump if @dump) with the u32 attributes of @attrs (pairs of
 * type and value, ending with type 0) and call @cb for each reply
 */
static void request(uint8_t cmd, bool dump, const uint32_t *attrs,
		    int (*cb)(struct nl_msg *, void *), void *arg,
		    const char *what)
{
	struct req_err re = { 0 };
	struct nl_msg *msg;
	struct nl_cb *nlcb;
	int rc;

	msg = nlmsg_alloc();
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, IOASID_GENL_VERSION)) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		exit(EXIT_REQUEST);
	}
	for (; attrs && attrs[0]; attrs += 2)
		if (nla_put_u32(msg, attrs[0], attrs[1]) < 0) {
			fprintf(stderr, "%s: message too long\n", PROG);
			exit(EXIT_REQUEST);
		}
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		exit(EXIT_REQUEST);
	}
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, NULL);
	nl_cb_err(nlcb, NL_CB_CUSTOM, on_error, &re);
	rc = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (rc < 0)
		die_nl(what, rc, NULL);
	rc = nl_recvmsgs(sk, nlcb);
	/* A doit's reply is followed by no ACK: nothing more to read */
	nl_cb_put(nlcb);
	if (re.error || rc < 0)
		die_nl(what, rc, &re);
}

static void check_version(void)
{
	uint32_t attrs[] = { IOASID_NL_A_VERSION, IOASID_NL_VERSION, 0 };

	request(IOASID_NL_CMD_GET_VERSION, false, attrs,
		(int (*)(struct nl_msg *, void *))on_ack, NULL,
		"version check");
}

/* ------------------------------------------------------------- list */

static unsigned int nrecords;

static int print_context(struct nl_msg *msg, void *arg)
{
	bool long_form = arg != NULL;

	if (parse(msg))
		return NL_SKIP;
	nrecords++;
	if (json) {
		jbegin();
		jnum("ctx", u32_or(IOASID_NL_A_CTX_ID, 0));
		jnum("pid", u32_or(IOASID_NL_A_PID, 0));
		jstring("comm", str_or(IOASID_NL_A_COMM, ""));
		jnum("uid", u32_or(IOASID_NL_A_UID, 0));
		jstring("account",
			u32_or(IOASID_NL_A_ACCOUNT_MODE, 0) ==
			IOASID_NL_ACCOUNT_MM ? "mm" : "user");
		jnum("nr_objects", u32_or(IOASID_NL_A_NR_OBJECTS, 0));
		jnum("pages_pinned", u64_or(IOASID_NL_A_PAGES_PINNED, 0));
		jnum("pages_charged", u64_or(IOASID_NL_A_PAGES_CHARGED, 0));
		jnum("faults", u64_or(IOASID_NL_A_FAULTS, 0));
		jnum("faults_lost", u64_or(IOASID_NL_A_FAULTS_LOST, 0));
		if (!long_form)
			jend();
		return NL_OK;
	}
	if (long_form) {
		printf("context %u: pid %u (%s), uid %u, account %s, %u objects, %" PRIu64 " pages pinned, %" PRIu64 " charged, %" PRIu64 " faults (%" PRIu64 " lost)\n",
		       u32_or(IOASID_NL_A_CTX_ID, 0),
		       u32_or(IOASID_NL_A_PID, 0),
		       str_or(IOASID_NL_A_COMM, "?"),
		       u32_or(IOASID_NL_A_UID, 0),
		       u32_or(IOASID_NL_A_ACCOUNT_MODE, 0) ==
		       IOASID_NL_ACCOUNT_MM ? "mm" : "user",
		       u32_or(IOASID_NL_A_NR_OBJECTS, 0),
		       u64_or(IOASID_NL_A_PAGES_PINNED, 0),
		       u64_or(IOASID_NL_A_PAGES_CHARGED, 0),
		       u64_or(IOASID_NL_A_FAULTS, 0),
		       u64_or(IOASID_NL_A_FAULTS_LOST, 0));
		return NL_OK;
	}
	if (nrecords == 1)
		printf("%5s %7s %-16s %6s %7s %5s %10s %10s %7s\n", "CTX",
		       "PID", "COMM", "UID", "ACCOUNT", "OBJS", "PINNED",
		       "CHARGED", "FAULTS");
	printf("%5u %7u %-16s %6u %7s %5u %10" PRIu64 " %10" PRIu64
	       " %7" PRIu64 "\n",
	       u32_or(IOASID_NL_A_CTX_ID, 0), u32_or(IOASID_NL_A_PID, 0),
	       str_or(IOASID_NL_A_COMM, "?"), u32_or(IOASID_NL_A_UID, 0),
	       u32_or(IOASID_NL_A_ACCOUNT_MODE, 0) == IOASID_NL_ACCOUNT_MM ?
	       "mm" : "user",
	       u32_or(IOASID_NL_A_NR_OBJECTS, 0),
	       u64_or(IOASID_NL_A_PAGES_PINNED, 0),
	       u64_or(IOASID_NL_A_PAGES_CHARGED, 0),
	       u64_or(IOASID_NL_A_FAULTS, 0));
	return NL_OK;
}

static int cmd_list(void)
{
	first_record = true;
	if (json)
		printf("[");
	request(IOASID_NL_CMD_GET_CONTEXT, true, NULL, print_context, NULL,
		"list contexts");
	if (json)
		printf("]\n");
	else if (!nrecords)
		printf("no /dev/ioasid context%s\n",
		       geteuid() ? " of this user (root sees every user's)" : "");
	return 0;
}

/* ------------------------------------------------------------- show */

/* The context IDs a PID has open, for show PID */
struct ids {
	uint32_t id[64];
	unsigned int n;
};

static int collect_ctx(struct nl_msg *msg, void *arg)
{
	struct ids *ids = arg;

	if (!parse(msg) && tb[IOASID_NL_A_CTX_ID] &&
	    ids->n < sizeof(ids->id) / sizeof(ids->id[0]))
		ids->id[ids->n++] = nla_get_u32(tb[IOASID_NL_A_CTX_ID]);
	return NL_OK;
}

static int print_object(struct nl_msg *msg, void *arg)
{
	(void)arg;
	if (parse(msg))
		return NL_SKIP;
	nrecords++;
	if (json) {
		jbegin();
		jstring("type", obj_type_name(u32_or(IOASID_NL_A_OBJ_TYPE, 0)));
		jnum("id", u32_or(IOASID_NL_A_OBJ_ID, 0));
		jnum("users", u32_or(IOASID_NL_A_OBJ_USERS, 0));
		jend();
		return NL_OK;
	}
	if (nrecords == 1)
		printf("  objects:\n    %-8s %5s %5s\n", "TYPE", "ID", "USERS");
	printf("    %-8s %5u %5u\n",
	       obj_type_name(u32_or(IOASID_NL_A_OBJ_TYPE, 0)),
	       u32_or(IOASID_NL_A_OBJ_ID, 0), u32_or(IOASID_NL_A_OBJ_USERS, 0));
	return NL_OK;
}

static int print_area(struct nl_msg *msg, void *arg)
{
	char prot[3], backing[64];

	(void)arg;
	if (parse(msg))
		return NL_SKIP;
	nrecords++;
	prot_str(u32_or(IOASID_NL_A_PROT, 0), prot);
	backing_str(u32_or(IOASID_NL_A_BACKING, 0), backing, sizeof(backing));
	if (json) {
		jbegin();
		jnum("ioas", u32_or(IOASID_NL_A_IOAS_ID, 0));
		jnum("iova", u64_or(IOASID_NL_A_IOVA, 0));
		jnum("iova_last", u64_or(IOASID_NL_A_IOVA_LAST, 0));
		jstring("prot", prot);
		jnum("pages", u64_or(IOASID_NL_A_PAGES, 0));
		jstring("backing", backing);
		jbool("pinned", tb[IOASID_NL_A_PINNED]);
		jend();
		return NL_OK;
	}
	if (nrecords == 1)
		printf("  areas:\n    %4s %18s %18s %4s %8s %6s %s\n", "IOAS",
		       "IOVA", "LAST", "PROT", "PAGES", "PINNED", "BACKING");
	printf("    %4u 0x%016" PRIx64 " 0x%016" PRIx64 " %4s %8" PRIu64
	       " %6s %s\n",
	       u32_or(IOASID_NL_A_IOAS_ID, 0), u64_or(IOASID_NL_A_IOVA, 0),
	       u64_or(IOASID_NL_A_IOVA_LAST, 0), prot,
	       u64_or(IOASID_NL_A_PAGES, 0),
	       tb[IOASID_NL_A_PINNED] ? "yes" : "no", backing);
	return NL_OK;
}

static int print_device(struct nl_msg *msg, void *arg)
{
	char hwpt[16] = "-";

	(void)arg;
	if (parse(msg))
		return NL_SKIP;
	nrecords++;
	if (tb[IOASID_NL_A_HWPT_ID])
		snprintf(hwpt, sizeof(hwpt), "%u",
			 nla_get_u32(tb[IOASID_NL_A_HWPT_ID]));
	if (json) {
		jbegin();
		jnum("id", u32_or(IOASID_NL_A_DEV_ID, 0));
		jstring("name", str_or(IOASID_NL_A_DEV_NAME, ""));
		jstring("iommu", str_or(IOASID_NL_A_IOMMU, ""));
		if (tb[IOASID_NL_A_GROUP])
			jnum("group", nla_get_u32(tb[IOASID_NL_A_GROUP]));
		if (tb[IOASID_NL_A_HWPT_ID])
			jnum("hwpt", nla_get_u32(tb[IOASID_NL_A_HWPT_ID]));
		jend();
		return NL_OK;
	}
	if (nrecords == 1)
		printf("  devices:\n    %5s %-16s %-10s %5s %5s\n", "ID", "NAME",
		       "IOMMU", "GROUP", "HWPT");
	printf("    %5u %-16s %-10s %5u %5s\n", u32_or(IOASID_NL_A_DEV_ID, 0),
	       str_or(IOASID_NL_A_DEV_NAME, "?"), str_or(IOASID_NL_A_IOMMU, "?"),
	       u32_or(IOASID_NL_A_GROUP, 0), hwpt);
	return NL_OK;
}

static int print_hwpt(struct nl_msg *msg, void *arg)
{
	char flags[64];

	(void)arg;
	if (parse(msg))
		return NL_SKIP;
	nrecords++;
	hwpt_flags_str(u32_or(IOASID_NL_A_HWPT_FLAGS, 0), flags,
		       sizeof(flags));
	if (json) {
		jbegin();
		jnum("id", u32_or(IOASID_NL_A_HWPT_ID, 0));
		jnum("ioas", u32_or(IOASID_NL_A_IOAS_ID, 0));
		jstring("kind", hwpt_kind_name(u32_or(IOASID_NL_A_HWPT_KIND, 0)));
		jstring("flags", flags);
		jnum("domain_type", u32_or(IOASID_NL_A_DOMAIN_TYPE, 0));
		jstring("iommu", str_or(IOASID_NL_A_IOMMU, ""));
		jnum("pgsizes", u64_or(IOASID_NL_A_PGSIZES, 0));
		jnum("groups", u32_or(IOASID_NL_A_NR_GROUPS, 0));
		if (tb[IOASID_NL_A_PARENT_ID])
			jnum("parent", nla_get_u32(tb[IOASID_NL_A_PARENT_ID]));
		jend();
		return NL_OK;
	}
	if (nrecords == 1)
		printf("  hwpts:\n    %5s %4s %-7s %-10s %6s %18s %6s %s\n",
		       "ID", "IOAS", "KIND", "IOMMU", "DOMAIN", "PGSIZES",
		       "GROUPS", "FLAGS");
	printf("    %5u %4u %-7s %-10s %#6x 0x%016" PRIx64 " %6u %s\n",
	       u32_or(IOASID_NL_A_HWPT_ID, 0), u32_or(IOASID_NL_A_IOAS_ID, 0),
	       hwpt_kind_name(u32_or(IOASID_NL_A_HWPT_KIND, 0)),
	       str_or(IOASID_NL_A_IOMMU, "?"),
	       u32_or(IOASID_NL_A_DOMAIN_TYPE, 0),
	       u64_or(IOASID_NL_A_PGSIZES, 0), u32_or(IOASID_NL_A_NR_GROUPS, 0),
	       flags);
	return NL_OK;
}

static void show_list(const char *key, uint8_t cmd, uint32_t ctx,
		      int (*cb)(struct nl_msg *, void *), const char *what)
{
	uint32_t attrs[] = { IOASID_NL_A_CTX_ID, ctx, 0 };

	nrecords = 0;
	first_record = true;
	if (json) {
		printf(", ");
		json_str(key);
		printf(": [");
	}
	request(cmd, true, attrs, cb, NULL, what);
	if (json)
		printf("]");
}

static void show_one(uint32_t ctx)
{
	uint32_t attrs[] = { IOASID_NL_A_CTX_ID, ctx, 0 };

	nrecords = 0;
	request(IOASID_NL_CMD_GET_CONTEXT, true, attrs, print_context,
		(void *)1, "show context");
	show_list("objects", IOASID_NL_CMD_GET_OBJECT, ctx, print_object,
		  "list objects");
	show_list("areas", IOASID_NL_CMD_GET_AREA, ctx, print_area,
		  "list areas");
	show_list("devices", IOASID_NL_CMD_GET_DEVICE, ctx, print_device,
		  "list devices");
	show_list("hwpts", IOASID_NL_CMD_GET_HWPT, ctx, print_hwpt,
		  "list HWPTs");
	if (json)
		printf("}");
}

static bool parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > UINT32_MAX)
		return false;
	*out = v;
	return true;
}

static void usage_error(const char *fmt, ...);

static int cmd_show(int argc, char **argv)
{
	struct ids ids = { .n = 0 };
	bool by_ctx = false;
	uint32_t n, attrs[3];
	unsigned int i;

	if (argc == 2 && !strcmp(argv[0], "ctx")) {
		by_ctx = true;
		argv++;
		argc--;
	} else if (argc == 2 && !strcmp(argv[0], "pid")) {
		argv++;
		argc--;
	}
	if (argc != 1)
		usage_error("show takes a PID, \"pid PID\" or \"ctx ID\"");
	if (!parse_u32(argv[0], &n))
		usage_error("not a PID or context ID: %s", argv[0]);
	if (by_ctx) {
		ids.id[ids.n++] = n;
	} else {
		attrs[0] = IOASID_NL_A_PID;
		attrs[1] = n;
		attrs[2] = 0;
		request(IOASID_NL_CMD_GET_CONTEXT, true, attrs, collect_ctx,
			&ids, "find the contexts of the process");
		if (!ids.n) {
			fprintf(stderr, "%s: process %u has no /dev/ioasid context%s\n",
				PROG, n,
				geteuid() ? " of this user" : "");
			return EXIT_REQUEST;
		}
	}
	if (json)
		printf("[");
	for (i = 0; i != ids.n; i++) {
		if (json) {
			printf("%s", i ? ",\n" : "");
			first_record = true;
		} else if (i) {
			printf("\n");
		}
		show_one(ids.id[i]);
	}
	if (json)
		printf("]\n");
	return 0;
}

/* ------------------------------------------------------------ stats */

static int print_stats(struct nl_msg *msg, void *arg)
{
	static const char *const names[] = {
		[IOASID_NL_STAT_CONTEXTS] = "contexts",
		[IOASID_NL_STAT_OBJECTS] = "objects",
		[IOASID_NL_STAT_PAGES_OBJS] = "pinnable_ranges",
		[IOASID_NL_STAT_PINNED] = "pages_pinned",
		[IOASID_NL_STAT_CHARGED] = "pages_charged",
		[IOASID_NL_STAT_GROUPS] = "groups",
		[IOASID_NL_STAT_DOMAINS] = "domains",
		[IOASID_NL_STAT_MAP_CALLS] = "map_calls",
		[IOASID_NL_STAT_EVENTS] = "events",
		[IOASID_NL_STAT_EVENTS_LOST] = "events_lost",
		[IOASID_NL_STAT_FAULTS] = "faults",
		[IOASID_NL_STAT_FAULTS_LOST] = "faults_lost",
	};
	struct nlattr *a;
	int rem;

	(void)arg;
	if (parse(msg) || !tb[IOASID_NL_A_STATS])
		return NL_SKIP;
	if (json) {
		first_record = true;
		jbegin();
	}
	nla_for_each_nested(a, tb[IOASID_NL_A_STATS], rem) {
		int t = nla_type(a);

		if (t >= (int)(sizeof(names) / sizeof(names[0])) || !names[t] ||
		    nla_len(a) != 8)
			continue;
		if (json)
			jnum(names[t], nla_get_u64(a));
		else
			printf("%-16s %" PRIu64 "\n", names[t], nla_get_u64(a));
	}
	if (json) {
		jend();
		printf("\n");
	}
	return NL_OK;
}

static int cmd_stats(void)
{
	request(IOASID_NL_CMD_GET_STATS, false, NULL, print_stats, NULL,
		"stats");
	return 0;
}

/* ---------------------------------------------------------- monitor */

static long nevents;

static int print_event(struct nl_msg *msg, void *arg)
{
	uint32_t ev;
	char when[32], detail[160] = "";
	uint64_t t;
	time_t secs;
	struct tm tm;

	(void)arg;
	if (parse(msg) || genlmsg_hdr(nlmsg_hdr(msg))->cmd != IOASID_NL_CMD_EVENT)
		return NL_SKIP;
	ev = u32_or(IOASID_NL_A_EVENT, 0);
	t = u64_or(IOASID_NL_A_TIME, 0);
	if (json) {
		first_record = true;
		jbegin();
		jnum("seq", u64_or(IOASID_NL_A_SEQ, 0));
		jnum("time_ns", t);
		jstring("event", event_name(ev));
		jnum("ctx", u32_or(IOASID_NL_A_CTX_ID, 0));
		jnum("uid", u32_or(IOASID_NL_A_UID, 0));
		if (tb[IOASID_NL_A_PID])
			jnum("pid", nla_get_u32(tb[IOASID_NL_A_PID]));
		if (tb[IOASID_NL_A_COMM])
			jstring("comm", nla_get_string(tb[IOASID_NL_A_COMM]));
		if (tb[IOASID_NL_A_OBJ_TYPE])
			jstring("type", obj_type_name(nla_get_u32(tb[IOASID_NL_A_OBJ_TYPE])));
		if (tb[IOASID_NL_A_OBJ_ID])
			jnum("id", nla_get_u32(tb[IOASID_NL_A_OBJ_ID]));
		if (tb[IOASID_NL_A_DEV_ID])
			jnum("dev", nla_get_u32(tb[IOASID_NL_A_DEV_ID]));
		if (tb[IOASID_NL_A_DEV_NAME])
			jstring("dev_name", nla_get_string(tb[IOASID_NL_A_DEV_NAME]));
		if (tb[IOASID_NL_A_GROUP])
			jnum("group", nla_get_u32(tb[IOASID_NL_A_GROUP]));
		if (tb[IOASID_NL_A_HWPT_ID])
			jnum("hwpt", nla_get_u32(tb[IOASID_NL_A_HWPT_ID]));
		if (tb[IOASID_NL_A_FAULT_ADDR])
			jnum("addr", nla_get_u64(tb[IOASID_NL_A_FAULT_ADDR]));
		if (tb[IOASID_NL_A_FAULT_PERM])
			jnum("perm", nla_get_u32(tb[IOASID_NL_A_FAULT_PERM]));
		if (tb[IOASID_NL_A_LOST])
			jnum("lost", nla_get_u64(tb[IOASID_NL_A_LOST]));
		if (tb[IOASID_NL_A_IOAS_ID])
			jnum("ioas", nla_get_u32(tb[IOASID_NL_A_IOAS_ID]));
		if (tb[IOASID_NL_A_IOVA])
			jnum("iova", nla_get_u64(tb[IOASID_NL_A_IOVA]));
		if (tb[IOASID_NL_A_LENGTH])
			jnum("length", nla_get_u64(tb[IOASID_NL_A_LENGTH]));
		if (tb[IOASID_NL_A_PROT]) {
			char prot[3];

			jstring("prot", prot_str(nla_get_u32(tb[IOASID_NL_A_PROT]), prot));
		}
		jend();
		printf("\n");
	} else {
		secs = t / 1000000000;
		gmtime_r(&secs, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		switch (ev) {
		case IOASID_NL_EVENT_CTX_OPEN:
		case IOASID_NL_EVENT_CTX_CLOSE:
			if (tb[IOASID_NL_A_PID])
				snprintf(detail, sizeof(detail), "pid %u (%s)",
					 nla_get_u32(tb[IOASID_NL_A_PID]),
					 str_or(IOASID_NL_A_COMM, "?"));
			break;
		case IOASID_NL_EVENT_OBJ_CREATE:
		case IOASID_NL_EVENT_OBJ_DESTROY:
			snprintf(detail, sizeof(detail), "%s %u",
				 obj_type_name(u32_or(IOASID_NL_A_OBJ_TYPE, 0)),
				 u32_or(IOASID_NL_A_OBJ_ID, 0));
			break;
		case IOASID_NL_EVENT_BIND:
		case IOASID_NL_EVENT_UNBIND:
			snprintf(detail, sizeof(detail), "device %u %s group %u",
				 u32_or(IOASID_NL_A_DEV_ID, 0),
				 str_or(IOASID_NL_A_DEV_NAME, "?"),
				 u32_or(IOASID_NL_A_GROUP, 0));
			break;
		case IOASID_NL_EVENT_ATTACH:
		case IOASID_NL_EVENT_DETACH:
			snprintf(detail, sizeof(detail), "device %u %s hwpt %u",
				 u32_or(IOASID_NL_A_DEV_ID, 0),
				 str_or(IOASID_NL_A_DEV_NAME, "?"),
				 u32_or(IOASID_NL_A_HWPT_ID, 0));
			break;
		case IOASID_NL_EVENT_MAP:
		case IOASID_NL_EVENT_UNMAP: {
			char prot[3];

			snprintf(detail, sizeof(detail),
				 "ioas %u iova 0x%" PRIx64 " length 0x%" PRIx64 "%s%s",
				 u32_or(IOASID_NL_A_IOAS_ID, 0),
				 u64_or(IOASID_NL_A_IOVA, 0),
				 u64_or(IOASID_NL_A_LENGTH, 0),
				 tb[IOASID_NL_A_PROT] ? " " : "",
				 tb[IOASID_NL_A_PROT] ?
				 prot_str(nla_get_u32(tb[IOASID_NL_A_PROT]), prot) : "");
			break;
		}
		case IOASID_NL_EVENT_FAULT:
			snprintf(detail, sizeof(detail),
				 "device %u hwpt %u addr 0x%" PRIx64 " perm %c%c%c lost %" PRIu64,
				 u32_or(IOASID_NL_A_DEV_ID, 0),
				 u32_or(IOASID_NL_A_HWPT_ID, 0),
				 u64_or(IOASID_NL_A_FAULT_ADDR, 0),
				 u32_or(IOASID_NL_A_FAULT_PERM, 0) & 1 ? 'r' : '-',
				 u32_or(IOASID_NL_A_FAULT_PERM, 0) & 2 ? 'w' : '-',
				 u32_or(IOASID_NL_A_FAULT_PERM, 0) & 4 ? 'x' : '-',
				 u64_or(IOASID_NL_A_LOST, 0));
			break;
		}
		printf("%s.%06u #%" PRIu64 " ctx %u uid %u %-7s %s\n", when,
		       (unsigned int)(t % 1000000000 / 1000),
		       u64_or(IOASID_NL_A_SEQ, 0),
		       u32_or(IOASID_NL_A_CTX_ID, 0), u32_or(IOASID_NL_A_UID, 0),
		       event_name(ev), detail);
	}
	fflush(stdout);
	nevents++;
	if (max_events >= 0 && nevents >= max_events)
		exit(0);
	return NL_OK;
}

static int cmd_monitor(void)
{
	int grp, rc;

	grp = genl_ctrl_resolve_grp(sk, IOASID_GENL_NAME,
				    IOASID_GENL_MCGRP_ADMIN);
	if (grp < 0) {
		fprintf(stderr, "%s: the ioasid family has no \"%s\" multicast group: %s\n",
			PROG, IOASID_GENL_MCGRP_ADMIN, nl_geterror(grp));
		return EXIT_REQUEST;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, print_event, NULL);
	rc = nl_socket_add_membership(sk, grp);
	if (rc < 0) {
		if (rc == -NLE_PERM)
			fprintf(stderr, "%s: monitor needs CAP_SYS_ADMIN: the event stream shows every user's contexts (list and show work without it)\n",
				PROG);
		else
			fprintf(stderr, "%s: cannot join the event group: %s\n",
				PROG, nl_geterror(rc));
		return EXIT_REQUEST;
	}
	if (max_events == 0)
		return 0;
	if (!json)
		fprintf(stderr, "%s: listening for events (Ctrl-C stops)\n", PROG);
	for (;;) {
		rc = nl_recvmsgs_default(sk);
		/* A full socket buffer: events were lost, say so and go on */
		if (rc == -NLE_NOMEM) {
			fprintf(stderr, "%s: the socket overflowed: events were lost\n",
				PROG);
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "%s: receiving events: %s\n", PROG,
				nl_geterror(rc));
			return EXIT_REQUEST;
		}
	}
}

/* ----------------------------------------------------------- main */

static void help(void)
{
	printf("Usage: %s [options] list|show|stats|monitor\n"
	       "\n"
	       "Show the /dev/ioasid contexts of the system, what they hold and pin,\n"
	       "and their events as they happen, from the ioasid module's generic\n"
	       "netlink family.\n"
	       "\n"
	       "Commands:\n"
	       "  list               one line per context: ID, process, owner, objects,\n"
	       "                     pages pinned and charged, DMA faults\n"
	       "  show PID           every context of process PID, with its objects,\n"
	       "                     IOAS mappings, devices and HWPTs (also: show pid PID)\n"
	       "  show ctx ID        the same for context ID\n"
	       "  stats              the module's totals\n"
	       "  monitor            print events as they happen (needs CAP_SYS_ADMIN)\n"
	       "\n"
	       "Without CAP_SYS_ADMIN only the caller's own contexts are shown.\n"
	       "\n"
	       "Options:\n"
	       "  -j, --json         print JSON instead of tables (monitor: one object\n"
	       "                     per line)\n"
	       "  -n, --count N      monitor: exit after N events, range 0-1000000\n"
	       "  -h, --help         print this help and exit\n"
	       "\n"
	       "Exit status: 0 on success, 1 if a request failed (the kernel's answer\n"
	       "is on stderr), 2 for a usage error, 3 if the ioasid module is not loaded.\n",
	       PROG);
	exit(0);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", PROG);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "Usage: %s [options] list|show|stats|monitor\n"
		"Try '%s --help' for more information.\n", PROG, PROG);
	exit(EXIT_USAGE);
}

/* Options stop at the first non-option ("+"): before and after the command */
static void parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+jn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'n':
			errno = 0;
			max_events = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || max_events < 0 ||
			    max_events > 1000000)
				usage_error("--count: not a number from 0 to 1000000: %s",
					    optarg);
			break;
		case 'h':
			help();
			break;
		default:
			usage_error(NULL);
		}
	}
}

int main(int argc, char **argv)
{
	const char *cmd;

	parse_options(argc, argv);
	if (optind >= argc)
		usage_error("no command");
	cmd = argv[optind++];
	/* Options after the command, too: ioasidctl list --json */
	parse_options(argc, argv);
	if (strcmp(cmd, "list") && strcmp(cmd, "show") &&
	    strcmp(cmd, "stats") && strcmp(cmd, "monitor"))
		usage_error("unknown command: %s", cmd);
	if (strcmp(cmd, "show") && optind != argc)
		usage_error("%s takes no argument", cmd);

	connect_family();
	check_version();
	if (!strcmp(cmd, "list"))
		return cmd_list();
	if (!strcmp(cmd, "show"))
		return cmd_show(argc - optind, argv + optind);
	if (!strcmp(cmd, "stats"))
		return cmd_stats();
	return cmd_monitor();
}
