# nftcsf: build, install, uninstall and package.
#   make                      release build (Swift runtime linked statically)
#   make install              DESTDIR=/staging PREFIX=/usr (defaults) - never overwrites files in /etc/csf
#   make uninstall [PURGE=1]  removes binaries, units, man pages, completions and csf's nft table;
#                             /etc/csf and /var/lib/csf stay unless PURGE=1
#   make deb                  dist/nftcsf_<version>_<arch>.deb from the same layout
#   NOBUILD=1                 use the existing release build instead of running swift build
PREFIX   ?= /usr
DESTDIR  ?=
SBINDIR  := $(PREFIX)/sbin
UNITDIR  := $(PREFIX)/lib/systemd/system
MANDIR   := $(PREFIX)/share/man/man8
BASHDIR  := $(PREFIX)/share/bash-completion/completions
ZSHDIR   := $(PREFIX)/share/zsh/vendor-completions
FISHDIR  := $(PREFIX)/share/fish/vendor_completions.d
ETCDIR   := /etc/csf
LIBDIR   := /var/lib/csf
TPLDIR   := /etc/csf/tpl
DOCDIR   := $(PREFIX)/share/doc/nftcsf
OVERRIDES := $(PREFIX)/share/lintian/overrides
MAINTAINER ?= nftcsf maintainers <maintainers@nftcsf.dev>
DETECTDIR := $(PREFIX)/share/nftcsf/detectors
PROFILEDIR := $(PREFIX)/share/nftcsf/profiles
ROTATE   := /etc/logrotate.d
BUILD    := .build/release
# sudo's secure_path drops a Swift toolchain under /opt: find it the way demo.sh and the tests do.
SWIFT    ?= $(shell bash -c '. tools/swift-on-path.sh >&2 && command -v swift')
VERSION  := $(shell sed -n 's/.*string = "\(.*\)".*/\1/p' Sources/CsfCompat/Support/Version.swift)
ARCH     := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB      := dist/nftcsf_$(VERSION)_$(ARCH).deb

.PHONY: all build install uninstall deb clean-dist

all: build

build:
	@# Our four programs only: a plain build would also build the example programs of SwiftNIO's packages.
	. tools/static-libstdcxx.sh; for p in csf lfd csf-fleet csf-ui; do $(SWIFT) build -c release --static-swift-stdlib --product $$p || exit 1; done

# NOBUILD=1 installs the binaries already in .build/release (the tests do: a nested swift build would wait on
# the running test's lock on .build).
install: $(if $(NOBUILD),,build)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHDIR) \
		$(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR) $(DESTDIR)$(TPLDIR) $(DESTDIR)$(ROTATE) \
		$(DESTDIR)$(DETECTDIR) $(DESTDIR)$(DETECTDIR)/samples $(DESTDIR)$(DOCDIR)
	install -d -m 0700 $(DESTDIR)$(ETCDIR) $(DESTDIR)$(LIBDIR)
	install -d -m 0755 $(DESTDIR)$(TPLDIR)
	install -m 0755 -s $(BUILD)/csf $(DESTDIR)$(SBINDIR)/csf
	install -m 0755 -s $(BUILD)/lfd $(DESTDIR)$(SBINDIR)/lfd
	install -m 0755 -s $(BUILD)/csf-fleet $(DESTDIR)$(SBINDIR)/csf-fleet
	install -m 0755 -s $(BUILD)/csf-ui $(DESTDIR)$(SBINDIR)/csf-ui
	@# An admin's configuration and lists are never overwritten.
	@for f in compat/etc/csf/*; do \
		[ -f "$$f" ] || continue; \
		t=$(DESTDIR)$(ETCDIR)/$$(basename $$f); \
		if [ -e "$$t" ]; then echo "kept $$t"; else install -m 0600 "$$f" "$$t"; fi; \
	done
	@# The messenger's pages (MESSENGER): read by lfd's messenger child as root before it drops to MESSENGER_USER.
	install -d -m 0700 $(DESTDIR)$(ETCDIR)/messenger
	@for f in compat/etc/csf/messenger/*; do \
		t=$(DESTDIR)$(ETCDIR)/messenger/$$(basename $$f); \
		[ -e "$$t" ] || install -m 0600 "$$f" "$$t"; \
	done
	@for f in compat/tpl/*; do \
		t=$(DESTDIR)$(TPLDIR)/$$(basename $$f); \
		[ -e "$$t" ] || install -m 0644 "$$f" "$$t"; \
	done
	@# The built-in detectors are data lfd reads at start (and their samples, for lfd --scan and admins).
	install -m 0644 compat/detectors/*.rules $(DESTDIR)$(DETECTDIR)/
	install -m 0644 compat/detectors/samples/*.log $(DESTDIR)$(DETECTDIR)/samples/
	@# csf --profile apply NAME (an existing csf installation's /usr/local/csf/profiles are read too).
	install -d $(DESTDIR)$(PROFILEDIR)
	install -m 0644 compat/profiles/*.conf $(DESTDIR)$(PROFILEDIR)/
	install -m 0644 compat/systemd/csf.service compat/systemd/lfd.service compat/systemd/csf-ui.service $(DESTDIR)$(UNITDIR)/
	install -m 0644 compat/logrotate/lfd $(DESTDIR)$(ROTATE)/lfd
	gzip -9n -c compat/man/csf.8 > $(DESTDIR)$(MANDIR)/csf.8.gz
	gzip -9n -c compat/man/lfd.8 > $(DESTDIR)$(MANDIR)/lfd.8.gz
	gzip -9n -c compat/man/csf-fleet.8 > $(DESTDIR)$(MANDIR)/csf-fleet.8.gz
	gzip -9n -c compat/man/csf-ui.8 > $(DESTDIR)$(MANDIR)/csf-ui.8.gz
	install -m 0644 packaging/debian/copyright $(DESTDIR)$(DOCDIR)/copyright
	gzip -9n -c packaging/debian/changelog > $(DESTDIR)$(DOCDIR)/changelog.gz
	@# bash-completion files are sourced, not run: no #! line.
	$(BUILD)/csf --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(BASHDIR)/csf
	$(BUILD)/csf --generate-completion-script zsh > $(DESTDIR)$(ZSHDIR)/_csf
	$(BUILD)/csf --generate-completion-script fish > $(DESTDIR)$(FISHDIR)/csf.fish
	$(BUILD)/lfd --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(BASHDIR)/lfd
	$(BUILD)/lfd --generate-completion-script zsh > $(DESTDIR)$(ZSHDIR)/_lfd
	$(BUILD)/lfd --generate-completion-script fish > $(DESTDIR)$(FISHDIR)/lfd.fish

uninstall:
	@# The firewall goes first, while csf is still there; a staging tree (DESTDIR) has no firewall.
	@if [ -z "$(DESTDIR)" ] && [ -x $(SBINDIR)/csf ]; then $(SBINDIR)/csf --stop || true; fi
	rm -f $(DESTDIR)$(SBINDIR)/csf $(DESTDIR)$(SBINDIR)/lfd $(DESTDIR)$(SBINDIR)/csf-fleet $(DESTDIR)$(SBINDIR)/csf-ui
	rm -f $(DESTDIR)$(UNITDIR)/csf.service $(DESTDIR)$(UNITDIR)/lfd.service $(DESTDIR)$(UNITDIR)/csf-ui.service $(DESTDIR)$(ROTATE)/lfd
	rm -f $(DESTDIR)$(MANDIR)/csf.8.gz $(DESTDIR)$(MANDIR)/lfd.8.gz $(DESTDIR)$(MANDIR)/csf-fleet.8.gz $(DESTDIR)$(MANDIR)/csf-ui.8.gz
	rm -f $(DESTDIR)$(BASHDIR)/csf $(DESTDIR)$(BASHDIR)/lfd $(DESTDIR)$(ZSHDIR)/_csf $(DESTDIR)$(ZSHDIR)/_lfd \
		$(DESTDIR)$(FISHDIR)/csf.fish $(DESTDIR)$(FISHDIR)/lfd.fish
	rm -rf $(DESTDIR)$(PREFIX)/share/nftcsf $(DESTDIR)$(DOCDIR)
	@if [ "$(PURGE)" = 1 ]; then echo "purging $(DESTDIR)$(ETCDIR) $(DESTDIR)$(LIBDIR)"; rm -rf $(DESTDIR)$(ETCDIR) $(DESTDIR)$(LIBDIR); \
	else echo "kept $(DESTDIR)$(ETCDIR) and $(DESTDIR)$(LIBDIR) (PURGE=1 removes them)"; fi

deb: clean-dist
	$(MAKE) install DESTDIR=$(CURDIR)/dist/stage PREFIX=/usr NOBUILD=$(NOBUILD)
	install -d dist/stage/DEBIAN
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(ARCH)/' \
		-e "s/@SIZE@/$$(du -sk dist/stage | cut -f1)/" packaging/debian/control > dist/stage/DEBIAN/control
	(cd dist/stage && find etc -type f | sed 's|^|/|' | sort) > dist/stage/DEBIAN/conffiles
	install -d dist/stage$(OVERRIDES)
	install -m 0644 packaging/debian/lintian-overrides dist/stage$(OVERRIDES)/nftcsf
	sed -i -e 's/@MAINTAINER@/$(MAINTAINER)/' dist/stage/DEBIAN/control
	install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm dist/stage/DEBIAN/
	(cd dist/stage && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > dist/stage/DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zxz --build dist/stage $(DEB)
	@echo "built $(DEB)"

clean-dist:
	rm -rf dist/stage $(DEB)
