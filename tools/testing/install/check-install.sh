#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The install of libioasid, its headers and the sample tools, as a package
# build does it: build with hardened flags (dpkg-buildflags), the tools
# linked with libioasid.so (STATIC=0), "make install DESTDIR=... PREFIX=/usr",
# then check the result from outside: the file list, the soname, the
# exported symbols, pkg-config, a program written for upstream iommufd
# compiled unchanged against the installed headers, the tools' --help, the
# man pages (with --help's options, defaults and ranges), no clash with a
# Debian package's files, and that uninstall
# removes everything.  Also: the default build is still static, and install
# never builds.
#
# One "PASS install/<name>" or "FAIL install/<name> <reason>" line per check
# on stdout, a count on stderr; exit status 0 only if every check passed.
# As root, installs the Debian packages it needs when they are missing.
# Logs in build/logs/install (CHECK_INSTALL_LOGS); KEEP=1 keeps the
# temporary directory and prints its name.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
logs=${CHECK_INSTALL_LOGS:-$top/build/logs/install}
# Our make output is read, so no -s from a calling make
unset MAKEFLAGS MFLAGS MAKELEVEL
export LC_ALL=C

npass=0
nfail=0
pass() { echo "PASS install/$1"; npass=$((npass + 1)); }
fail() { echo "FAIL install/$1 $2"; nfail=$((nfail + 1)); }
# check NAME REASON-IF-FAILED LOG COMMAND...: PASS when COMMAND succeeds;
# its output goes to build/logs/install/LOG ("-": nowhere)
check() {
	local name=$1 why=$2 log=$3
	shift 3
	[ "$log" = - ] && log=/dev/null || log=$logs/$log
	if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name" "$why"; fi
}

# ---------------------------------------------------------------- tools

# command -> the Debian 12 package that has it
declare -A pkg_of=(
	[make]=make [cc]=gcc [readelf]=binutils [pkg-config]=pkgconf
	[man]=man-db [lexgrog]=man-db [groff]=groff-base
)
missing=()
for cmd in "${!pkg_of[@]}"; do
	command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
for hdr in /usr/include/stdio.h /usr/include/linux/vfio.h; do
	[ -e "$hdr" ] || missing+=(libc6-dev linux-libc-dev)
done
# ioasidctl
[ -e /usr/include/libnl3/netlink/genl/genl.h ] ||
	missing+=(libnl-3-dev libnl-genl-3-dev)
if [ ${#missing[@]} -ne 0 ]; then
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	if [ "$(id -u)" -ne 0 ]; then
		fail deps "missing packages: ${missing[*]} (run as root to install them)"
		exit 1
	fi
	echo "check-install.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	# Others may hold the apt lock for a moment: wait for it, and retry
	ok=0
	for try in 1 2 3 4 5; do
		if apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
		   { apt-get -o DPkg::Lock::Timeout=120 update -qq >/dev/null 2>&1 &&
		     apt-get -o DPkg::Lock::Timeout=120 install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null 2>&1; }; then
			ok=1
			break
		fi
		echo "check-install.sh: apt-get failed (try $try), retrying" >&2
		sleep $((try * 10))
	done
	if [ $ok -ne 1 ]; then
		fail deps "apt-get install ${missing[*]} failed"
		exit 1
	fi
fi

mkdir -p "$logs"
rel=${logs#"$top"/}
tmp=$(mktemp -d /tmp/check-install.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then
	echo "check-install.sh: keeping $tmp" >&2
else
	trap 'rm -rf "$tmp"' EXIT
fi
build=$tmp/build
dest=$tmp/dest
lib=$dest/usr/lib
inc=$dest/usr/include/ioasid

# A package build's flags: dpkg-buildflags' when dpkg-dev is there
if command -v dpkg-buildflags >/dev/null 2>&1; then
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	CFLAGS=$(dpkg-buildflags --get CFLAGS)
	CPPFLAGS=$(dpkg-buildflags --get CPPFLAGS)
	LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
else
	CFLAGS="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security"
	CPPFLAGS="-D_FORTIFY_SOURCE=2"
	LDFLAGS="-Wl,-z,relro -Wl,-z,now"
fi
export CFLAGS CPPFLAGS LDFLAGS

# The four sub-makes, as debian/rules and the top-level Makefile call them
submakes() {
	local target=$1
	shift
	make -C "$top/tools/lib/ioasid" OUTPUT="$build/lib" "$target" "$@" &&
	make -C "$top/samples/ioasid" OUTPUT="$build/samples" STATIC=0 "$target" "$@" &&
	make -C "$top/samples/nvme" OUTPUT="$build/samples" STATIC=0 "$target" "$@" &&
	make -C "$top/tools/ioasidctl" OUTPUT="$build/samples" STATIC=0 "$target" "$@"
}

# ---------------------------------------------------------------- build

submakes all >"$logs/build.log" 2>&1
build_rc=$?
if [ $build_rc -ne 0 ]; then
	fail build "make failed ($build_rc), see $rel/build.log"
elif grep -q 'warning:' "$logs/build.log"; then
	fail build "$(grep -c 'warning:' "$logs/build.log") compiler warnings, see $rel/build.log"
else
	pass build
fi

# dpkg-buildflags' flags reach every compile and link, after ours: CFLAGS
# everywhere, CPPFLAGS where a .c is compiled, LDFLAGS where it links
flags_used() {
	local line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		echo "$line"
		[[ "$line" == *"$CFLAGS"* ]] || { echo "no CFLAGS"; return 1; }
		if [[ "$line" =~ \.c( |$) ]]; then
			[[ "$line" == *"$CPPFLAGS"* ]] || { echo "no CPPFLAGS"; return 1; }
			[[ "$line" == *"-Wall"*"$CPPFLAGS"*"$CFLAGS"* ]] ||
				{ echo "not after the project's flags"; return 1; }
		fi
		if [[ "$line" != *" -c "* ]]; then
			[[ "$line" == *"$LDFLAGS"* ]] || { echo "no LDFLAGS"; return 1; }
		fi
	done < <(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$logs/build.log" |
		 grep -E '^cc .* -o ')
	echo "$n commands"
	[ $n -ge 7 ]
}
check build-flags "CFLAGS/CPPFLAGS/LDFLAGS not appended to every command, see $rel/build-flags.log" \
	build-flags.log flags_used

# "make samples" keeps building static binaries (the test VM has no libc)
static_default() {
	local f
	env -u CFLAGS -u CPPFLAGS -u LDFLAGS \
		make -C "$top/samples/ioasid" OUTPUT="$tmp/static" &&
	env -u CFLAGS -u CPPFLAGS -u LDFLAGS \
		make -C "$top/samples/nvme" OUTPUT="$tmp/static" &&
	env -u CFLAGS -u CPPFLAGS -u LDFLAGS \
		make -C "$top/tools/ioasidctl" OUTPUT="$tmp/static" || return 1
	for f in ioasid-mock-demo ioasid-edu-demo ioasid-nvme nvme-kbench ioasidctl; do
		[ -x "$tmp/static/$f" ] || { echo "$f missing"; return 1; }
		if readelf -lW "$tmp/static/$f" | grep -q INTERP; then
			echo "$f is dynamic"
			return 1
		fi
	done
	# and builds no shared library for them
	! ls "$tmp/static/lib/"libioasid.so* 2>/dev/null
}
check static-default "the default build is not five static binaries, see $rel/static.log" \
	static.log static_default

# ------------------------------------------------------------- install

# Install copies, it never builds: with nothing built it fails and writes
# nothing, neither into OUTPUT nor into DESTDIR
never_builds() {
	local d
	for d in tools/lib/ioasid samples/ioasid samples/nvme tools/ioasidctl; do
		if make -C "$top/$d" OUTPUT="$tmp/unbuilt" DESTDIR="$tmp/d2" \
			PREFIX=/usr install; then
			echo "$d: install succeeded with nothing built"
			return 1
		fi
	done
	[ ! -e "$tmp/unbuilt" ] || { echo "install built into OUTPUT"; return 1; }
	[ ! -e "$tmp/d2" ] || { echo "install wrote into DESTDIR"; return 1; }
}
check install-never-builds "install built something or succeeded without a build, see $rel/never-builds.log" \
	never-builds.log never_builds

submakes install DESTDIR="$dest" PREFIX=/usr >"$logs/install.log" 2>&1
rc=$?
check install "make install failed ($rc), see $rel/install.log" - [ $rc -eq 0 ]

expected_files() {
	cat <<'EOF'
644 usr/include/ioasid/libioasid.h
644 usr/include/ioasid/linux/ioasid.h
644 usr/include/ioasid/linux/ioasid_vfio.h
644 usr/include/ioasid/linux/iommufd.h
644 usr/include/ioasid/linux/vfio.h
644 usr/lib/libioasid.a
644 usr/lib/libioasid.so.0.1.0
644 usr/lib/pkgconfig/ioasid-uapi.pc
644 usr/lib/pkgconfig/libioasid.pc
644 usr/share/man/man1/ioasid-edu-demo.1
644 usr/share/man/man1/ioasid-nvme.1
644 usr/share/man/man1/ioasidctl.1
644 usr/share/man/man1/nvme-kbench.1
644 usr/share/bash-completion/completions/ioasidctl
755 usr/bin/ioasid-edu-demo
755 usr/bin/ioasid-nvme
755 usr/bin/ioasidctl
755 usr/bin/nvme-kbench
link usr/lib/libioasid.so -> libioasid.so.0.1.0
link usr/lib/libioasid.so.0 -> libioasid.so.0.1.0
EOF
}
installed_files() {
	(cd "$dest" 2>/dev/null && {
		find . -type f -printf '%m %P\n'
		find . -type l -printf 'link %P -> %l\n'
	} | sort)
}
files_match() {
	diff -u <(expected_files | sort) <(installed_files)
}
check files "the installed files differ from the expected list, see $rel/files.log" \
	files.log files_match

# ------------------------------------------------------ shared library

soname_ok() {
	local so=$lib/libioasid.so.0.1.0
	readelf -dW "$so" | grep -q 'Library soname: \[libioasid\.so\.0\]' &&
	[ "$(readlink "$lib/libioasid.so.0")" = libioasid.so.0.1.0 ] &&
	[ "$(readlink "$lib/libioasid.so")" = libioasid.so.0.1.0 ] &&
	readelf -hW "$so" | grep -q 'DYN'
}
check soname "libioasid.so.0.1.0 has no soname libioasid.so.0 or its links are wrong" - soname_ok

# The version script's global names
map_symbols() {
	sed -n '/^global:/,/^local:/p' "$top/tools/lib/ioasid/libioasid.map" |
		sed -n 's/^[[:space:]]*\([A-Za-z_][A-Za-z0-9_]*\);.*/\1/p' | sort
}
# The version node's name
map_node() {
	sed -n 's/^\([A-Z][A-Z0-9_.]*\) *{.*/\1/p' "$top/tools/lib/ioasid/libioasid.map"
}
# Every defined global symbol of .dynsym, with its @@VERSION; the version
# node's own (ABS) symbol aside
dynsyms() {
	readelf --dyn-syms -W "$lib/libioasid.so.0.1.0" |
		awk '$5 != "LOCAL" && $7 != "UND" && $7 != "Ndx" && $7 != "ABS" && NF >= 8 { print $8 }' |
		sort
}
symbols_ok() {
	local node
	node=$(map_node)
	[ -n "$node" ] || { echo "no version node in libioasid.map"; return 1; }
	[ "$(map_symbols | wc -l)" -gt 0 ] || { echo "no global: names"; return 1; }
	echo "$(map_symbols | wc -l) names in $node; exported (left: version script, right: .dynsym):"
	diff -u <(map_symbols | sed "s/\$/@@$node/") <(dynsyms) || return 1
	# one version definition besides the file's own
	[ "$(readelf -VW "$lib/libioasid.so.0.1.0" |
		sed -n '/Version definition/,/Version needs/p' |
		grep -c 'Name: ')" -eq 2 ]
}
check symbols "the exported symbols are not exactly the version script's, each @@$(map_node), see $rel/symbols.log" \
	symbols.log symbols_ok

# The version script lists what libioasid.h declares
header_symbols() {
	grep -oE '^[a-z].*[ *]ioasid_[a-z0-9_]+\(' "$top/tools/lib/ioasid/libioasid.h" |
		grep -oE 'ioasid_[a-z0-9_]+\($' | tr -d '(' | sort
}
check symbols-header "libioasid.map and the functions of libioasid.h differ, see $rel/symbols-header.log" \
	symbols-header.log diff -u <(header_symbols) <(map_symbols)

spdx_ok() {
	local f bad=0
	for f in libioasid.c libioasid.h libioasid.map Makefile libioasid.pc.in ioasid-uapi.pc.in; do
		grep -q 'SPDX-License-Identifier: LGPL-2.1-or-later OR MIT' \
			"$top/tools/lib/ioasid/$f" || { echo "$f"; bad=1; }
	done
	for f in include/uapi/linux/ioasid.h include/uapi/linux/ioasid_vfio.h \
		tools/lib/ioasid/compat/linux/iommufd.h tools/lib/ioasid/compat/linux/vfio.h; do
		grep -q 'SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note' \
			"$top/$f" || { echo "$f"; bad=1; }
	done
	for f in preferred/LGPL-2.1 preferred/MIT preferred/GPL-2.0 exceptions/Linux-syscall-note; do
		[ -s "$top/LICENSES/$f" ] || { echo "LICENSES/$f"; bad=1; }
	done
	return $bad
}
check spdx "wrong SPDX header or missing license text, see $rel/spdx.log" \
	spdx.log spdx_ok

# ----------------------------------------------------------- pkg-config

# pkg-config sees only the DESTDIR's .pc files, and prefixes their paths
pc() {
	PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_LIBDIR=$lib/pkgconfig \
	PKG_CONFIG_PATH=$lib/pkgconfig pkg-config "$@"
}
pkgconfig_ok() {
	local v
	v=$(pc --modversion libioasid) && echo "modversion $v" && [ "$v" = 0.1.0 ] &&
	v=$(pc --cflags --libs libioasid) && echo "libioasid: $v" &&
	[ "${v%% }" = "-I$inc -L$lib -lioasid" ] &&
	v=$(pc --cflags --libs ioasid-uapi) && echo "ioasid-uapi: $v" &&
	[ "${v%% }" = "-I$inc" ]
}
check pkg-config "pkg-config --cflags --libs libioasid / ioasid-uapi give the wrong flags, see $rel/pkg-config.log" \
	pkg-config.log pkgconfig_ok

# A program written for upstream iommufd, unchanged: upstream's header
# names, upstream's numbers and layouts, and one libioasid call
mkdir -p "$tmp/prog"
cat >"$tmp/prog/upstream.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include <libioasid.h>

/* Upstream Linux's numbers and layouts */
_Static_assert(IOMMU_IOAS_ALLOC == 0x3b81, "IOMMU_IOAS_ALLOC");
_Static_assert(IOMMU_IOAS_MAP == 0x3b85, "IOMMU_IOAS_MAP");
_Static_assert(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(VFIO_DEVICE_BIND_IOMMUFD == 0x3b76, "BIND_IOMMUFD");
_Static_assert(VFIO_DEVICE_ATTACH_IOMMUFD_PT == 0x3b77, "ATTACH_IOMMUFD_PT");
/* Linux 6.17's layout, with the VF token */
_Static_assert(sizeof(struct vfio_device_bind_iommufd) == 24, "bind");
_Static_assert(VFIO_DEVICE_BIND_FLAG_TOKEN == 1, "BIND_FLAG_TOKEN");
_Static_assert(sizeof(struct vfio_device_attach_iommufd_pt) == 12, "attach");
/* and Debian's own <linux/vfio.h> is still there */
_Static_assert(VFIO_DEVICE_GET_INFO == 0x3b6b, "VFIO_DEVICE_GET_INFO");

int detach_cmd(void);

/* Map one page for the device behind @cdev, the upstream way */
static int map_for(const char *cdev, void *buf)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (unsigned long)buf,
		.length = 4096,
		.iova = 1 << 20,
	};
	int iommufd = open("/dev/ioasid", O_RDWR);
	int devfd = open(cdev, O_RDWR);

	bind.iommufd = iommufd;
	if (iommufd < 0 || devfd < 0 ||
	    ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	attach.pt_id = alloc.out_ioas_id;
	map.ioas_id = alloc.out_ioas_id;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ||
	    ioctl(iommufd, IOMMU_IOAS_MAP, &map))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct ioasid_dev dev;

	if (argc > 1)
		return map_for(argv[1], page) ? 1 : 0;
	memset(&dev, 0, sizeof(dev));
	printf("ioasid_errmsg: \"%s\"; detach 0x%x\n", ioasid_errmsg(&dev),
	       detach_cmd());
	return 0;
}
EOF
# The other order, <linux/vfio.h> alone first
cat >"$tmp/prog/other.c" <<'EOF'
#include <linux/vfio.h>
#include <linux/iommufd.h>

int detach_cmd(void);

int detach_cmd(void)
{
	struct vfio_device_detach_iommufd_pt detach = { .argsz = sizeof(detach) };

	return detach.argsz ? VFIO_DEVICE_DETACH_IOMMUFD_PT : 0;
}
EOF
# Headers only (ioasid-uapi.pc): no libioasid
cat >"$tmp/prog/uapi.c" <<'EOF'
#include <stdio.h>
#include <linux/vfio.h>

int main(void)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };

	printf("0x%lx %u\n", (unsigned long)VFIO_DEVICE_BIND_IOMMUFD, bind.argsz);
	return 0;
}
EOF
compile_upstream() {
	local w=(-Wall -Wextra -Wpedantic -Werror) lib_flags uapi_flags static_flags

	read -ra lib_flags <<<"$(pc --cflags --libs libioasid)" &&
	read -ra uapi_flags <<<"$(pc --cflags ioasid-uapi)" &&
	read -ra static_flags <<<"$(pc --static --cflags --libs libioasid)" &&
	cc "${w[@]}" -o "$tmp/prog/upstream" "$tmp/prog/upstream.c" \
		"$tmp/prog/other.c" "${lib_flags[@]}" &&
	cc "${w[@]}" -o "$tmp/prog/uapi" "$tmp/prog/uapi.c" "${uapi_flags[@]}" &&
	cc "${w[@]}" -static -o "$tmp/prog/upstream-static" "$tmp/prog/upstream.c" \
		"$tmp/prog/other.c" "${static_flags[@]}"
}
check compile-upstream "an upstream iommufd program does not build with pkg-config's flags, see $rel/compile.log" \
	compile.log compile_upstream

# It runs, with libioasid.so.0 from the DESTDIR
run_upstream() {
	local out
	out=$(LD_TRACE_LOADED_OBJECTS=1 LD_LIBRARY_PATH=$lib "$tmp/prog/upstream") &&
	echo "$out" &&
	grep -q "libioasid\.so\.0 => $lib/libioasid\.so\.0 " <<<"$out" &&
	out=$(LD_LIBRARY_PATH=$lib "$tmp/prog/upstream") && echo "$out" &&
	[ "$out" = 'ioasid_errmsg: ""; detach 0x3b78' ] &&
	out=$("$tmp/prog/upstream-static") && [ "$out" = 'ioasid_errmsg: ""; detach 0x3b78' ] &&
	out=$("$tmp/prog/uapi") && echo "$out" && [ "$out" = '0x3b76 24' ]
}
check run-upstream "the upstream program does not run against the DESTDIR's libioasid.so.0, see $rel/run.log" \
	run.log run_upstream

# ---------------------------------------------------------------- tools

# --help and -h: usage, options, exit status; libioasid.so.0 from the DESTDIR
help_ok() {
	local out rc
	out=$(LD_LIBRARY_PATH=$lib "$dest/usr/bin/$1" --help)
	rc=$?
	echo "$out"
	[ $rc -eq 0 ] || { echo "--help: exit $rc"; return 1; }
	grep -q "^Usage: $1 " <<<"$out" &&
	grep -qi '^Exit status' <<<"$out" &&
	grep -qi 'options:' <<<"$out" &&
	LD_LIBRARY_PATH=$lib "$dest/usr/bin/$1" -h >/dev/null &&
	if readelf -dW "$dest/usr/bin/$1" | grep -q 'libioasid\.so\.0'; then
		LD_TRACE_LOADED_OBJECTS=1 LD_LIBRARY_PATH=$lib "$dest/usr/bin/$1" |
			grep -q "libioasid\.so\.0 => $lib/"
	fi
}

badopt_ok() {
	local err rc
	err=$(LD_LIBRARY_PATH=$lib "$dest/usr/bin/$1" --no-such-option 2>&1 >/dev/null)
	rc=$?
	echo "$err"
	[ $rc -eq 2 ] && grep -q "^Usage: $1 " <<<"$err"
}

man_ok() {
	local page=$dest/usr/share/man/man1/$1.1 out
	[ -r "$page" ] || { echo "no man page $page"; return 1; }
	out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$out" ] || { echo "man: $out"; return 1; }
	out=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$out" ] || { echo "groff: $out"; return 1; }
	# whatis sees the right NAME
	out=$(lexgrog "$page") && echo "$out" &&
	grep -q ": \"$1 - " <<<"$out" &&
	MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS'
}

# One line per option, "-x: default 16, range 1-64", from the Options of
# --help (stdin) or from the OPTIONS section of the rendered man page
help_options() {
	awk '
	/^Options:/ { on = 1; next }
	on && /^[^ ]/ { on = 0 }
	on && /^  -[A-Za-z]/ { opt = substr($1, 1, 2); sub(/,$/, "", opt) }
	on && opt { text[opt] = text[opt] " " $0 }
	END { for (o in text) print o "\t" text[o] }' | options_facts
}
man_options() {
	awk '
	/^OPTIONS/ { on = 1; next }
	on && /^[A-Z]/ { on = 0 }
	on && /^       -[A-Za-z]/ { opt = substr($1, 1, 2); sub(/,$/, "", opt) }
	on && opt { text[opt] = text[opt] " " $0 }
	END { for (o in text) print o "\t" text[o] }' | options_facts
}
options_facts() {
	local opt text d r
	while IFS=$'\t' read -r opt text; do
		# shellcheck disable=SC2001 # "1 to 16" is "1-16": a back-reference
		text=$(sed -e 's/\([0-9]\) to \([0-9]\)/\1-\2/g' <<<"$text")
		d=$(grep -o 'default [0-9]*' <<<"$text" | head -n 1)
		r=$(grep -oE '\b[0-9]+-[0-9]+\b' <<<"$text" | head -n 1)
		echo "$opt: ${d:-no default}, range ${r:-none}"
	done | sort
}

# The man page's options are --help's, with the same defaults and ranges
man_agrees() {
	local page=$dest/usr/share/man/man1/$1.1 h m
	h=$(LD_LIBRARY_PATH=$lib "$dest/usr/bin/$1" --help | help_options)
	m=$(MANWIDTH=200 man -l "$page" 2>/dev/null | man_options)
	echo "--help:"; echo "$h"; echo "man page:"; echo "$m"
	[ -n "$h" ] && [ "$h" = "$m" ]
}

tools=()
for f in "$dest"/usr/bin/*; do
	[ -x "$f" ] && tools+=("$(basename "$f")")
done
[ ${#tools[@]} -gt 0 ] || fail tools "no tool installed in $dest/usr/bin"
for t in "${tools[@]}"; do
	check "help/$t" "$t --help or -h does not exit 0 with usage, options and exit status, see $rel/help-$t.log" \
		"help-$t.log" help_ok "$t"

	check "bad-option/$t" "$t --no-such-option does not exit 2 with a usage line, see $rel/badopt-$t.log" \
		"badopt-$t.log" badopt_ok "$t"

	check "man/$t" "the man page of $t is missing, renders with warnings or lacks NAME/EXIT STATUS, see $rel/man-$t.log" \
		"man-$t.log" man_ok "$t"

	check "man-options/$t" "the man page of $t and its --help differ in options, defaults or ranges, see $rel/man-options-$t.log" \
		"man-options-$t.log" man_agrees "$t"
done

# No installed path is a Debian package's: neither at /usr/lib nor at the
# multiarch libdir a package would use.  dpkg knows installed packages only.
collisions() {
	local f path arch found=0
	command -v dpkg >/dev/null 2>&1 || { echo "no dpkg"; return 0; }
	arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || cc -print-multiarch)
	while read -r path; do
		if dpkg -S "$path" >/dev/null 2>&1; then
			echo "$path: $(dpkg -S "$path" 2>/dev/null)"
			found=1
		else
			echo "$path: no package"
		fi
		case "$path" in
		/usr/include/linux/* | /usr/include/asm*) echo "$path: linux-libc-dev's"; found=1 ;;
		esac
	done < <(cd "$dest" && find . \( -type f -o -type l \) -printf '%P\n' |
		 while read -r f; do echo "/$f"; echo "/${f/usr\/lib\//usr/lib/$arch/}"; done |
		 sort -u)
	return $found
}
check dpkg-collision "an installed path belongs to a Debian package, see $rel/dpkg.log" \
	dpkg.log collisions

# ------------------------------------------------------------- uninstall

uninstall_ok() {
	submakes uninstall DESTDIR="$dest" PREFIX=/usr || return 1
	echo "left:"
	find "$dest" ! -type d
	[ -z "$(find "$dest" ! -type d)" ] && [ ! -e "$inc" ]
}
check uninstall "make uninstall left files in DESTDIR, see $rel/uninstall.log" \
	uninstall.log uninstall_ok

echo "check-install: $npass passed, $nfail failed" >&2
[ $nfail -eq 0 ]
