#!/bin/sh
# Installs the pinned Backstage packages into a temporary folder, runs every
# descriptor of manifest/testdata (the real-world corpus and the crafted files)
# through Backstage's own catalog processing, and rewrites
# manifest/testdata/backstage-verdicts.tsv. Needs node (20+) and npm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${BACKSTAGE_VERDICTS_WORKDIR:-$(mktemp -d)}
cp "$here/package.json" "$here/package-lock.json" "$here/verdicts.js" "$work/"
cd "$work"
npm ci --ignore-scripts --no-audit --no-fund --omit=optional --loglevel=error >&2
node verdicts.js "$repo"
echo "packages left in $work (delete it when done)" >&2
