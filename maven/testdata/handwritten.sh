#!/bin/sh
# Writes the handwritten POMs of testdata/repo (see SOURCES.tsv): minimal
# POMs shaped like the real Spring Boot 2.6.1 and Log4j 2.x artifacts
# (same coordinates and the same dependency edges, other elements left
# out), and com.acme ones for parent, BOM and mediation cases. Debian's
# packages carry only Log4j 2.19.0, with versions rewritten to "debian",
# so the vulnerable versions and the Spring Boot chain are written here.
# Usage: testdata/handwritten.sh (from maven/).
set -eu
cd "$(dirname "$0")/repo"

# pom G A V [packaging] -- body read from stdin
pom() {
	d=$(echo "$1" | tr . /)/$2/$3
	mkdir -p "$d"
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
		echo '  <modelVersion>4.0.0</modelVersion>'
		echo "  <groupId>$1</groupId>"
		echo "  <artifactId>$2</artifactId>"
		echo "  <version>$3</version>"
		echo "  <packaging>${4:-jar}</packaging>"
		cat
		echo '</project>'
	} >"$d/$2-$3.pom"
}

# dep G A V [scope] [optional]
dep() {
	echo "    <dependency><groupId>$1</groupId><artifactId>$2</artifactId><version>$3</version>${4:+<scope>$4</scope>}${5:+<optional>true</optional>}</dependency>"
}

L=org.apache.logging.log4j
for v in 2.12.1 2.14.1 2.16.0 2.17.1; do
	pom $L log4j-api $v </dev/null
	{ echo '  <dependencies>'; dep $L log4j-api $v; dep com.lmax disruptor 3.4.2 "" true; dep junit junit 4.13.2 test; echo '  </dependencies>'; } | pom $L log4j-core $v
	{ echo '  <dependencies>'; dep org.slf4j slf4j-api 1.7.25; dep $L log4j-api $v; dep $L log4j-core $v runtime; echo '  </dependencies>'; } | pom $L log4j-slf4j-impl $v
	{ echo '  <dependencies>'; dep $L log4j-api $v; echo '  </dependencies>'; } | pom $L log4j-jul $v
	{
		echo '  <dependencyManagement><dependencies>'
		for a in log4j-api log4j-core log4j-slf4j-impl log4j-jul; do dep $L $a $v; done
		echo '  </dependencies></dependencyManagement>'
	} | pom $L log4j-bom $v pom
done
for v in 1.7.25 1.7.30 1.7.32 1.7.36; do pom org.slf4j slf4j-api $v </dev/null; done
{ echo '  <dependencies>'; dep org.slf4j slf4j-api 1.7.32; echo '  </dependencies>'; } | pom org.slf4j jul-to-slf4j 1.7.32
pom org.hamcrest hamcrest-core 1.3 </dev/null
{ echo '  <dependencies>'; dep org.hamcrest hamcrest-core 1.3; echo '  </dependencies>'; } | pom junit junit 4.13.2

# Spring Boot 2.6.1: the starter names its versions (the published POM is
# flattened); spring-boot-dependencies imports log4j-bom at log4j2.version.
S=org.springframework.boot
{
	echo '  <dependencies>'
	dep $L log4j-slf4j-impl 2.14.1
	dep $L log4j-core 2.14.1
	dep $L log4j-jul 2.14.1
	dep org.slf4j jul-to-slf4j 1.7.32
	echo '  </dependencies>'
} | pom $S spring-boot-starter-log4j2 2.6.1
cat <<'X' | pom $S spring-boot-dependencies 2.6.1 pom
  <properties>
    <log4j2.version>2.14.1</log4j2.version>
    <slf4j.version>1.7.32</slf4j.version>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${slf4j.version}</version></dependency>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-log4j2</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-bom</artifactId><version>${log4j2.version}</version><type>pom</type><scope>import</scope></dependency>
  </dependencyManagement></dependencies>
X
sed -i 's|</dependencyManagement></dependencies>|</dependencies></dependencyManagement>|' org/springframework/boot/spring-boot-dependencies/2.6.1/*.pom

# The organisation's parent POM, published from another repo.
cat <<'X' | pom com.acme acme-parent 1.4.0 pom
  <properties>
    <log4j2.version>2.14.1</log4j2.version>
  </properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${log4j2.version}</version></dependency>
    <dependency><groupId>com.acme</groupId><artifactId>acme-commons</artifactId><version>${project.version}</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.36</version></dependency>
  </dependencies>
X
{ echo '  <dependencies>'; dep $L log4j-api 2.17.1; echo '  </dependencies>'; } | pom com.acme acme-commons 1.4.0
# Mediation: lib-a brings log4j-core 2.16.0 one level nearer than
# lib-b > lib-c's 2.12.1; lib-d and lib-e bring slf4j-api at equal depth.
{ echo '  <dependencies>'; dep $L log4j-core 2.16.0; echo '  </dependencies>'; } | pom com.acme lib-a 1.0
{ echo '  <dependencies>'; dep com.acme lib-c 1.0; echo '  </dependencies>'; } | pom com.acme lib-b 1.0
{ echo '  <dependencies>'; dep $L log4j-core 2.12.1; echo '  </dependencies>'; } | pom com.acme lib-c 1.0
{ echo '  <dependencies>'; dep org.slf4j slf4j-api 1.7.30; echo '  </dependencies>'; } | pom com.acme lib-d 1.0
{ echo '  <dependencies>'; dep org.slf4j slf4j-api 1.7.36; echo '  </dependencies>'; } | pom com.acme lib-e 1.0
pom com.lmax disruptor 3.4.2 </dev/null

# junit:junit:4.x: Debian's plexus-container-default names it, Debian's
# junit4 package (not installed here) would provide it: an empty
# placeholder, as in mvn-expected.sh.
mkdir -p junit/junit/4.x
echo '<project><modelVersion>4.0.0</modelVersion><groupId>junit</groupId><artifactId>junit</artifactId><version>4.x</version></project>' >junit/junit/4.x/junit-4.x.pom

# Scopes and management probes: lib-f brings lib-c (> log4j-core 2.12.1)
# and declares slf4j-api without a version, managed by its own
# dependencyManagement; lib-g excludes slf4j-api below it.
cat <<'X' | pom com.acme lib-f 1.0
  <dependencyManagement><dependencies>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>1.7.32</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>lib-c</artifactId><version>1.0</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId></dependency>
  </dependencies>
X
cat <<'X' | pom com.acme lib-g 1.0
  <dependencies>
    <dependency><groupId>com.acme</groupId><artifactId>lib-e</artifactId><version>1.0</version>
      <exclusions><exclusion><groupId>org.slf4j</groupId><artifactId>*</artifactId></exclusion></exclusions></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-jul</artifactId><version>2.14.1</version></dependency>
  </dependencies>
X
