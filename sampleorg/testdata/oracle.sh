#!/bin/sh
# Writes the Maven part of testdata/oracle/ again: every pom.xml the sample
# organisation's fake GitLab serves (sampleorg.GitLabOrg), resolved by
# Debian's Maven offline against the demo's Maven repository plus the
# organisation's published parent POM (see SOURCES.md).
# Needs: apt-get install maven (3.8.7, with maven-dependency-plugin in
# /usr/share/maven-repo). Usage: sampleorg/testdata/oracle.sh (from anywhere).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The repos' files as the fake GitLab serves them: a throwaway main laid
# into the module by an overlay (nothing is written to the tree).
mkdir -p "$work/dump"
cat >"$work/dump/main.go" <<'GO'
package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/switchboard-dev/switchboard/sampleorg"
)

func main() {
	for _, p := range sampleorg.GitLabOrg(time.Now()).Projects {
		for name, data := range p.Files {
			f := filepath.Join(os.Args[1], p.Path, name)
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				panic(err)
			}
			if err := os.WriteFile(f, data, 0o644); err != nil {
				panic(err)
			}
		}
	}
}
GO
printf '{"Replace":{"%s/internal/zzoracledump/main.go":"%s/dump/main.go"}}' "$root" "$work" >"$work/overlay.json"
(cd "$root" && go run -overlay "$work/overlay.json" ./internal/zzoracledump "$work/org")

lr=$work/m2
mkdir -p "$lr"
cp -rs /usr/share/maven-repo/. "$lr/"
cp -r --remove-destination "$root/cmd/switchboard/demomaven/." "$lr/"
cp -r --remove-destination "$root/maven/testdata/repo/junit" "$lr/"
: >"$lr/junit/junit/4.x/junit-4.x.jar"
mkdir -p "$lr/example/acme/java-parent/3.2.0"
cp "$here/acme/platform/java-parent/pom.xml" "$lr/example/acme/java-parent/3.2.0/java-parent-3.2.0.pom"

cd "$work/org"
find . -name pom.xml | sed 's|^\./||' | sort | while read -r pom; do
	repo=$(dirname "$pom")
	p=$work/proj/$repo
	mkdir -p "$p" "$here/oracle/$repo"
	cp "$pom" "$p/"
	(cd "$p" && mvn -o -q -Dmaven.repo.local="$lr" org.apache.maven.plugins:maven-dependency-plugin:3.5.0:tree \
		-DoutputType=text -DoutputFile="$here/oracle/$repo/mvn-tree.txt")
	echo "$repo"
done
