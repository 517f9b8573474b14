# Thin entry points over meson and ninja; the build itself is described by meson.build.

BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
PYTHON := /usr/bin/python3

.PHONY: all demo test bench install clean deps

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

deps:
	scripts/install-deps

# Debian's sqlite3, run through apps/sqlite3/sqlite3.manifest, loads the periodic table from
# apps/sqlite3/demo/elements.csv and answers a few questions about it.
demo: deps
	$(MAKE) --no-print-directory all
	@echo "== sqlite3 under Kernite: apps/sqlite3/demo/elements.sql =="
	$(BUILD)/kernite-direct apps/sqlite3/sqlite3 -batch :memory: '.read apps/sqlite3/demo/elements.sql'

# pytest's own summary closes the output; its exit status (5 when no test ran) is make's.
test: deps
	$(MAKE) --no-print-directory all
	KERNITE_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest tests

bench: all
	KERNITE_BUILD=$(abspath $(BUILD)) $(PYTHON) bench/run
	KERNITE_BUILD=$(abspath $(BUILD)) $(PYTHON) bench/net

install: $(BUILD)/build.ninja
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

clean:
	rm -rf $(BUILD)

# Curated app manifests, rendered from their templates and checked by the built kernite tool.
# coreutils.manifest.template renders once per tool (-Dtool=NAME into NAME.manifest) and once
# without a tool (coreutils.manifest, which runs env).
KERNITE_MANIFEST = KERNITE_BUILD=$(abspath $(BUILD)) $(PYTHON) tools/kernite-manifest
APP_NAMES := bash busybox python3 sqlite3 redis nginx memcached lighttpd
COREUTILS_TOOLS := cat cp date env head ls mkdir rm sha256sum sort tail wc
APP_MANIFESTS := $(foreach a,$(APP_NAMES),apps/$(a)/$(a).manifest) \
    apps/coreutils/coreutils.manifest $(foreach t,$(COREUTILS_TOOLS),apps/coreutils/$(t).manifest)

.PHONY: manifests docs fuzz

manifests: $(APP_MANIFESTS)

$(APP_MANIFESTS): tools/kernite-manifest | all

apps/%.manifest: apps/%.manifest.template
	$(KERNITE_MANIFEST) $< $@

apps/coreutils/coreutils.manifest: apps/coreutils/coreutils.manifest.template
	$(KERNITE_MANIFEST) $< $@

apps/coreutils/%.manifest: apps/coreutils/coreutils.manifest.template
	$(KERNITE_MANIFEST) -Dtool=$* $< $@

# The key reference in docs/manifest.md is what `kernite manifest keys --markdown` prints; this
# rewrites that part of the file (between its two markers) and leaves the rest as written.
docs: all
	$(PYTHON) tools/kernite_manifest/docs.py $(BUILD)/tools/kernite docs/manifest.md

# libFuzzer over the TOML parser and the manifest checker, for FUZZ_SECONDS (3 minutes unless
# given), seeded from the TOML cases and the test manifests; new inputs it finds are kept in
# $(BUILD)/fuzz-corpus. A crash or a leak stops it with an error and leaves the input in
# $(BUILD)/fuzz-artifacts.
FUZZ_SECONDS ?= 180
fuzz: all
	mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-artifacts
	$(BUILD)/tests/fuzz/fuzz_manifest -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
	    -artifact_prefix=$(abspath $(BUILD))/fuzz-artifacts/ \
	    $(BUILD)/fuzz-corpus tests/toml/valid tests/data/manifests
