# SPDX-License-Identifier: GPL-2.0-only
# What samples/ioasid/Makefile and samples/nvme/Makefile share: the static
# or dynamic link with libioasid, and install/uninstall/clean.  The includer
# sets PROGS (what it builds), INSTALL_PROGS (what it installs, each with a
# man page in Documentation/man; default PROGS) and its rules, with
# $(ALL_CFLAGS), $(LIB), $(MODE) and $(ALL_LDFLAGS).
OUTPUT ?= .
TOP := ../..
LIBSRC := $(TOP)/tools/lib/ioasid
MANSRC := $(TOP)/Documentation/man
INSTALL_PROGS ?= $(PROGS)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
INSTALL ?= install
INSTALL_PROGRAM ?= $(INSTALL) -m 0755
INSTALL_DATA ?= $(INSTALL) -m 0644

STATIC ?= 1
ifeq ($(STATIC),1)
LIB := $(OUTPUT)/lib/libioasid.a
LIB_TARGET := static
LINK := -static
else ifeq ($(STATIC),0)
LIB := $(OUTPUT)/lib/libioasid.so
LIB_TARGET := shared
LINK :=
else
$(error STATIC must be 1 (static binaries) or 0 (linked with libioasid.so))
endif
# Rebuild when STATIC changes
MODE := $(OUTPUT)/lib/.static-$(STATIC)

CFLAGS ?= -O2 -g
ALL_CFLAGS := -Wall -Wextra -I$(TOP)/include/uapi -I$(LIBSRC) $(CPPFLAGS) \
	$(CFLAGS)
ALL_LDFLAGS := $(LINK) $(LDFLAGS)

all: $(addprefix $(OUTPUT)/,$(PROGS))

$(MODE):
	@mkdir -p $(dir $@)
	@rm -f $(OUTPUT)/lib/.static-*
	@touch $@

# Always ask the library's make: it knows its own dependencies
$(LIB): FORCE
	@$(MAKE) -s -C $(LIBSRC) OUTPUT=$(abspath $(OUTPUT))/lib $(LIB_TARGET)

# An empty directory (LIBDIR= from a caller) would install into DESTDIR/
need_dirs = $(foreach v,$(1),$(if $(strip $($(v))),,$(error $(v) is empty)))

install:
	$(call need_dirs,BINDIR MANDIR)
	@for f in $(addprefix $(OUTPUT)/,$(INSTALL_PROGS)); do \
		test -e "$$f" || { echo "$$f is not built: run '$(MAKE) -C $(CURDIR)$(if $(filter-out .,$(OUTPUT)), OUTPUT=$(OUTPUT))' first (install never builds)" >&2; exit 1; }; \
	done
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL_PROGRAM) $(addprefix $(OUTPUT)/,$(INSTALL_PROGS)) $(DESTDIR)$(BINDIR)/
	$(INSTALL_DATA) $(addprefix $(MANSRC)/,$(addsuffix .1,$(INSTALL_PROGS))) \
		$(DESTDIR)$(MANDIR)/man1/

uninstall:
	$(call need_dirs,BINDIR MANDIR)
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(INSTALL_PROGS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(addsuffix .1,$(INSTALL_PROGS)))

clean:
	rm -f $(addprefix $(OUTPUT)/,$(PROGS))
	rm -rf $(OUTPUT)/lib

FORCE:
.PHONY: all install uninstall clean FORCE
