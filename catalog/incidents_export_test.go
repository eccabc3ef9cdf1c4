package catalog

import (
	"context"
	"time"
)

// NoisiestServices (for the benchmark: the digest reads them through
// digestNoisyServices) are the active services with the most incidents
// created in [since, now], most first (then by name), at most limit. ok is
// false when the counts are unknown (then nothing is listed).
func (s *Store) NoisiestServices(ctx context.Context, since time.Time, limit int) (out []NoisyService, ok bool, err error) {
	st, err := s.IncidentRefresh(ctx)
	if err != nil {
		return nil, false, err
	}
	now := s.Now()
	if !st.Known(now) {
		return nil, false, nil
	}
	out, err = s.noisiest(ctx, since, now, limit)
	return out, err == nil, err
}
