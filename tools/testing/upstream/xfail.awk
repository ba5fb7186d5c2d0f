# SPDX-License-Identifier: GPL-2.0-only
# Apply the expected-failure lists of upstream's selftests to the PASS/FAIL
# lines of parse-results.awk.  See Documentation/dev-tools/upstream-selftest.rst.
#
#   awk -v full=1 -f xfail.awk DIR/iommufd.xfail ... summary.txt
#
# Each list is named after its binary (iommufd.xfail for the suite
# upstream-iommufd); a line is "<fixture>.<variant>.<test> <reason>", or
# "<fixture>.<test> <reason>" for a fixture without variants; '#' starts a
# comment.  For every check of an upstream suite:
#   - a listed case that failed is "PASS ... expected failure: <reason>";
#   - a listed case that passed is "FAIL ... unexpectedly passing: remove it
#     from <list>", so that the list stays true;
#   - anything else is left as it is: an unlisted failure stays a FAIL.
# The suite's "exit-status" FAIL (the binary exits 1 when any case failed)
# is dropped when test lines of the suite failed, expected or not, since
# they explain it; without a failed case it stays.  With full=1 (a run
# without -f/-v/-t filters) a listed case the suite did not run is a FAIL
# too: the list must name cases that exist.  Lines of other suites pass
# through unchanged.  Lines are flushed as they go: run-tests.sh feeds the
# results of a VM that is still running.
FNR == 1 {
	file = FILENAME
	listing = (file ~ /\.xfail$/)
	if (listing) {
		base = file
		sub(/^.*\//, "", base)
		sub(/\.xfail$/, "", base)
		suite = "upstream-" base
		listfile[suite] = file
	}
}
listing {
	line = $0
	sub(/#.*$/, "", line)
	if (line !~ /[^ \t]/)
		next
	n = split(line, w, /[ \t]+/)
	name = (w[1] == "" ? w[2] : w[1])
	reason = line
	sub(/^[ \t]*[^ \t]+[ \t]*/, "", reason)
	sub(/[ \t]+$/, "", reason)
	if (reason == "") {
		print "FAIL xfail/" suite "/" name " no reason given in " file
		next
	}
	if ((suite, name) in xfail)
		print "FAIL xfail/" suite "/" name " listed twice in " file
	xfail[suite, name] = reason
	next
}
{
	st = $1
	full_name = $2
	# <prefix>/<suite>/<case>
	split(full_name, p, "/")
	s = p[2]
	c = substr(full_name, length(p[1]) + length(s) + 3)
	if (!(s in listfile)) {
		print
		fflush()
		next
	}
	prefix[s] = p[1]
	if (c == "exit-status") {
		pending_exit[s] = $0
		next
	}
	if (c == "incomplete")
		incomplete[s] = 1
	if (!((s, c) in xfail)) {
		if (st == "FAIL")
			failed[s] = 1
		print
		fflush()
		next
	}
	seen[s, c] = 1
	if (st == "FAIL") {
		failed[s] = 1
		print "PASS " full_name " expected failure: " xfail[s, c]
	} else if (st == "PASS") {
		print "FAIL " full_name " unexpectedly passing: remove it from " listfile[s] " (" xfail[s, c] ")"
	} else {
		print
	}
	fflush()
}
END {
	for (s in pending_exit)
		if (!(s in failed))
			print pending_exit[s]
	if (!full)
		exit
	for (k in xfail) {
		split(k, q, SUBSEP)
		s = q[1]
		# Only suites that ran to the end
		if (!(s in prefix) || (s in incomplete) || (k in seen))
			continue
		print "FAIL " prefix[s] "/" s "/" q[2] " listed in " listfile[s] " but no such case ran"
	}
}
