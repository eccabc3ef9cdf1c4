#!/bin/sh
# regen.sh regenerates the npm-family fixtures from package.json: a real
# resolution by npm (lockfile v1, v2, v3), yarn classic, yarn berry and
# pnpm, and each resolver's own view of the graph, which
# TestNPMGraphMatchesResolvers holds depfile to:
#   web-v*/npm-ls.json  npm ls --all --json --package-lock-only
#   yarn1/npm-ls.json   npm ls --all --json over the node_modules yarn 1 installed
#   berry/npm-ls.json   the same for yarn berry (nodeLinker: node-modules)
#   pnpm/pnpm-ls.json   pnpm list --depth Infinity --json, in npm ls's shape
# Needs node and npm, and the npm registry (no install scripts are run).
#   sh depfile/testdata/npmfx/regen.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="--ignore-scripts --no-audit --no-fund"
for v in 1 2 3; do
	mkdir -p "$here/web-v$v" "$tmp/web-v$v"
	cp "$here/package.json" "$tmp/web-v$v/"
	(cd "$tmp/web-v$v" && npm install --package-lock-only $flags --lockfile-version "$v" >/dev/null &&
		npm ls --all --json --package-lock-only >npm-ls.json)
	cp "$here/package.json" "$tmp/web-v$v/package-lock.json" "$tmp/web-v$v/npm-ls.json" "$here/web-v$v/"
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
	npx --yes pnpm@9.15.0 list --depth Infinity --json | node "$here/pnpm-ls-to-npm.js" >pnpm-ls.json)
cp "$here/package.json" "$tmp/pnpm/pnpm-lock.yaml" "$tmp/pnpm/pnpm-ls.json" "$here/pnpm/"
