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
# KERNEL_FLAVOUR=upstream builds the upstream kernel of make
# bench-upstream: Debian's linux-source-6.12 (fetched with apt-get
# download, never installed) configured from Debian's own 6.12 amd64
# config with every module off, plus scripts/upstream-kernel.config
# (iommufd, VFIO and vfio-pci built in); cached in
# ~/.cache/ioasid-upstream-kernel and linked as build/upstream-kernel.
# It has no modules, so --modules is refused.  UPSTREAM_KERNEL_VERSION=
# picks the Debian version of linux-source-6.12 (default: apt's
# candidate, from bookworm-security or bookworm-backports).
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
#   deb/         upstream only: the downloaded .debs of linux-source-6.12
#                and linux-config-6.12
#   obj/         the O= build tree: obj/arch/x86/boot/bzImage, and the KDIR
#                for external modules (make -C DIR/obj M=...)
#   mods/        make modules_install INSTALL_MOD_PATH=DIR/mods
#   env          shell assignments of the paths above, for the harness
#   key          what the cache was built from; build-time.txt how long
#   modules/<h>/ our modules built against obj/, one directory per checkout
#
# The cache key hashes this script, the config fragment, the
# linux-source-6.1 (6.12) package version and the compiler: a second run
# with the same inputs does nothing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${KERNEL_FLAVOUR:-debug}
# The source package; the debug flavours' is installed, upstream's is
# downloaded into the cache
srcpkg=linux-source-6.1
case "$flavour" in
debug) frags=("$top/scripts/debug-kernel.config") ;;
coverage) frags=("$top/scripts/debug-kernel.config" "$top/scripts/coverage-kernel.config") ;;
upstream) frags=("$top/scripts/upstream-kernel.config"); srcpkg=linux-source-6.12 ;;
*) echo "debug-kernel.sh: KERNEL_FLAVOUR is debug, coverage or upstream, not $flavour" >&2; exit 2 ;;
esac
gcov=""
[ "$flavour" = coverage ] && gcov=1
srctar=/usr/src/$srcpkg.tar.xz
build_modules=0

# log, die, link_to, apt_download_dir, apt_add_backports
# shellcheck source=scripts/fetch-lib.sh
. "$top/scripts/fetch-lib.sh"
prog=$flavour-kernel

# The fragments as one: for a symbol set by several, the last line wins
merge_fragments() {
	awk '
		/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { sym = $2 }
		/^CONFIG_[A-Za-z0-9_]+=/ { sym = $0; sub(/=.*/, "", sym) }
		/^#/ && !/^# CONFIG_[A-Za-z0-9_]+ is not set$/ || /^$/ { next }
		{ if (!(sym in line)) order[++n] = sym; line[sym] = $0 }
		END { for (i = 1; i <= n; i++) print line[order[i]] }' "$@"
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
		[ "$flavour" != upstream ] || fetch_upstream
		log "unpacking $srcpkg $srcver"
		rm -rf "$src" "$obj"
		mkdir -p "$src"
		tar -xJf "$srctar" -C "$src" --strip-components=1
		echo "$srcver" >"$src/.version"
		# The .debs stay; their unpacked tarball is in src/ now
		rm -rf "$cache/deb/x"
	fi
	[ -e "$obj/vmlinux" ] || kind="from scratch"
	mkdir -p "$obj"

	if [ "$flavour" = upstream ]; then
		[ -s "$cache/debian.config" ] || fetch_upstream
		log "configuring (Debian's amd64 config, modules off + ${frags[*]##*/})"
		cp "$cache/debian.config" "$obj/.config"
		# Debian's config names Debian's compiler; olddefconfig
		# takes ours, then mod2noconfig turns every =m into =n
		{ make -s -C "$src" O="$obj" olddefconfig &&
		  make -s -C "$src" O="$obj" mod2noconfig; } >"$cache/config.log" 2>&1 ||
			{ cat "$cache/config.log" >&2; die "make mod2noconfig failed"; }
	else
		log "configuring (x86_64_defconfig + ${frags[*]##*/})"
		make -s -C "$src" O="$obj" defconfig >"$cache/config.log" 2>&1
	fi
	apply_fragment
	# Kconfig's notes ("changes choice state") go to the log; what matters
	# is checked by verify_fragment
	make -s -C "$src" O="$obj" olddefconfig >>"$cache/config.log" 2>&1 ||
		{ cat "$cache/config.log" >&2; die "make olddefconfig failed"; }
	verify_fragment

	log "building with $make_j (${targets[*]}); log in $cache/build.log"
	start=$(date +%s)
	if ! make -C "$src" O="$obj" "$make_j" "${targets[@]}" >"$cache/build.log" 2>&1; then
		tail -n 30 "$cache/build.log" >&2
		die "kernel build failed; see $cache/build.log"
	fi
	rm -rf "$mods"
	mkdir -p "$mods"
	if [ "$flavour" != upstream ]; then
		make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$mods" modules_install \
			>>"$cache/build.log" 2>&1 || die "modules_install failed; see $cache/build.log"
	fi
	secs=$(( $(date +%s) - start ))
	# Known only once the build has generated include/config/auto.conf
	release=$(cat "$obj/include/config/kernel.release")

	# The last build in build-time.txt, every build in build-times.log:
	# an incremental rebuild's time says nothing about a cold cache's
	printf 'built %s %s in %dm%02ds (%ss) with %s on %s CPUs, %s\n' \
		"$release" "$kind" $((secs / 60)) $((secs % 60)) "$secs" \
		"$make_j" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)" |
		tee "$cache/build-time.txt" | tee -a "$cache/build-times.log" |
		sed "s/^/$prog: /"

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
				echo "$prog: wanted '$line', got '$(grep "^$sym=" "$obj/.config")'" >&2
				bad=1
			fi
			;;
		""|"#"*) ;;
		*)
			if ! grep -qxF "$line" "$obj/.config"; then
				sym=${line%%=*}
				echo "$prog: wanted '$line', got '$(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo "$sym absent")'" >&2
				bad=1
			fi
			;;
		esac
	done <"$frag"
	[ $bad -eq 0 ] || die "olddefconfig dropped options of $frag (unmet dependencies?)"
}

# The upstream flavour's inputs, from Debian's archive without installing
# anything: linux-source-6.12 and linux-config-6.12 of version $srcver
# (apt-get download into DIR/deb, dpkg -x), giving $srctar and
# DIR/debian.config, Debian's own amd64 config of that release
fetch_upstream() {
	local deb=$cache/deb x=$cache/deb/x

	if [ ! -s "$deb/${srcpkg}_${srcver//:/%3a}_all.deb" ] ||
	   ! ls "$deb"/linux-config-6.12_"${srcver//:/%3a}"_amd64.deb >/dev/null 2>&1; then
		rm -rf "$deb"
		apt_download_dir "$deb"
		log "downloading $srcpkg and linux-config-6.12 $srcver"
		(cd "$deb" && apt-get download -q "$srcpkg=$srcver" \
			"linux-config-6.12=$srcver") >"$cache/fetch.log" 2>&1 ||
			{ cat "$cache/fetch.log" >&2; die "apt-get download failed"; }
	fi
	rm -rf "$x"
	dpkg -x "$deb/${srcpkg}_${srcver//:/%3a}_all.deb" "$x"
	dpkg -x "$deb"/linux-config-6.12_"${srcver//:/%3a}"_amd64.deb "$x"
	xz -dc "$x/usr/src/linux-config-6.12/config.amd64_none_amd64.xz" \
		>"$cache/debian.config"
	srctar=$x/usr/src/$srcpkg.tar.xz
}

# The version of linux-source-6.12 to build: UPSTREAM_KERNEL_VERSION, or
# apt's candidate.  A machine whose apt knows none gets a bookworm-backports
# entry (root only), as scripts/qemu-stock.sh adds it.
upstream_version() {
	local v

	if [ -n "${UPSTREAM_KERNEL_VERSION:-}" ]; then
		echo "$UPSTREAM_KERNEL_VERSION"
		return 0
	fi
	v=$(apt-cache policy "$srcpkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$v" ] || [ "$v" = "(none)" ]; then
		[ "$(id -u)" -eq 0 ] ||
			die "apt knows no $srcpkg; run once as root to add bookworm-backports"
		apt_add_backports bookworm-backports >&2
		apt-get update -qq >&2
		v=$(apt-cache policy "$srcpkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	fi
	case "$v" in
	""|"(none)") die "apt knows no $srcpkg" ;;
	esac
	echo "$v"
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

	[ "$flavour" != upstream ] || [ $build_modules = 0 ] ||
		die "the upstream kernel has no modules to build ours against"

	# The config starts from x86_64_defconfig and the harness boots an
	# x86_64 guest: refuse to build a kernel for anything else.
	[ "$(uname -m)" = x86_64 ] || die "only x86_64 hosts are supported"

	# Build dependencies of a kernel that the out-of-tree module build does
	# not need, so scripts/setup.sh (and plain make check) stays lean:
	# kconfig's parser is generated by bison/flex, objtool links against
	# libelf, and certs/ and scripts/sign-file want the OpenSSL headers.
	local need_pkgs missing p
	need_pkgs=(bc bison flex libelf-dev libssl-dev make gcc xz-utils kmod)
	[ "$flavour" = upstream ] || need_pkgs+=("$srcpkg")
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

	if [ "$flavour" = upstream ]; then
		srcver=$(upstream_version)
		targets=(bzImage)
	else
		srcver=$(dpkg-query -W -f='${Version}' "$srcpkg")
		targets=(bzImage modules)
	fi
	key=$( {
		echo "$srcpkg $srcver"
		gcc --version | head -n 1
		sha256sum <"$0"
		cat "${frags[@]}" | sha256sum
	} | sha256sum | cut -d' ' -f1)

	if [ -n "${DEBUG_KERNEL_DIR:-}" ]; then
		cache=$DEBUG_KERNEL_DIR
		mkdir -p "$cache"
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/ioasid-$flavour-kernel
		mkdir -p "$cache"
		# A real directory in the tree is an old cache, gutted by the
		# first make lint: link_to replaces it
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
		[ "$flavour" = upstream ] || {
			mkdir -p "$modout"
			link_to "$top/build/$flavour-modules" "$modout"
		}
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
