# Build and install the ytx C library: header, shared and static libraries,
# and a pkg-config file.
#
#   make                       # cargo build --release
#   make install PREFIX=/usr/local [DESTDIR=...]
#   cc app.c $(pkg-config --cflags --libs ytx)
#   make dist                  # the portable artifacts into dist/ (scripts/dist.sh):
#                              # glibc 2.17 libytx.so + C tarball, win-x64/win-x86
#                              # ytx.dll + ytx.def + ytx.lib, Python wheel and sdist,
#                              # NuGet package (tools: bash tests/setup.sh)
#
# Cargo does the building; this file only copies the results into place,
# from where cargo put them: its target directory as `cargo metadata` reports
# it (so CARGO_TARGET_DIR and build.target-dir are honoured), or the
# directory given as `make ... TARGET_DIR=/path` (cargo then builds there too).

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=
CARGO      ?= cargo
ifneq ($(origin TARGET_DIR),command line)
TARGET_DIR := $(shell $(CARGO) metadata --format-version 1 --no-deps 2>/dev/null | \
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null)
endif
ifeq ($(strip $(TARGET_DIR)),)
$(error could not ask cargo for its target directory (cargo metadata); set TARGET_DIR=...)
endif
PROFILE_DIR := $(TARGET_DIR)/release
VERSION    := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR      := $(word 1,$(subst ., ,$(VERSION)))
# What a program linking the static library needs (rustc --print native-static-libs).
STATIC_LIBS := -lssl -lcrypto -lgcc_s -lutil -lrt -lpthread -lm -ldl

.PHONY: all build install uninstall clean dist

all: build

build:
	YTX_SONAME=libytx.so.$(MAJOR) $(CARGO) build --release --lib --target-dir "$(TARGET_DIR)"

install: build
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/ytx.h $(DESTDIR)$(INCLUDEDIR)/ytx.h
	install -m 755 $(PROFILE_DIR)/libytx.so $(DESTDIR)$(LIBDIR)/libytx.so.$(VERSION)
	ln -sf libytx.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libytx.so.$(MAJOR)
	ln -sf libytx.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libytx.so
	install -m 644 $(PROFILE_DIR)/libytx.a $(DESTDIR)$(LIBDIR)/libytx.a
	printf '%s\n' \
	  'prefix=$(PREFIX)' \
	  'libdir=$(LIBDIR)' \
	  'includedir=$(INCLUDEDIR)' \
	  '' \
	  'Name: ytx' \
	  'Description: Client for the ytx.net voice platform (callback calls, voice codes)' \
	  'Version: $(VERSION)' \
	  'Cflags: -I$${includedir}' \
	  'Libs: -L$${libdir} -lytx' \
	  'Libs.private: $(STATIC_LIBS)' \
	  > $(DESTDIR)$(PKGCONFIGDIR)/ytx.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ytx.h $(DESTDIR)$(LIBDIR)/libytx.so* \
	      $(DESTDIR)$(LIBDIR)/libytx.a $(DESTDIR)$(PKGCONFIGDIR)/ytx.pc

clean:
	$(CARGO) clean

dist:
	CARGO_TARGET_DIR="$(TARGET_DIR)" bash scripts/dist.sh
