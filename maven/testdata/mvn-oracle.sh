#!/bin/sh
# Writes into DIR a project that depends on every artifact Debian's
# /usr/share/maven-repo holds at a real version (about 240), and the tree
# Debian's Maven resolves for it offline (DIR/mvn-tree.txt).
# TestDebianRepoAgainstMaven (MAVEN_ORACLE=1) runs it and compares.
# Usage: maven/testdata/mvn-oracle.sh DIR
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
lr=$(mktemp -d)
trap 'rm -rf "$lr"' EXIT
cp -rs /usr/share/maven-repo/. "$lr/"
cp -r --remove-destination "$here/repo/junit" "$lr/"
: >"$lr/junit/junit/4.x/junit-4.x.jar" # the plugin loads it: an empty placeholder
{
	printf '<project xmlns="http://maven.apache.org/POM/4.0.0">\n<modelVersion>4.0.0</modelVersion>\n'
	printf '<groupId>com.acme</groupId><artifactId>everything</artifactId><version>1</version>\n<dependencies>\n'
	cd /usr/share/maven-repo
	find . -name '*.pom' | sed 's|^\./||' | awk -F/ '{
		v = $(NF-1); a = $(NF-2); g = $1
		for (i = 2; i < NF-2; i++) g = g "." $i
		if (v != "debian" && v !~ /x$/) print g "\t" a "\t" v
	}' | sort -u -k1,2 | while IFS='	' read -r g a v; do
		printf '<dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$g" "$a" "$v"
	done
	printf '</dependencies>\n</project>\n'
} >"$dir/pom.xml"
cd "$dir"
mvn -o -q -Dmaven.repo.local="$lr" org.apache.maven.plugins:maven-dependency-plugin:3.5.0:tree \
	-DoutputType=text -DoutputFile="$dir/mvn-tree.txt"
