# SPDX-License-Identifier: GPL-2.0-only
# The guest's output about one failed check, from a results.log of
# guest-tests.sh: the last 40 lines of test <t> of suite <suite>, or the
# last 20 lines of the suite when it has no test of that name (exit-status,
# incomplete).  scripts/check.sh prints it so that a CI log is enough to
# start on a failure.
#   awk -v suite=ioasid_fuzz -v t=global.threads -f failure-detail.awk LOG
{ sub(/\r$/, "") }
/^@@SUITE / { in_suite = ($2 == suite); next }
/^@@/ { in_suite = 0 }
!in_suite || done { next }
{ all[na++ % 20] = $0 }
index($0, "#  RUN ") == 1 && $NF == "..." && $(NF - 1) == t {
	keep = 1
	n = 0
}
keep { buf[n++ % 40] = $0 }
keep && /^(not )?ok [0-9]+ / { keep = 0; done = 1 }
END {
	if (n) {
		for (i = (n > 40 ? n - 40 : 0); i < n; i++)
			print buf[i % 40]
	} else {
		for (i = (na > 20 ? na - 20 : 0); i < na; i++)
			print all[i % 20]
	}
}
