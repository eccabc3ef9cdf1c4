#!/bin/sh
# run.sh measures osv-scalibr's lockfile extractors against depfile on
# depfile/testdata: what each finds (TestCompare), speed (BenchmarkParse),
# binary size of the smallest program linking each, and the packages and
# modules each pulls in. Needs the Go module proxy the first time.
#   sh depfile/testdata/scalibr-compare/run.sh
set -eu
cd "$(dirname "$0")"
go mod tidy >/dev/null 2>&1 || true
go test -run TestCompare -v -count=1 . | grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok'
go test -run '^$' -bench 'BenchmarkParse$' -benchtime 2s -count 1 . | grep Benchmark
go test -run '^$' -bench 'BenchmarkParseByFormat' -benchtime 200ms -count 1 . | grep Benchmark
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -trimpath -ldflags=-s -o "$tmp/withdepfile" ./withdepfile
go build -trimpath -ldflags=-s -o "$tmp/withscalibr" ./withscalibr
go build -trimpath -o "$tmp/withdepfile.sym" ./withdepfile
go build -trimpath -o "$tmp/withscalibr.sym" ./withscalibr
printf 'empty main (stripped): '; printf 'package main\nfunc main() {}\n' >"$tmp/empty.go"; go build -trimpath -ldflags=-s -o "$tmp/empty" "$tmp/empty.go"; ls -l "$tmp/empty" | awk '{print $5}'
for b in withdepfile withscalibr; do
	printf '%s: stripped %s bytes, with symbols %s bytes; packages %s (not std %s); modules %s\n' "$b" \
		"$(ls -l "$tmp/$b" | awk '{print $5}')" "$(ls -l "$tmp/$b.sym" | awk '{print $5}')" \
		"$(go list -deps ./$b | wc -l)" "$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./$b | grep -c .)" \
		"$(go list -deps -f '{{with .Module}}{{.Path}}{{end}}' ./$b | sort -u | grep -c .)"
done
