#!/bin/sh
# Regenerates projects/*/mvn-origins.txt: where Maven says each version of
# a fixture project's dependencies and <dependencyManagement> entries
# comes from (MvnOrigins.java: Debian's Maven 3.8.7 model builder with
# location tracking, what `mvn help:effective-pom -Dverbose` prints, whose
# plugin Debian does not ship), offline over this folder's repo/.
# TestVersionFromAgainstMaven compares VersionFrom with these files.
# Needs: apt-get install maven (and a JDK: java runs the source file)
# Usage: maven/testdata/mvn-origins.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
find projects -name pom.xml | sort | while read -r pom; do
	java -cp '/usr/share/maven/lib/*' MvnOrigins.java repo "$pom" 2>/dev/null >"$(dirname "$pom")/mvn-origins.txt"
done
find projects -name mvn-origins.txt | sort | xargs wc -l
