package advisories_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// BenchmarkAffected is one "is this dependency affected" question, as
// /impact asks it for each distinct version of a package.
func BenchmarkAffected(b *testing.B) {
	r := mustRecord(b, log4shell)
	for b.Loop() {
		if ok, _, err := r.Affected(depfile.Maven, log4jCore, "2.14.1"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkStorePut loads 5,000 records (the testdata's, under new ids) in
// the batches `advisories load` uses.
func BenchmarkStorePut(b *testing.B) {
	const n, batch = 5000, 500
	base := mustTestdata(b)
	recs := make([]*advisories.Record, n)
	for i := range recs {
		r := *base[i%len(base)]
		r.ID = fmt.Sprintf("%s-%d", r.ID, i)
		r.Aliases = []string{fmt.Sprintf("CVE-2099-%05d", i)}
		recs[i] = &r
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := advisories.NewStore(pgtest.New(b))
		b.StartTimer()
		for i := 0; i < n; i += batch {
			if _, err := s.Put(ctx, recs[i:i+batch]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n), "records/op")
}
