# SPDX-License-Identifier: GPL-2.0-only
# Turn a results.log written by guest-tests.sh into one line per check:
#   PASS|FAIL|SKIP <prefix>/<suite>/<test> [detail]
# Each line is flushed as it is printed: run-tests.sh follows a log the
# guest is still writing.
# A skipped test is reported as SKIP, never as PASS; a suite that stopped
# before its plan was complete, or a VM that never said @@DONE, is a FAIL.
{ sub(/\r$/, "") }
/^@@RESULT / {
	st = $2; name = $3
	$1 = $2 = $3 = ""; sub(/^ +/, "")
	print st " " prefix "/" name ($0 != "" ? " " $0 : "")
	fflush()
	next
}
/^@@SUITE / { suite = $2; planned = 0; seen = 0; next }
/^@@END / {
	if (seen < planned || seen == 0)
		print "FAIL " prefix "/" suite "/incomplete ran " seen " of " planned " tests, exit " $3
	else if ($3 != 0)
		print "FAIL " prefix "/" suite "/exit-status " $3
	fflush()
	suite = ""
	next
}
/^@@DONE/ { done = 1; next }
suite != "" && /^1\.\.[0-9]+/ { planned = substr($1, 4) + 0; next }
# The 6.1 harness's "ok N # SKIP reason" has no test name: take the last RUN's
suite != "" && /^#  RUN  / { running = $3; next }
suite != "" && /^(not )?ok [0-9]+ / {
	line = $0
	st = "PASS"
	if (line ~ /^not ok/) { st = "FAIL"; sub(/^not ok [0-9]+ /, "", line) }
	else sub(/^ok [0-9]+ /, "", line)
	if (line ~ /# *SKIP/) st = "SKIP"
	sub(/ *#.*$/, "", line)
	if (line == "") line = running
	print st " " prefix "/" suite "/" line
	fflush()
	seen++
}
END { if (!done) print "FAIL " prefix "/vm/finished the VM never completed its run (see console.log)" }
