#!/bin/sh
# run.sh measures CycloneDX's cyclonedx-go and SPDX's tools-golang (with
# packageurl-go) against depfile's own SBOM reader: what each reads of the
# real SBOMs of depfile/testdata/sbom (TestCompare), speed on a
# 20,000-component SBOM per format (BenchmarkParse, one CPU), and the size
# of the smallest program linking each. Needs the Go module proxy the
# first time.  sh depfile/testdata/sbom-compare/run.sh
set -eu
cd "$(dirname "$0")"
go mod tidy >/dev/null 2>&1 || true
go test -run TestCompare -v -count=1 . | grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok'
GOMAXPROCS=1 go test -run '^$' -bench 'BenchmarkParse' -benchtime 5x -count 3 . | grep Benchmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'package main\nfunc main() {}\n' >"$tmp/empty.go"
go build -trimpath -o "$tmp/empty" "$tmp/empty.go"
printf 'empty main: %s bytes\n' "$(ls -l "$tmp/empty" | awk '{print $5}')"
for b in withdepfile withcyclonedx withspdx; do
	go build -trimpath -o "$tmp/$b" ./$b
	printf '%s: %s bytes; packages not std %s; modules %s\n' "$b" "$(ls -l "$tmp/$b" | awk '{print $5}')" \
		"$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./$b | grep -c .)" \
		"$(go list -deps -f '{{with .Module}}{{.Path}}{{end}}' ./$b | sort -u | grep -c .)"
done
