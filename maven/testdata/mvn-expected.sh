#!/bin/sh
# Regenerates projects/*/mvn-tree.txt: the dependency tree Debian's Maven
# (3.8.7, maven-dependency-plugin 3.5.0 from libmaven-dependency-plugin-java)
# resolves offline for each fixture project, against a local repository
# holding Debian's /usr/share/maven-repo (for the plugin itself) and this
# folder's repo/ (the fixtures' POMs). TestAgainstMaven compares the
# resolver's graphs with these files.
# Needs: apt-get install maven libmaven-dependency-plugin-java
# Usage: maven/testdata/mvn-expected.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lr=$(mktemp -d)
trap 'rm -rf "$lr"' EXIT
cp -rs /usr/share/maven-repo/. "$lr/"
# A POM the plugin's own dependencies name (junit:junit:4.x) that Debian
# does not ship: an empty placeholder.
mkdir -p "$lr/junit/junit/4.x"
echo '<project><modelVersion>4.0.0</modelVersion><groupId>junit</groupId><artifactId>junit</artifactId><version>4.x</version></project>' >"$lr/junit/junit/4.x/junit-4.x.pom"
: >"$lr/junit/junit/4.x/junit-4.x.jar"
cp -r --remove-destination "$here/repo/." "$lr/"
# Each project is built as a reactor from its top folder, as CI would:
# modules see each other (reactor/app needs reactor/core, never
# published), and each writes its tree beside its pom.xml.
for dir in "$here"/projects/*/; do
	(cd "$dir" && mvn -o -q -Dmaven.repo.local="$lr" \
		org.apache.maven.plugins:maven-dependency-plugin:3.5.0:tree \
		-DoutputType=text -DoutputFile=mvn-tree.txt)
done
(cd "$here/projects" && find . -name mvn-tree.txt | sort | xargs wc -l)
