# SPDX-License-Identifier: Apache-2.0
# prometheus-cluster-exporter: plain GNU make, non-recursive.
#
# CC, CFLAGS, CPPFLAGS, LDFLAGS and LDLIBS belong to the user (packagers
# set them); our flags sit in WARN, HARDEN, HARDEN_LD and SAN and are added
# to theirs through the ALL_* variables, never instead of them.
#
# Knobs:
#   B=DIR		build directory (default build), relative or absolute,
#			anywhere.  The variant trees of check-all sit beside
#			it: $(B)-hooks, $(B)-asan, $(B)-tsan, $(B)-clang,
#			$(B)-fuzz, $(B)-analyze, $(B)-compat, $(B)-compat9.
#   WERROR=0		warnings stay warnings (for packagers, whose
#			compilers may be newer than ours); default 1, as in
#			development and CI.
#   SANITIZE=address|undefined|thread
#   TEST_HOOKS=1	test-only switches (never in an installed binary)
#   FUZZ=1		a libFuzzer tree (clang); `make fuzz-build` makes one
#   V=1		show the commands

VERSION		:= 1.2.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBEXECDIR	?= $(PREFIX)/libexec
SYSCONFDIR	?= /etc
MANDIR		?= $(PREFIX)/share/man
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
CPPFLAGS	?=
LDFLAGS		?=
LDLIBS		?=
PKG_CONFIG	?= pkg-config

B		:= build
# "build/" and "build" are one tree, and the variants are "build-asan"...
override B	:= $(patsubst %/,%,$(B))

#
# Answers computed at most once per make, and only when a recipe needs them:
# `make deps` and `make lint` must work before the compiler or any library
# is installed.  $(call once,VAR,TEXT) makes VAR expand TEXT the first
# time and keep the result.
#
once = $(eval $(1) = $$(eval $(1) := $(2))$$($(1)))

# $(call cc_accepts,FLAGS): "y" if $(CC) compiles an empty file with FLAGS
# and -Werror without a word.
cc_accepts = $(shell $(CC) $(1) -Werror -c -x c -o /dev/null /dev/null \
	>/dev/null 2>&1 && echo y)

#
# Every library through pkg-config.  $(call pc,MODULE,--cflags|--libs,DEB)
# asks for MODULE.pc, or stops make naming DEB, the Debian package that
# ships it.
#
pc = $(if $(shell $(PKG_CONFIG) --exists '$(1)' && echo y),$(shell \
	$(PKG_CONFIG) $(2) '$(1)'),$(error $(PKG_CONFIG) finds no $(1).pc: \
	install the Debian package $(3) (make deps installs every build \
	dependency)))
$(call once,MHD_CFLAGS,$$(call pc,libmicrohttpd,--cflags,libmicrohttpd-dev))
$(call once,MHD_LIBS,$$(call pc,libmicrohttpd,--libs,libmicrohttpd-dev))
$(call once,CURL_CFLAGS,$$(call pc,libcurl,--cflags,libcurl4-openssl-dev))
$(call once,CURL_LIBS,$$(call pc,libcurl,--libs,libcurl4-openssl-dev))
$(call once,SECCOMP_CFLAGS,$$(call pc,libseccomp,--cflags,libseccomp-dev))
$(call once,SECCOMP_LIBS,$$(call pc,libseccomp,--libs,libseccomp-dev))
$(call once,CMOCKA_CFLAGS,$$(call pc,cmocka,--cflags,libcmocka-dev))
$(call once,CMOCKA_LIBS,$$(call pc,cmocka,--libs,libcmocka-dev))
$(call once,YAML_CFLAGS,$$(call pc,yaml-0.1,--cflags,libyaml-dev))
$(call once,YAML_LIBS,$$(call pc,yaml-0.1,--libs,libyaml-dev))
$(call once,GNUTLS_CFLAGS,$$(call pc,gnutls,--cflags,libgnutls28-dev))
$(call once,GNUTLS_LIBS,$$(call pc,gnutls,--libs,libgnutls28-dev))
$(call once,CRYPT_CFLAGS,$$(call pc,libcrypt,--cflags,libcrypt-dev))
$(call once,CRYPT_LIBS,$$(call pc,libcrypt,--libs,libcrypt-dev))
$(call once,ZLIB_CFLAGS,$$(call pc,zlib,--cflags,zlib1g-dev))
$(call once,ZLIB_LIBS,$$(call pc,zlib,--libs,zlib1g-dev))
# The exception: jsmn is a single header (libjsmn-dev) in the default
# include path, with no .pc file upstream or in Debian.  The compiler is
# asked for it instead, with the same kind of error.
$(call once,JSMN_CHECK,$$(if $$(shell printf '\043include <jsmn.h>\n' | \
	$$(CC) $$(CPPFLAGS) -E -x c -o /dev/null - >/dev/null 2>&1 && \
	echo y),,$$(error $$(CC) finds no jsmn.h: install the Debian package \
	libjsmn-dev (make deps installs every build dependency))))
# Every object may include any of them: one set of flags for all.
PKG_CFLAGS = $(MHD_CFLAGS) $(CURL_CFLAGS) $(SECCOMP_CFLAGS) $(YAML_CFLAGS) \
	$(GNUTLS_CFLAGS) $(CRYPT_CFLAGS) $(ZLIB_CFLAGS) $(JSMN_CHECK)
# The exporter's front door: TLS checks (cmd/webtls.c) and bcrypt
# (cmd/auth.c).  No helper links them.
WEB_LIBS = $(GNUTLS_LIBS) $(CRYPT_LIBS)
# What the lib/ objects need at link time, wherever they are linked
# (libyaml: lib/webcfg.c, --web.config.file; zlib: lib/gzip.c, the
# compressed answers).
LIB_LIBS = $(YAML_LIBS) $(ZLIB_LIBS)

# Each flag below is accepted by gcc 12 and clang 14 (Debian 12), the two
# compilers CI builds with (check-clang); where they differ, the compiler
# is asked, not its version.
WARN	= -std=c11 -Wall -Wextra -Wpedantic -Wformat=2 -Wformat-security \
	  -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes \
	  -Wsign-compare -Wimplicit-fallthrough -Wvla
WERROR	?= 1
ifeq ($(WERROR),1)
WARN	+= -Werror
else ifneq ($(WERROR),0)
$(error WERROR must be 1 or 0, not '$(WERROR)')
endif

#
# -ftrivial-auto-var-init=zero: a local that no path initialises reads as
# zero, not as stale stack.  gcc 12 and clang 16 take it as it is.  Clang 8
# to 15 implement it but refuse it without an acknowledgement flag, named
# for a removal its developers then decided against: clang 16 dropped the
# requirement and made the acknowledgement an unused-argument warning,
# which -Werror turns into an error (the Linux kernel probes the same
# way).  So the compiler is asked: the option alone, else with the
# acknowledgement (Debian 12's clang 14), else a make warning, once, that
# this build goes without.
#
AUTOINIT_ACK := -enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang
$(call once,AUTOINIT,$$(strip \
	$$(if $$(call cc_accepts,-ftrivial-auto-var-init=zero), \
	    -ftrivial-auto-var-init=zero, \
	$$(if $$(call cc_accepts,-ftrivial-auto-var-init=zero $$(AUTOINIT_ACK)), \
	    -ftrivial-auto-var-init=zero $$(AUTOINIT_ACK), \
	$$(warning $$(CC) cannot -ftrivial-auto-var-init=zero: locals are not \
	    zero-initialised in this build)))))

# No path of the source tree in the binaries (reproducible builds): debug
# info and __FILE__ say lib/x.c under ".", wherever the tree was built.
PREFIX_MAP = -ffile-prefix-map=$(CURDIR)=.

FORTIFY	:= -D_FORTIFY_SOURCE=2
HARDEN	= $(FORTIFY) -fstack-protector-strong -fPIE $(AUTOINIT) \
	  -fno-strict-aliasing
HARDEN_LD = -pie -Wl,-z,relro,-z,now,-z,noexecstack
# Helpers load only the libraries they use (a helper's resident memory
# counts every library it maps).  Not for the exporter: under ASan,
# libasan's crypt() interceptor would satisfy the link and libcrypt,
# whose crypt_r() it calls, would be left out.
AS_NEEDED_LD = -Wl,--as-needed

#
# Sanitizers, one tree each.  Fortified string and I/O functions
# (__memcpy_chk...) go round the ASan and TSan interceptors, hence no
# _FORTIFY_SOURCE there.
#
SANITIZE ?=
SAN_COMMON := -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SANITIZE),)
SAN	:=
else ifeq ($(SANITIZE),address)
SAN	:= -fsanitize=address,undefined $(SAN_COMMON)
FORTIFY	:=
else ifeq ($(SANITIZE),undefined)
SAN	:= -fsanitize=undefined $(SAN_COMMON)
else ifeq ($(SANITIZE),thread)
SAN	:= -fsanitize=thread $(SAN_COMMON)
FORTIFY	:=
else
$(error SANITIZE must be address, undefined or thread, not '$(SANITIZE)')
endif

# FUZZ=1: every object instrumented for libFuzzer (coverage, without its
# main) under ASan and UBSan; only the fuzz_* programs link libFuzzer.
FUZZ	?= 0
ifeq ($(FUZZ),1)
ifneq ($(SANITIZE),)
$(error FUZZ=1 brings its own sanitizers; drop SANITIZE=$(SANITIZE))
endif
SAN	:= -fsanitize=fuzzer-no-link,address,undefined $(SAN_COMMON)
FORTIFY	:=
else ifneq ($(FUZZ),0)
$(error FUZZ must be 1 or 0, not '$(FUZZ)')
endif

# TEST_HOOKS=1 compiles test-only switches (never in an installed binary).
TEST_HOOKS ?= 0
ifeq ($(TEST_HOOKS),1)
HOOKS	:= -DPCE_TEST_HOOKS
else
HOOKS	:=
endif

ALL_CPPFLAGS = -iquote lib -iquote sandbox -D_GNU_SOURCE -DJSMN_STRICT \
	-DJSMN_PARENT_LINKS -DPCE_VERSION='"$(VERSION)"' $(HOOKS) $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(SAN) $(PREFIX_MAP) $(PKG_CFLAGS) -MMD -MP \
	$(CFLAGS)
ALL_LDFLAGS = $(HARDEN_LD) $(SAN) $(LDFLAGS)

LIB_SRC	:= $(sort $(wildcard lib/*.c))
LIB_OBJ	:= $(LIB_SRC:%.c=$(B)/%.o)
LIB_AR	:= $(B)/libpce.a
SBX_SRC	:= $(sort $(wildcard sandbox/*.c))
SBX_OBJ	:= $(SBX_SRC:%.c=$(B)/%.o)
CMD_SRC	:= $(sort $(wildcard cmd/*.c))
CMD_OBJ	:= $(CMD_SRC:%.c=$(B)/%.o)
HELPERS	:= slurm accounts promql
HRT_OBJ	:= $(B)/helpers/runtime.o $(B)/helpers/command.o
HELPER_BIN := $(HELPERS:%=$(B)/helpers/%)

EXPORTER := $(B)/prometheus-cluster-exporter
# prometheus-cluster-exporter(1), made from the exporter's own -help.
MANPAGE	:= $(B)/prometheus-cluster-exporter.1
# Beside the exporter of every build tree, never installed: it tells the
# exporter to take its helpers from $(B)/helpers (cmd/paths.h).
BUILD_MARKER := $(B)/.pce-build-tree

UNIT_SRC := $(sort $(wildcard tests/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/%.c=$(B)/tests/%)

FUZZERS	 := json proto
FUZZ_BIN := $(FUZZERS:%=$(B)/tests/fuzz_%)

.SECONDARY:

.PHONY: FORCE fuzz fuzz-build fuzzers check-fuzz-corpus all check \
	check-unit check-e2e check-sanitize check-valgrind check-clang \
	check-noblob check-compat check-unit-file check-ops check-packages \
	check-reproducible \
	check-tsan analyze analyze-tree check-all lint install uninstall \
	clean deps demo bench policy-dump

all: $(EXPORTER) $(HELPER_BIN) $(MANPAGE)

V ?= 0
ifeq ($(V),0)
Q	:= @
else
Q	:=
endif

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The helper directory of an installed exporter is compiled into paths.o:
# rebuild it when LIBEXECDIR changes, so `make install PREFIX=/usr` never
# ships a stale path.  No other object sees it.
$(B)/libexecdir: FORCE
	@mkdir -p $(B)
	@echo '$(LIBEXECDIR)' | cmp -s - $@ || echo '$(LIBEXECDIR)' > $@

$(B)/cmd/paths.o $(B)/cmd/paths.ok: $(B)/libexecdir
$(B)/cmd/paths.o $(B)/cmd/paths.ok: ALL_CPPFLAGS += \
	-DPCE_LIBEXECDIR='"$(LIBEXECDIR)/prometheus-cluster-exporter"'

# The build's identity, compiled into version.o alone (lib/version.h):
# git's revision and branch ("unknown" outside a checkout), and the date
# of the last change, never the clock: SOURCE_DATE_EPOCH, else the last
# commit's, else (a tarball) the date of the changelog's newest entry.
# git is asked only when this directory is the top of its checkout: a
# tarball unpacked inside another repository (rpmbuild's tree under a home
# kept in git) must not take that repository's revision.  The stamp
# rebuilds version.o when one of them changes.
$(call once,GIT_HERE,$$(if $$(filter $$(realpath $$(CURDIR)),$$(shell git \
	rev-parse --show-toplevel 2>/dev/null)),yes))
$(call once,BUILD_REVISION,$$(or $$(if $$(GIT_HERE),$$(shell git rev-parse \
	HEAD 2>/dev/null)),unknown))
$(call once,BUILD_BRANCH,$$(or $$(if $$(GIT_HERE),$$(shell git rev-parse \
	--abbrev-ref HEAD 2>/dev/null)),unknown))
$(call once,BUILD_EPOCH,$$(or $$(SOURCE_DATE_EPOCH),$$(if $$(GIT_HERE),$$(shell \
	git log -1 --format=%ct 2>/dev/null)),$$(shell sed -n 's/^ -- .*>  //p' \
	packaging/debian/changelog 2>/dev/null | head -n 1 | \
	date -u -f - +%s 2>/dev/null)))
$(call once,BUILD_DATE,$$(if $$(BUILD_EPOCH),$$(shell date -u -d \
	@$$(BUILD_EPOCH) +%Y%m%d-%H:%M:%S 2>/dev/null),unknown))
BUILD_ID = $(BUILD_REVISION) $(BUILD_BRANCH) $(BUILD_DATE)
$(B)/buildid: FORCE
	@mkdir -p $(B)
	@echo '$(BUILD_ID)' | cmp -s - $@ || echo '$(BUILD_ID)' > $@

$(B)/lib/version.o $(B)/lib/version.ok: $(B)/buildid
$(B)/lib/version.o $(B)/lib/version.ok: ALL_CPPFLAGS += \
	-DPCE_REVISION='"$(BUILD_REVISION)"' -DPCE_BRANCH='"$(BUILD_BRANCH)"' \
	-DPCE_BUILD_DATE='"$(BUILD_DATE)"'

$(BUILD_MARKER):
	@mkdir -p $(B)
	@echo 'prometheus-cluster-exporter build tree: the exporter here' \
	    'runs the helpers in helpers/ here (cmd/paths.h).' > $@

FORCE:

$(EXPORTER): $(CMD_OBJ) $(LIB_OBJ) $(SBX_OBJ) | $(BUILD_MARKER)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MHD_LIBS) $(WEB_LIBS) \
	    $(SECCOMP_LIBS) $(LIB_LIBS) -pthread $(LDLIBS)

$(MANPAGE): $(EXPORTER) packaging/manpage.py
	@$(if $(Q),echo "  MAN     $@")
	$(Q)SOURCE_DATE_EPOCH='$(BUILD_EPOCH)' /usr/bin/python3 \
	    packaging/manpage.py $(EXPORTER) $(VERSION) > $@.tmp
	$(Q)mv $@.tmp $@

# Helpers link lib/ and sandbox/ as an archive: only the objects they use,
# so with --as-needed they load no library of the parent's (libyaml,
# zlib), whose pages would count in every helper's resident memory.
$(LIB_AR): $(LIB_OBJ) $(SBX_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcsD $@ $^

$(B)/helpers/promql: $(B)/helpers/promql.o $(B)/helpers/upconn.o $(HRT_OBJ) \
    $(LIB_AR)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(AS_NEEDED_LD) -o $@ $^ $(CURL_LIBS) \
	    $(SECCOMP_LIBS) $(LIB_LIBS) $(LDLIBS)

$(B)/helpers/%: $(B)/helpers/%.o $(HRT_OBJ) $(LIB_AR)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $(AS_NEEDED_LD) -o $@ $^ $(SECCOMP_LIBS) \
	    $(LIB_LIBS) $(LDLIBS)

# A unit test includes its module's .c to reach statics, so that module's
# object stays out of the link (chrony, cmocka uptime example).
$(B)/tests/test_%: tests/test_%.c $(LIB_OBJ) $(SBX_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -DUNIT_TESTING $(ALL_CFLAGS) \
	    $(CMOCKA_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(filter-out $(B)/lib/$*.o $(B)/sandbox/$*.o,$(LIB_OBJ) $(SBX_OBJ)) \
	    $(CMOCKA_LIBS) $(SECCOMP_LIBS) $(LIB_LIBS) $(LDLIBS)

# Modules in cmd/, not lib/: their tests include ../cmd/<module>.c and
# link every lib object (deadline, err), plus pthread for their locks and
# the front door's GnuTLS and libcrypt.
CMD_TESTS := spawner conns logq auth webtls threads
$(CMD_TESTS:%=$(B)/tests/test_%): \
    $(B)/tests/test_%: tests/test_%.c $(LIB_OBJ) $(SBX_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote cmd -DUNIT_TESTING $(ALL_CFLAGS) \
	    $(CMOCKA_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(LIB_OBJ) $(SBX_OBJ) $(CMOCKA_LIBS) $(SECCOMP_LIBS) $(LIB_LIBS) \
	    $(WEB_LIBS) -pthread $(LDLIBS)

# Modules in helpers/: their tests include ../helpers/<module>.c and stand
# in for the helper runtime (hrt_die(), hrt_quote()) themselves.
HELPER_TESTS := command
$(HELPER_TESTS:%=$(B)/tests/test_%): \
    $(B)/tests/test_%: tests/test_%.c $(LIB_OBJ) $(SBX_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) -iquote helpers -DUNIT_TESTING $(ALL_CFLAGS) \
	    $(CMOCKA_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(LIB_OBJ) $(SBX_OBJ) $(CMOCKA_LIBS) $(SECCOMP_LIBS) $(LIB_LIBS) \
	    $(LDLIBS)

# UNIT_SKIP: tests built but not run, by name (check-tsan).
UNIT_SKIP ?=
check-unit: $(UNIT_BIN)
	@set -e; for t in $(filter-out $(UNIT_SKIP:%=$(B)/tests/%),$(UNIT_BIN)); \
	    do echo "== $$t"; $$t; done
	@$(if $(UNIT_SKIP),echo "== not run here: $(UNIT_SKIP)")

# The fault-injection scenarios need test hooks, compiled into a separate
# tree so that $(B) holds exactly what `make install` ships.
check-e2e: all
	$(MAKE) B=$(B)-hooks TEST_HOOKS=1 all
	PCE_BUILD=$(B) PCE_HOOKS_BUILD=$(B)-hooks tests/e2e.sh

check-valgrind: all
	PCE_BUILD=$(B) /usr/bin/python3 tests/valgrind_helpers.py

lint:
	tests/lint.sh

# The packaged unit against the exporter's own filters (tests/unit_check.py).
check-unit-file: $(B)/tests/policy_dump
	/usr/bin/python3 tests/unit_check.py $(B)/tests/policy_dump \
	    packaging/prometheus-cluster-exporter.service

# The same programs and man page from two build directories, and the date
# from SOURCE_DATE_EPOCH (tests/reproducible.sh): about 8 s.
check-reproducible:
	tests/reproducible.sh

# The example scrape configuration, alert rules and dashboard sites
# install.
check-ops: all
	promtool check config packaging/examples/prometheus.yml
	promtool test rules tests/alerts_test.yml
	/usr/bin/python3 tests/dashboard_check.py \
	    packaging/examples/grafana-dashboard.json
	/usr/bin/python3 tests/manpage_check.py $(EXPORTER) $(MANPAGE)

check: lint check-unit check-unit-file check-ops check-e2e check-valgrind

# AddressSanitizer and UndefinedBehaviorSanitizer: unit tests and the
# end-to-end suite, in their own tree, with -sandbox=off (sanitizers need
# syscalls the filters forbid; the filters are never loosened for them).
check-sanitize:
	$(MAKE) B=$(B)-asan SANITIZE=address TEST_HOOKS=1 check-unit all
	PCE_BUILD=$(B)-asan PCE_HOOKS_BUILD=$(B)-asan PCE_SANITIZE=1 \
	    tests/e2e.sh

# The second compiler: everything and the unit tests built with clang,
# whose warnings differ from gcc's (-Wformat-nonliteral...).
check-clang:
	$(MAKE) B=$(B)-clang CC=clang all check-unit

#
# ThreadSanitizer over the unit tests; test_spawner, with its lock and a
# thread around fork(), is the reason, the others cost little.  Left out:
# test_sandbox, whose probes load the seccomp filters in a child that the
# TSan runtime then needs forbidden syscalls in (it skips them under ASan
# for the same reason, but knows nothing of TSan yet).  TSAN_OPTIONS:
#   halt_on_error=1		the first report fails the test, as
#				-fno-sanitize-recover=all does elsewhere;
#   second_deadlock_stack=1	both stacks of a lock-order report;
#   atexit_sleep_ms=0		no extra second in exit() while threads
#				remain (TSan's default, to catch races at
#				exit): tests time how long an exit takes
#				(test_logq: a stalled log, then fatal_f);
#   suppressions=		TSAN_SUPPRESS below, one rule per line.
# die_after_fork stays at its default (1): TSan kills a child that starts
# a thread after a fork made while other threads ran (only async-signal-
# safe calls are safe there).  No child here does: the spawner starts no
# thread and its children exec at once, as in the exporter, and the
# children of test_logq, which start the log thread, are forked while the
# test has one thread.  Should that change, the failure is wanted.
#
# TSAN_SUPPRESS: the TSan of Debian 12 (gcc 12 and clang 14 alike) does not
# intercept pthread_mutex_clocklock() (threads_lock()), so every unlock in
# spawn_call() looks like the unlock of an unlocked mutex
# (llvm/llvm-project#62623, fixed in LLVM 18).  Only that report, only in
# that function, and in test_threads.c, whose tests unlock what
# threads_lock() took.  The lock stays invisible to TSan, so two threads
# inside spawn_call() at once would be reported as a race (no test does
# that; test_spawner's second thread meets the lock held and times out).
#
TSAN_SKIP	:= test_sandbox
TSAN_SUPPRESS	:= mutex:spawn_call mutex:test_threads.c
TSAN_SUPP_FILE	 = $(abspath $(B)-tsan)/tsan.supp
TSAN_CHECK_OPTS	 = halt_on_error=1 second_deadlock_stack=1 \
	atexit_sleep_ms=0 suppressions=$(TSAN_SUPP_FILE)
check-tsan:
	@mkdir -p $(B)-tsan
	@printf '%s\n' $(TSAN_SUPPRESS) > $(TSAN_SUPP_FILE)
	TSAN_OPTIONS='$(strip $(TSAN_CHECK_OPTS))' $(MAKE) B=$(B)-tsan \
	    SANITIZE=thread UNIT_SKIP='$(TSAN_SKIP)' check-unit

#
# Everything CI runs, one step after another: the end-to-end suites
# measure deadlines, and a clang or analyzer build beside them on two
# cores would make them flaky.
#
# Both packages built without their tests (nocheck), lintian and rpmlint
# clean; the .deb upgrades our previous version (built from git history)
# and a stand-in of the original's 1.1.7-1 in a scratch root (an overlay in
# a private mount namespace: needs root), the spec's RHEL branch (bundled
# jsmn) builds, and rpm -U over the original's stand-in runs its
# scriptlets in the same kind of scratch root (packaging/check.sh,
# packaging/README.md): about 30 s.
check-packages:
	packaging/check.sh

check-all:
	$(MAKE) check
	$(MAKE) check-packages
	$(MAKE) check-reproducible
	$(MAKE) check-sanitize
	$(MAKE) check-clang
	$(MAKE) check-compat
	$(MAKE) check-fuzz-corpus
	$(MAKE) check-tsan
	$(MAKE) analyze

#
# The branches for the libraries of RHEL 8 and 9, taken on Debian's newer
# ones: lib/compat.h reads the versions from PCE_GLIBC_VERSION,
# PCE_CURL_VERSION, PCE_MHD_VERSION and PCE_SECCOMP_VERSION, given here
# as RHEL's.
#	RHEL 8	glibc 2.28, libcurl 7.61.1, libmicrohttpd 0.9.59, libseccomp
#		2.5.2: no pthread_mutex_clocklock() (a timed lock on the
#		wall clock), no *_BLOB options (inline PEM refused, the promql
#		helper reads the upstream's TLS files by path), no
#		CURLOPT_PROTOCOLS_STR (the bit mask instead), no
#		curl_multi_poll() (curl_multi_wait() and a bounded sleep).
#		The whole tree, where no binary may call a function of a
#		glibc after 2.28 (tests/glibc_check.py against
#		tests/glibc-after-2.28.txt); the unit tests of the sandbox
#		and of the lock, the unit file against its filters, and the
#		scenarios that go through those branches: the front door,
#		TLS and basic auth, upstream TLS and redirects, every
#		process's filter.
#	RHEL 9	glibc 2.34, libcurl 7.76.1, libmicrohttpd 0.9.72: no blobs,
#		but curl_multi_poll().  Compiled only.
# The callbacks' enum MHD_Result (0.9.71) follows the header, not the
# pretended version (lib/compat.h): no -D turns it back into RHEL 8's int.
# About 15 s.
#
COMPAT_RHEL8	:= -DPCE_GLIBC_VERSION=0x021c -DPCE_CURL_VERSION=0x073d01 \
	-DPCE_MHD_VERSION=0x00095900 -DPCE_SECCOMP_VERSION=0x020502
COMPAT_RHEL9	:= -DPCE_GLIBC_VERSION=0x0222 -DPCE_CURL_VERSION=0x074c01 \
	-DPCE_MHD_VERSION=0x00097200 -DPCE_SECCOMP_VERSION=0x020502
COMPAT_E2E	:= original http_surface web_tls web_basic_auth upstream_tls \
	upstream_redirects confine_every_process_filtered
check-compat:
	$(MAKE) -j2 B=$(B)-compat CPPFLAGS='$(CPPFLAGS) $(COMPAT_RHEL8)' \
	    all $(B)-compat/tests/test_sandbox $(B)-compat/tests/test_threads \
	    $(B)-compat/tests/policy_dump
	/usr/bin/python3 tests/glibc_check.py tests/glibc-after-2.28.txt \
	    $(B)-compat/prometheus-cluster-exporter \
	    $(HELPERS:%=$(B)-compat/helpers/%)
	$(B)-compat/tests/test_sandbox
	$(B)-compat/tests/test_threads
	/usr/bin/python3 tests/unit_check.py $(B)-compat/tests/policy_dump \
	    packaging/prometheus-cluster-exporter.service
	PCE_BUILD=$(B)-compat PCE_HOOKS_BUILD=$(B)-compat PCE_NO_CURL_BLOB=1 \
	    tests/e2e.sh $(COMPAT_E2E)
	$(MAKE) -j2 B=$(B)-compat9 CPPFLAGS='$(CPPFLAGS) $(COMPAT_RHEL9)' all

# Its old name.
check-noblob: check-compat

# Figures, not tests: the join alone, number formatting, the front door
# under a hostile local load, then the whole exporter from 1x to 16x a
# large site, as root (tests/bench_front.py and tests/bench_scale.py say
# what they run).  Fewer scales:
#	make bench BENCH_SCALE_ARGS='--scales 1,2,4 --reps 1'
BENCH_FRONT_SECONDS ?= 30
BENCH_SCALE_ARGS ?=
bench: $(B)/tests/bench_join $(B)/tests/bench_expo $(B)/tests/bench_json all
	$(B)/tests/bench_join
	$(B)/tests/bench_expo
	$(B)/tests/bench_json
	PCE_BUILD=$(B) /usr/bin/python3 tests/bench_front.py $(BENCH_FRONT_SECONDS)
	PCE_BUILD=$(B) /usr/bin/python3 tests/bench_scale.py $(BENCH_SCALE_ARGS)

# Compiled and linked in one step, so its dependency file lists headers as
# prerequisites too: only sources and objects go to the compiler (and so
# for policy_dump below).
$(B)/tests/bench_join $(B)/tests/bench_json: $(B)/tests/bench_%: \
    tests/bench_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ \
	    $(filter %.c %.o,$^) $(LIB_LIBS) $(LDLIBS)

# It includes lib/expo.c, to time the old loop beside the new paths.
$(B)/tests/bench_expo: tests/bench_expo.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(filter-out $(B)/lib/expo.o,$(LIB_OBJ)) $(LIB_LIBS) $(LDLIBS)

#
# libFuzzer targets for the parsers of untrusted bytes, built as a variant
# tree ($(B)-fuzz, clang, FUZZ=1) from the same objects and flags as the
# rest.  fuzz-build makes them; check-fuzz-corpus replays the seed corpora
# once (-runs=0: no mutation), as a test; fuzz runs each for FUZZ_SECONDS
# on a copy of its seeds (`make fuzz FUZZ_SECONDS=60`).  Crash inputs go to
# $(B)-fuzz/, not to the source tree.
#
FUZZ_SECONDS ?= 30
FUZZ_B	 := $(B)-fuzz
FUZZ_CC	 ?= clang
FUZZ_RUN  = -artifact_prefix=$(FUZZ_B)/
# Seeds: captured upstream answers, and record streams (fuzz_proto.c says
# how its input is laid out).
FUZZ_SEEDS_json	 := $(sort $(wildcard tests/fixtures/promql/*.json))
FUZZ_SEEDS_proto := $(sort $(wildcard tests/fixtures/fuzz/proto/*))

fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) FUZZ=1 fuzzers

check-fuzz-corpus: fuzz-build
	$(FUZZ_B)/tests/fuzz_json $(FUZZ_RUN) -runs=0 $(FUZZ_SEEDS_json)
	$(FUZZ_B)/tests/fuzz_proto $(FUZZ_RUN) -runs=0 $(FUZZ_SEEDS_proto)

fuzz: fuzz-build
	@mkdir -p $(FUZZ_B)/corpus-json $(FUZZ_B)/corpus-proto
	cp $(FUZZ_SEEDS_json) $(FUZZ_B)/corpus-json/
	cp $(FUZZ_SEEDS_proto) $(FUZZ_B)/corpus-proto/
	$(FUZZ_B)/tests/fuzz_json $(FUZZ_RUN) \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    $(FUZZ_B)/corpus-json
	$(FUZZ_B)/tests/fuzz_proto $(FUZZ_RUN) \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_B)/corpus-proto

# In a FUZZ=1 tree only.  The harness is compiled with our flags and links
# libFuzzer (its main) with every lib object.
fuzzers: $(FUZZ_BIN)

$(B)/tests/fuzz_%: tests/fuzz_%.c $(LIB_OBJ)
	$(if $(filter 1,$(FUZZ)),,$(error $@ needs a FUZZ=1 tree: make fuzz-build))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCLD    $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) \
	    -fsanitize=fuzzer -o $@ $< $(LIB_OBJ) $(LIB_LIBS) $(LDLIBS)

#
# Static analysis of lib/ cmd/ helpers/ sandbox/: gcc's -fanalyzer and
# clang's analyzer (--analyze: its core, unix, deadcode and security
# checkers), each over every source with the build's flags, in a tree of
# its own per compiler; a finding fails like a warning.  A stamp per source
# makes a rerun analyse only what changed.
#
ANALYZE_GCC   ?= gcc
ANALYZE_CLANG ?= clang
ANALYZE_SRC   := $(LIB_SRC) $(CMD_SRC) $(sort $(wildcard helpers/*.c)) \
	$(SBX_SRC)
ANALYZE_OK    := $(ANALYZE_SRC:%.c=$(B)/%.ok)

# Both passes run to the end (-k), so one run lists every finding.
analyze:
	@rc=0; \
	$(MAKE) -k B=$(B)-analyze/gcc CC=$(ANALYZE_GCC) ANALYZER=gcc \
	    WERROR=1 analyze-tree || rc=1; \
	$(MAKE) -k B=$(B)-analyze/clang CC=$(ANALYZE_CLANG) ANALYZER=clang \
	    WERROR=1 analyze-tree || rc=1; \
	exit $$rc

ANALYZER ?=
ifeq ($(ANALYZER),gcc)
ANALYZE_FLAGS := -fanalyzer
else ifeq ($(ANALYZER),clang)
ANALYZE_FLAGS := --analyze -Xanalyzer -analyzer-output=text \
	-Xanalyzer -analyzer-werror
else ifneq ($(ANALYZER),)
$(error ANALYZER must be gcc or clang, not '$(ANALYZER)')
endif

#
# Documented false positives, one line per source, never more than the one
# checker:
#   lib/acache.c, gcc 12: "leak of '<unknown>'" in tab_put(): the copy is
#	stored in t->ents[] (realloc'd, reached from the cache) and the
#	analyzer loses a store through a symbolic index.  clang's analyzer
#	still checks this file for leaks.
#   cmd/webtls.c, lib/upclient.c, lib/webcfg.c, gcc 12: "leak of
#	'strdup'", "leak of '<unknown>'", "leak of '*c.headers'": the same
#	store through a symbolic index, into w->sans[], c->headers[] (up
#	to nsans, nheaders, which the *_free() functions release).  clang's
#	analyzer still checks these files for leaks.
#
ifeq ($(ANALYZER),gcc)
$(B)/lib/acache.ok $(B)/cmd/webtls.ok $(B)/lib/upclient.ok \
    $(B)/lib/webcfg.ok: ANALYZE_FLAGS += -Wno-analyzer-malloc-leak
endif

analyze-tree: $(ANALYZE_OK)

$(B)/%.ok: %.c
	$(if $(ANALYZER),,$(error $@ needs ANALYZER=gcc|clang: make analyze))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  ANALYZE $< ($(ANALYZER))")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ANALYZE_FLAGS) \
	    -MF $(@:.ok=.d) -MT $@ -c -o /dev/null $<
	@touch $@

# Prints each process's seccomp filter as pseudo-code, for review.
policy-dump: $(B)/tests/policy_dump
	$(B)/tests/policy_dump

$(B)/tests/policy_dump: tests/policy_dump.c $(SBX_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ \
	    $(filter %.c %.o,$^) $(SECCOMP_LIBS) $(LIB_LIBS) $(LDLIBS)

deps:
	packaging/deps.sh

demo: all
	packaging/demo.sh

install: all
	install -d $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter
	install -m 0755 $(EXPORTER) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(HELPER_BIN) \
	    $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter/
	install -D -m 0644 $(MANPAGE) \
	    $(DESTDIR)$(MANDIR)/man1/prometheus-cluster-exporter.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/prometheus-cluster-exporter
	rm -rf $(DESTDIR)$(LIBEXECDIR)/prometheus-cluster-exporter
	rm -f $(DESTDIR)$(MANDIR)/man1/prometheus-cluster-exporter.1

clean:
	rm -rf $(B) $(B)-asan $(B)-hooks $(B)-fuzz $(B)-tsan $(B)-clang \
	    $(B)-analyze $(B)-compat $(B)-compat9

-include $(shell find $(B) -name '*.d' 2>/dev/null)
