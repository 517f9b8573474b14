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

install: $(BUILD)/build.ninja
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))

clean:
	rm -rf $(BUILD)
