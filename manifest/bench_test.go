package manifest_test

import (
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/manifest"
)

// BenchmarkLint decodes and validates the whole corpus per iteration, with the
// built-in standards, and reports files per second.
func BenchmarkLint(b *testing.B) {
	files := corpus(b)
	rules := defaultRules()
	n := 0
	start := time.Now()
	for b.Loop() {
		for _, f := range files {
			manifest.Parse(f.path, f.data, rules)
		}
		n += len(files)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "files/s")
}
