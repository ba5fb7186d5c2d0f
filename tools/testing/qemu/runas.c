// SPDX-License-Identifier: GPL-2.0-only
/*
 * runas: run a program as an unprivileged user with a given RLIMIT_MEMLOCK,
 * for the nested QEMU test (the busybox of the test VM has neither su nor a
 * setpriv that changes ids).  Must start as root.
 *
 *   runas [-l MEMLOCK_KIB] UID GID[,GID...] PROG [ARG...]
 *
 * Sets RLIMIT_MEMLOCK (soft and hard) to MEMLOCK_KIB KiB if given, the
 * supplementary groups to every GID listed, the real/effective/saved gid
 * to the first and the uids to UID, which drops every capability.  Then it
 * checks what it got, prints it on stderr as one line
 *   runas: uid=U gid=G groups=G,... memlock=N KiB cap_eff=0 cap_prm=0
 * and execs PROG (searched in PATH), which keeps the pid.  Exit status 126
 * when something could not be set or the result is not what was asked, 127
 * when PROG cannot be executed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_GROUPS 16

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "runas: %s: %s\n", what, strerror(errno));
	exit(126);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
		"usage: runas [-l MEMLOCK_KIB] UID GID[,GID...] PROG [ARG...]\n");
	exit(126);
}

static unsigned long parse_ul(const char *s, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "runas: bad %s '%s'\n", what, s);
		exit(126);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct cap[2];
	gid_t groups[MAX_GROUPS], got[MAX_GROUPS];
	unsigned long long cap_eff, cap_prm;
	int ngroups = 0, ngot, i, argi = 1, set_limit = 0;
	char list[MAX_GROUPS * 12] = "", *tok, *gids;
	struct rlimit rl = { 0, 0 };
	uid_t uid;

	if (argi + 1 < argc && !strcmp(argv[argi], "-l")) {
		unsigned long kib = parse_ul(argv[argi + 1], "memlock KiB");

		rl.rlim_cur = rl.rlim_max = (rlim_t)kib * 1024;
		set_limit = 1;
		argi += 2;
	}
	if (argc - argi < 3)
		usage();
	uid = parse_ul(argv[argi], "uid");
	if (uid == 0) {
		fprintf(stderr, "runas: uid 0 would keep root's capabilities\n");
		exit(126);
	}
	gids = argv[argi + 1];
	for (tok = strtok(gids, ","); tok; tok = strtok(NULL, ",")) {
		if (ngroups == MAX_GROUPS)
			usage();
		groups[ngroups++] = parse_ul(tok, "gid");
	}
	if (!ngroups)
		usage();
	argi += 2;

	if (set_limit && setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit(RLIMIT_MEMLOCK)");
	if (setgroups(ngroups, groups))
		die("setgroups");
	if (setresgid(groups[0], groups[0], groups[0]))
		die("setresgid");
	if (setresuid(uid, uid, uid))
		die("setresuid");

	/* Check what we got rather than trust it */
	if (getuid() != uid || geteuid() != uid || getgid() != groups[0] ||
	    getegid() != groups[0]) {
		fprintf(stderr, "runas: ids did not change\n");
		exit(126);
	}
	ngot = getgroups(MAX_GROUPS, got);
	if (ngot < 0)
		die("getgroups");
	for (i = 0; i < ngot; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%u", i ? "," : "", (unsigned int)got[i]);
	if (syscall(SYS_capget, &hdr, cap))
		die("capget");
	cap_eff = cap[0].effective | (unsigned long long)cap[1].effective << 32;
	cap_prm = cap[0].permitted | (unsigned long long)cap[1].permitted << 32;
	if (cap_eff || cap_prm) {
		fprintf(stderr, "runas: capabilities left: eff %#llx prm %#llx\n",
			cap_eff, cap_prm);
		exit(126);
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		die("getrlimit");
	fprintf(stderr,
		"runas: uid=%u gid=%u groups=%s memlock=%llu KiB cap_eff=%#llx cap_prm=%#llx\n",
		(unsigned int)getuid(), (unsigned int)getgid(), list,
		rl.rlim_cur == RLIM_INFINITY ? ~0ULL :
		(unsigned long long)rl.rlim_cur / 1024, cap_eff, cap_prm);

	execvp(argv[argi], argv + argi);
	fprintf(stderr, "runas: %s: %s\n", argv[argi], strerror(errno));
	return 127;
}
