# backsoon — build, test, demo. Every target installs what it needs (Debian/Ubuntu, as root).
SHELL := /bin/bash
.DEFAULT_GOAL := build

# Debian packages the build, the tests and the demo use. Installed only when missing.
APT_PACKAGES := qemu-system-x86 qemu-system-arm squashfs-tools gcc-aarch64-linux-gnu g++-aarch64-linux-gnu kmod iputils-ping binutils libpcap-dev tcpdump nftables iproute2 ethtool curl snmp snmptrapd erlang-snmp exim4-daemon-light shellcheck busybox dovecot-pop3d dnsmasq-base smitools openssl cmake libjson-c-dev chromium fonts-noto-cjk conntrack nginx-light wrk

ESBUILD := node_modules/.bin/esbuild
SOURCES := $(shell find src -name '*.ts' 2>/dev/null)
# package.json's version, written into the bundle (src/version.ts).
VERSION := $(shell node -p 'require("./package.json").version' 2>/dev/null)

.PHONY: deps build test test-unit demo bench typecheck clean image qemu-test openwrt-host release

deps: node_modules/.installed

# The aarch64 board's libraries, for cross-compiling (image/openwrt-userland, image/build).
APT_PACKAGES_ARM64 := libjson-c-dev:arm64 libpcap-dev:arm64

.apt-installed: Makefile
	@dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
	@missing=$$(for p in $(APT_PACKAGES) $(APT_PACKAGES_ARM64); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

node_modules/.installed: package.json package-lock.json | .apt-installed
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null || \
	  { echo "backsoon needs Node.js >= 20 with npm (found: $$(node --version 2>/dev/null || echo none)); Debian bookworm's nodejs is 18: install Node.js 20 or later first" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

build: dist/backsoon.js dist/backsoon-daemon.js dist/backsoon-snmp.js dist/backsoon-core.js

# The core alone, for engines without Node (QuickJS): no Node API may be reachable from it.
dist/backsoon-core.js: node_modules/.installed $(SOURCES)
	@mkdir -p dist
	$(ESBUILD) src/core.ts --bundle --platform=neutral --format=iife --global-name=backsoonCore \
	  --target=es2020 --outfile=dist/backsoon-core.js --log-level=warning

# Two bundles: the command line (backsoon.js: status, metrics, config) and the daemon's modules
# beside it (backsoon-daemon.js), which backsoon.js requires only for run, replay, policy, agent;
# and net-snmp on its own (backsoon-snmp.js), required only once SNMP is used (src/net-snmp.ts).
# src/bundle.mjs runs esbuild with a plugin the command line cannot take (nodemailer's HTTP client left out).
dist/backsoon.js dist/backsoon-daemon.js dist/backsoon-snmp.js &: node_modules/.installed $(SOURCES) src/bundle.mjs package.json
	@mkdir -p dist
	node src/bundle.mjs '$(VERSION)'
	cp node_modules/@jitl/quickjs-wasmfile-release-sync/dist/emscripten-module.wasm dist/quickjs.wasm
	@chmod +x dist/backsoon.js

# The release tarball the OpenWrt feed builds from (build/release/backsoon-VERSION.tar.gz, VERSION
# from package.json), and its version and hash written into image/package/*/Makefile.
release: build
	image/release

typecheck: node_modules/.installed
	node_modules/.bin/tsc -p tsconfig.json

test: build openwrt-host
	bash test/run

test-unit: build openwrt-host
	bash test/run unit

demo: build
	node --import tsx test/lab/demo.ts

bench: build
	bash bench/run

# OpenWrt's own userland (uci, validate_data, ubusd, procd, rpcd, jsonfilter) built for this
# machine from $(OPENWRT_SRC), for the tests that compare with it (image/openwrt-src.lock).
# A git worktree elsewhere finds them beside its main checkout.
OPENWRT_SRC ?= $(firstword $(wildcard ../shared/openwrt-src $(dir $(shell git rev-parse --path-format=absolute --git-common-dir 2>/dev/null))../shared/openwrt-src) ../shared/openwrt-src)
export OPENWRT_SRC
openwrt-host: .apt-installed
	image/openwrt-userland --arch host

# The emulated routers, x86_64 and the aarch64 SoC (docs/IMAGE.md); downloads are cached in
# build/image-cache.
BOARDS := x86_64 aarch64
IMAGE_INPUTS := dist/backsoon.js dist/backsoon-daemon.js dist/backsoon-snmp.js $(shell find image board/openwrt/files board/openwrt/luci/root -type f -not -path 'image/package/*' -not -name release 2>/dev/null)
image: $(BOARDS:%=build/image/%/rootfs.squashfs)

build/image/%/rootfs.squashfs: $(IMAGE_INPUTS) | .apt-installed
	image/build --arch $*

qemu-test: build image
	bash test/run qemu

clean:
	rm -rf dist build/image .apt-installed
