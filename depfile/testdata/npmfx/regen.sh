#!/bin/sh
# regen.sh regenerates the npm-family fixtures from each set's package.json
# (web/: express and log4js; app/: scoped packages, peer and optional
# dependencies, several versions of one package): a real
# resolution by npm (lockfile v1, v2, v3), yarn classic, yarn berry and
# pnpm, and each resolver's own view of the graph, which
# TestNPMGraphMatchesResolvers holds depfile to:
#   npm-v*/npm-ls.json   npm ls --all --json --package-lock-only
#   yarn1/npm-ls.json   npm ls --all --json over the node_modules yarn 1 installed
#   berry/npm-ls.json   the same for yarn berry (nodeLinker: node-modules)
#   pnpm/pnpm-ls.json   pnpm list --depth Infinity --json, in npm ls's shape
# Needs node and npm, and the npm registry (no install scripts are run).
#   sh depfile/testdata/npmfx/regen.sh
set -eu
top=$(cd "$(dirname "$0")" && pwd)
tmp0=$(mktemp -d)
trap 'rm -rf "$tmp0"' EXIT
flags="--ignore-scripts --no-audit --no-fund"
for set in web app; do
here=$top/$set
tmp=$tmp0/$set
mkdir -p "$tmp"
for v in 1 2 3; do
	mkdir -p "$here/npm-v$v" "$tmp/npm-v$v"
	cp "$here/package.json" "$tmp/npm-v$v/"
	(cd "$tmp/npm-v$v" && npm install --package-lock-only $flags --lockfile-version "$v" >/dev/null &&
		npm ls --all --json --package-lock-only >npm-ls.json)
	cp "$here/package.json" "$tmp/npm-v$v/package-lock.json" "$tmp/npm-v$v/npm-ls.json" "$here/npm-v$v/"
done

mkdir -p "$tmp/yarn1" "$here/yarn1"
cp "$here/package.json" "$tmp/yarn1/"
(cd "$tmp/yarn1" && npx --yes yarn@1.22.22 install --ignore-scripts --ignore-engines --non-interactive >/dev/null 2>&1 &&
	npm ls --all --json >npm-ls.json)
cp "$here/package.json" "$tmp/yarn1/yarn.lock" "$tmp/yarn1/npm-ls.json" "$here/yarn1/"

mkdir -p "$tmp/berry" "$here/berry"
cp "$here/package.json" "$tmp/berry/"
(cd "$tmp/berry" && touch yarn.lock && printf 'nodeLinker: node-modules\n' >.yarnrc.yml &&
	YARN_ENABLE_IMMUTABLE_INSTALLS=0 npx --yes @yarnpkg/cli-dist@4.5.3 install --mode=skip-build >/dev/null &&
	npm ls --all --json >npm-ls.json)
cp "$here/package.json" "$tmp/berry/yarn.lock" "$tmp/berry/npm-ls.json" "$here/berry/"

mkdir -p "$tmp/pnpm" "$here/pnpm"
cp "$here/package.json" "$tmp/pnpm/"
(cd "$tmp/pnpm" && npx --yes pnpm@9.15.0 install --ignore-scripts >/dev/null &&
	npx --yes pnpm@9.15.0 list --depth Infinity --json | node "$top/pnpm-ls-to-npm.js" >pnpm-ls.json)
cp "$here/package.json" "$tmp/pnpm/pnpm-lock.yaml" "$tmp/pnpm/pnpm-ls.json" "$here/pnpm/"
done
