# iocage — readable by BSD make and GNU make alike: plain targets and
# variables only.

GO      ?= go
PREFIX  ?= /usr/local
DESTDIR ?=
BIN      = bin/iocage
SANDBOX  = bin/iocage-sandbox
PKGS     = ./...

all: build

# iocage-sandbox is the Linux sandbox host (not installed on FreeBSD);
# static, because it is started for every modelled FreeBSD command.
build:
	$(GO) build -o $(BIN) ./cmd/iocage
	CGO_ENABLED=0 $(GO) build -o $(SANDBOX) ./cmd/iocage-sandbox

# deps installs what the sandbox and the tests need on Debian (as root):
# zfs-fuse, busybox-static, xz-utils, and starts the zfs-fuse daemon.
deps: build
	./$(SANDBOX) deps

# The whole test suite: Go tests (sandbox tests included, they need root)
# and the shipped recipes' .star tests.
# One test package at a time: they share the zfs-fuse daemon, which is not
# robust under several heavy clients at once. The shipped recipes' .star
# tests run inside (starlib's TestShippedRecipeTests, the `iocage test`
# runner).
test: deps
	CGO_ENABLED=0 $(GO) test -p 1 -timeout 20m $(PKGS)

# The main job: a sandbox host, a release fetched from the local mirror, a
# jail created and started, a command run inside it, and the jail listed.
demo: build
	./$(SANDBOX) setup
	./$(BIN) activate zroot
	./$(BIN) fetch release=14.3-RELEASE
	@./$(BIN) destroy -f demo 2>/dev/null || true
	./$(BIN) create tag=demo ip4_addr="em0|192.168.1.10/24"
	./$(BIN) start demo
	./$(BIN) exec demo freebsd-version -u
	./$(BIN) exec demo /bin/sh -c "echo hello from \$$(hostname); cat /etc/motd; ls /"
	./$(BIN) list -l

# Each Go fuzz target of the packages that parse text others control, in
# turn, for FUZZTIME (go test takes one -fuzz target per run). Their seed
# corpora (testdata/fuzz) replay with the ordinary tests; a crasher found
# here is written there too.
FUZZTIME ?= 30s
FUZZPKGS  = ./jailprops ./builtins/net ./builtins/jail ./builtins/release ./builtins/zfs ./starlib/verb ./runtime/sandbox/sysmodel ./runtime/sandbox/zfscompat

fuzz:
	@for pkg in $(FUZZPKGS); do \
		for f in `$(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'`; do \
			echo "fuzz $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Crash safety in full: every verb failed (fault tests) and iocage killed
# with SIGKILL (crash tests) after every one of its host changes, not the
# sample `make test` takes.
crash: deps
	CGO_ENABLED=0 $(GO) test -p 1 -timeout 90m -run 'Fault|TestKill|Interrupted|Truncated' ./builtins/jail ./builtins/net ./builtins/release ./builtins/zfs ./cmd/iocage -args -faults-all

# One package at a time (the sandbox benchmarks share zfs-fuse, as the
# tests do), and time for BenchmarkScale to make pools of up to 1,000 jails;
# a quicker run: go test ./builtins/jail -run '^$$' -bench Scale -benchtime 1x
# -args -scale-sizes 20,50
bench: build
	$(GO) test -p 1 -timeout 120m -run '^$$' -bench . -benchtime 1x $(PKGS)

# gofmt, go vet, the FreeBSD builds; go.mod and go.sum as go mod tidy would
# leave them (-diff prints the change and fails); the rc.d template's shell
# syntax; the generated man pages, where a mandoc warning fails too.
lint:
	test -z "`gofmt -l .`"
	$(GO) vet $(PKGS)
	GOOS=freebsd GOARCH=amd64 $(GO) build $(PKGS)
	GOOS=freebsd GOARCH=arm64 $(GO) build $(PKGS)
	GOOS=freebsd GOARCH=amd64 $(GO) vet $(PKGS)
	$(GO) mod tidy -diff
	sh -n etc/rc.d/iocage.in
	if [ -d man ]; then mandoc -T lint -W warning man/*; fi

# FreeBSD install: the files the port's pkg-plist lists
# (ports/sysutils/iocage; internal/packaging checks that the two agree).
# The binary; the committed man pages, under share/man as in the ports
# tree since 2024; the rc.d script, %%PREFIX%% replaced as the port's
# USE_RC_SUBR does; the shell completions where FreeBSD's bash-completion,
# zsh and fish look. To install a binary built elsewhere, without building:
#   make install BIN=/path/to/iocage INSTALLDEPS=
MANDIR      = $(PREFIX)/share/man
INSTALLDEPS = build

install: $(INSTALLDEPS)
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/etc/rc.d \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0555 $(BIN) $(DESTDIR)$(PREFIX)/sbin/iocage
	install -m 0444 man/iocage.8 $(DESTDIR)$(MANDIR)/man8/iocage.8
	install -m 0444 man/iocage-recipes.5 $(DESTDIR)$(MANDIR)/man5/iocage-recipes.5
	rm -f $(DESTDIR)$(PREFIX)/etc/rc.d/iocage
	sed 's|%%PREFIX%%|$(PREFIX)|g' etc/rc.d/iocage.in > $(DESTDIR)$(PREFIX)/etc/rc.d/iocage
	chmod 0555 $(DESTDIR)$(PREFIX)/etc/rc.d/iocage
	install -m 0444 completions/iocage.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/iocage
	install -m 0444 completions/iocage.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/iocage.fish
	install -m 0444 completions/_iocage $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_iocage

clean:
	rm -rf bin

.PHONY: all build deps test demo crash fuzz bench lint install clean
