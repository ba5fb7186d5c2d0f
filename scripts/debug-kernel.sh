#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build and cache a debug kernel (KASAN, lockdep, kmemleak, UBSAN, debug
# objects, fault injection) from Debian's linux-source-6.1, for the VM
# tests of make check-debug.  See Documentation/dev-tools/debug-kernel.rst.
#
#   debug-kernel.sh             build the kernel, or reuse the cached one
#   debug-kernel.sh --modules   also build ioasid-core.ko and vfio-ioasid-pci.ko
#                               against it, into build/debug-modules
#
# Environment: DEBUG_KERNEL_DIR=dir caches the kernel there, used as given;
# DEBUG_MODULES_DIR=dir is where --modules puts our modules.
# KERNEL_FLAVOUR=coverage builds the coverage kernel of make coverage
# instead: scripts/coverage-kernel.config on top of debug-kernel.config
# (gcov, no sanitizers), cached in ~/.cache/ioasid-coverage-kernel and
# linked as build/coverage-kernel and build/coverage-modules; --modules
# then builds our test modules with GCOV_PROFILE=y.
#
# By default build/debug-kernel and build/debug-modules are symlinks into
# ${XDG_CACHE_HOME:-~/.cache}/ioasid-debug-kernel.  They cannot be real
# directories: "make -C <kdir> M=<this tree> clean", which make lint runs,
# deletes every *.o, *.ko and .*.cmd file below the tree, and would gut a
# kernel build tree kept there; its find does not follow symlinks.  The
# cache also survives make clean, which removes only the links, and is
# shared by the checkouts of one user.
#
# Cache layout (DIR):
#   src/         the unpacked linux-source-6.1 (never built in)
#   obj/         the O= build tree: obj/arch/x86/boot/bzImage, and the KDIR
#                for external modules (make -C DIR/obj M=...)
#   mods/        make modules_install INSTALL_MOD_PATH=DIR/mods
#   env          shell assignments of the paths above, for the harness
#   key          what the cache was built from; build-time.txt how long
#   modules/<h>/ our modules built against obj/, one directory per checkout
#
# The cache key hashes this script, the config fragment, the
# linux-source-6.1 package version and the compiler: a second run with the
# same inputs does nothing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${KERNEL_FLAVOUR:-debug}
case "$flavour" in
debug) frags=("$top/scripts/debug-kernel.config") ;;
coverage) frags=("$top/scripts/debug-kernel.config" "$top/scripts/coverage-kernel.config") ;;
*) echo "debug-kernel.sh: KERNEL_FLAVOUR is debug or coverage, not $flavour" >&2; exit 2 ;;
esac
gcov=""
[ "$flavour" = coverage ] && gcov=1
srctar=/usr/src/linux-source-6.1.tar.xz
build_modules=0

log() { echo "$flavour-kernel: $*"; }
die() { echo "$flavour-kernel: $*" >&2; exit 1; }

# The fragments as one: for a symbol set by several, the last line wins
merge_fragments() {
	awk '
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { sym = $2 }
		/^CONFIG_[A-Za-z0-9_]+=/ { sym = $0; sub(/=.*/, "", sym) }
		/^#/ && !/^# CONFIG_[A-Za-z0-9_]+ is not set$/ || /^$/ { next }
		{ if (!(sym in line)) order[++n] = sym; line[sym] = $0 }
		END { for (i = 1; i <= n; i++) print line[order[i]] }' "$@"
}

# Make the in-tree path $1 a symlink to the directory $2
link_to() {
	mkdir -p "$2" "$(dirname "$1")"
	[ "$(readlink "$1" 2>/dev/null)" = "$2" ] && return 0
	# A real directory here is an old cache, gutted by the first make lint
	rm -rf "$1"
	ln -s "$2" "$1"
}

cache_valid() {
	[ "$(cat "$cache/key" 2>/dev/null)" = "$key" ] &&
		[ -s "$cache/env" ] && [ -s "$obj/arch/x86/boot/bzImage" ]
}

build_kernel() {
	local start secs release make_j kind=incremental

	make_j=-j$(nproc)
	rm -f "$cache/key" "$cache/env"

	# A new source package version means a new tree; the old objects go
	# too, since kbuild would not notice sources older than its objects.
	if [ "$(cat "$src/.version" 2>/dev/null)" != "$srcver" ]; then
		log "unpacking linux-source-6.1 $srcver"
		rm -rf "$src" "$obj"
		mkdir -p "$src"
		tar -xJf "$srctar" -C "$src" --strip-components=1
		echo "$srcver" >"$src/.version"
	fi
	[ -e "$obj/vmlinux" ] || kind="from scratch"
	mkdir -p "$obj"

	log "configuring (x86_64_defconfig + ${frags[*]##*/})"
	make -s -C "$src" O="$obj" defconfig >"$cache/config.log" 2>&1
	apply_fragment
	# Kconfig's notes ("changes choice state") go to the log; what matters
	# is checked by verify_fragment
	make -s -C "$src" O="$obj" olddefconfig >>"$cache/config.log" 2>&1 ||
		{ cat "$cache/config.log" >&2; die "make olddefconfig failed"; }
	verify_fragment

	log "building with $make_j (bzImage + modules); log in $cache/build.log"
	start=$(date +%s)
	if ! make -C "$src" O="$obj" "$make_j" bzImage modules >"$cache/build.log" 2>&1; then
		tail -n 30 "$cache/build.log" >&2
		die "kernel build failed; see $cache/build.log"
	fi
	rm -rf "$mods"
	make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$mods" modules_install \
		>>"$cache/build.log" 2>&1 || die "modules_install failed; see $cache/build.log"
	secs=$(( $(date +%s) - start ))
	# Known only once the build has generated include/config/auto.conf
	release=$(cat "$obj/include/config/kernel.release")

	# The last build in build-time.txt, every build in build-times.log:
	# an incremental rebuild's time says nothing about a cold cache's
	printf 'built %s %s in %dm%02ds (%ss) with %s on %s CPUs, %s\n' \
		"$release" "$kind" $((secs / 60)) $((secs % 60)) "$secs" \
		"$make_j" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)" |
		tee "$cache/build-time.txt" | tee -a "$cache/build-times.log" |
		sed 's/^/debug-kernel: /'

	cat >"$cache/env" <<-EOF
	DEBUG_KERNEL_RELEASE=$release
	DEBUG_KERNEL_IMAGE=$obj/arch/x86/boot/bzImage
	DEBUG_KERNEL_MODULES=$mods
	DEBUG_KERNEL_KDIR=$obj
	EOF
	# Written last: the cache is valid only once everything above is done
	echo "$key" >"$cache/key"
}

# Fragment lines to scripts/config arguments.  scripts/config only edits
# .config; olddefconfig then resolves dependencies and selects.
apply_fragment() {
	local line sym val args=()

	while IFS= read -r line; do
		case "$line" in
		"# CONFIG_"*" is not set")
			sym=${line#"# CONFIG_"}
			args+=(--disable "${sym%" is not set"}")
			;;
		""|"#"*) ;;
		CONFIG_*=*)
			sym=${line%%=*}
			sym=${sym#CONFIG_}
			val=${line#*=}
			case "$val" in
			y) args+=(--enable "$sym") ;;
			m) args+=(--module "$sym") ;;
			\"*\") val=${val#\"}; args+=(--set-str "$sym" "${val%\"}") ;;
			*) args+=(--set-val "$sym" "$val") ;;
			esac
			;;
		*) die "cannot parse '$line' in $frag" ;;
		esac
	done <"$frag"
	"$src/scripts/config" --file "$obj/.config" "${args[@]}"
}

# Every line of the fragment must hold in the final .config.  olddefconfig
# silently drops what a dependency forbids; say which and stop.
verify_fragment() {
	local line sym bad=0

	while IFS= read -r line; do
		case "$line" in
		"# CONFIG_"*" is not set")
			sym=${line#"# "}
			sym=${sym%" is not set"}
			if grep -q "^$sym=" "$obj/.config"; then
				echo "debug-kernel: wanted '$line', got '$(grep "^$sym=" "$obj/.config")'" >&2
				bad=1
			fi
			;;
		""|"#"*) ;;
		*)
			if ! grep -qxF "$line" "$obj/.config"; then
				sym=${line%%=*}
				echo "debug-kernel: wanted '$line', got '$(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo "$sym absent")'" >&2
				bad=1
			fi
			;;
		esac
	done <"$frag"
	[ $bad -eq 0 ] || die "olddefconfig dropped options of $frag (unmet dependencies?)"
}

# Our two modules against the debug kernel, built from copies of the
# sources so the normal build's objects in drivers/ are left alone: the
# test build in DIR, the production ioasid-core.ko in DIR/prod (run-tests.sh's
# IOASID_KO_DIR layout).
build_our_modules() {
	local kdir=$obj scratch=$modout/src

	rm -rf "$scratch" "$scratch-prod" "$modout/prod"
	rm -f "$modout"/*.ko
	# Sources only: the normal build's objects and .cmd files must not leak
	# into a build against another kernel.
	"$top/scripts/module-src.sh" "$scratch"
	"$top/scripts/module-src.sh" "$scratch-prod"
	{ make -C "$kdir" M="$scratch" CONFIG_DEV_IOASID_TEST=y \
		${gcov:+GCOV_PROFILE=y} -j"$(nproc)" modules &&
	  make -C "$kdir" M="$scratch-prod" -j"$(nproc)" modules; } \
		>"$modout/build.log" 2>&1 || {
		cat "$modout/build.log" >&2
		die "building our modules against the debug kernel failed"
	}
	cp "$scratch/drivers/ioasid/ioasid-core.ko" \
		"$scratch/drivers/vfio/pci/ioasid/vfio-ioasid-pci.ko" "$modout/"
	mkdir -p "$modout/prod"
	cp "$scratch-prod/drivers/ioasid/ioasid-core.ko" "$modout/prod/"
	log "modules in $modout: $(cd "$modout" && echo ./*.ko prod/*.ko)"
}

# Everything runs from main, and the last line exits: bash reads a script
# as it goes, and a kernel build is long enough for someone to edit this
# file meanwhile.
main() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--modules) build_modules=1; shift ;;
		*) echo "debug-kernel.sh: unknown option $1" >&2; exit 2 ;;
		esac
	done

	# The config starts from x86_64_defconfig and the harness boots an
	# x86_64 guest: refuse to build a kernel for anything else.
	[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"

	# Build dependencies of a kernel that the out-of-tree module build does
	# not need, so scripts/setup.sh (and plain make check) stays lean:
	# kconfig's parser is generated by bison/flex, objtool links against
	# libelf, and certs/ and scripts/sign-file want the OpenSSL headers.
	local need_pkgs missing p
	need_pkgs=(linux-source-6.1 bc bison flex libelf-dev libssl-dev
		make gcc xz-utils kmod)
	missing=()
	for p in "${need_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -ne 0 ]; then
		[ "$(id -u)" -eq 0 ] ||
			die "missing packages: ${missing[*]}; install them as root"
		log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi

	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	key=$( {
		echo "linux-source-6.1 $srcver"
		gcc --version | head -n 1
		sha256sum <"$0"
		cat "${frags[@]}" | sha256sum
	} | sha256sum | cut -d' ' -f1)

	if [ -n "${DEBUG_KERNEL_DIR:-}" ]; then
		cache=$DEBUG_KERNEL_DIR
		mkdir -p "$cache"
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-$flavour-kernel
		link_to "$top/build/$flavour-kernel" "$cache"
	fi
	# Physical paths: they end up in the env file and in kbuild's records
	cache=$(cd -P "$cache" && pwd)
	case "$cache/" in
	"$top"/*) log "warning: $cache is in $top: make lint deletes its objects" ;;
	esac
	src=$cache/src
	obj=$cache/obj
	mods=$cache/mods
	if [ -n "${DEBUG_MODULES_DIR:-}" ]; then
		modout=$DEBUG_MODULES_DIR
	else
		modout=$cache/modules/$(printf %s "$top" | sha256sum | cut -c1-12)
		link_to "$top/build/$flavour-modules" "$modout"
	fi

	# One builder per cache directory: a second caller waits, then finds
	# the cache valid.
	exec 9>"$cache/.lock"
	flock 9

	# The fragment applied and verified: the flavour's files as one
	mkdir -p "$cache"
	frag=$cache/fragment.config
	merge_fragments "${frags[@]}" >"$frag"

	if cache_valid; then
		log "cached: $(cat "$cache/build-time.txt" 2>/dev/null || echo "$cache")"
	else
		build_kernel
	fi
	log "kernel $obj/arch/x86/boot/bzImage, modules $mods, env $cache/env"

	if [ $build_modules = 1 ]; then
		mkdir -p "$modout"
		build_our_modules
	fi
}

main "$@"; exit $?
