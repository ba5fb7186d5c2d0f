// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linked into upstream's selftests by scripts/upstream-selftest.sh, with
 * -Wl,--wrap=alarm.  The kselftest harness bounds each case with
 * alarm(timeout), 30 s unless the test says otherwise, which a KASAN and
 * lockdep kernel under TCG can need several times over (make check-debug).
 * IOASID_TIME_SCALE=N in the environment, the knob our own suites read
 * (tools/testing/selftests/ioasid/ioasid_utils.h), stretches every such
 * timeout N times; without it nothing changes.
 */
#include <stdlib.h>
#include <unistd.h>

unsigned int __real_alarm(unsigned int seconds);
unsigned int __wrap_alarm(unsigned int seconds);

unsigned int __wrap_alarm(unsigned int seconds)
{
	const char *s = getenv("IOASID_TIME_SCALE");
	unsigned long scale = s ? strtoul(s, NULL, 10) : 1;

	if (scale < 1 || scale > 100)
		scale = 1;
	return __real_alarm(seconds * scale);
}
