package catalog

import (
	"context"
	"fmt"
	"time"
)

// deliveryRetention is how long a delivery key is remembered: Slack retries
// for minutes, not days.
const deliveryRetention = 24 * time.Hour

// FirstDelivery records key (a Slack event id, a button click's id) and
// reports whether this is the first time it was seen, across every replica
// sharing the database. A caller acts only on the first delivery.
func (s *Store) FirstDelivery(ctx context.Context, key string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO slack_deliveries (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, key)
	if err != nil {
		return false, fmt.Errorf("record delivery %s: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ForgetDeliveries removes delivery keys older than a day. It returns how
// many it removed.
func (s *Store) ForgetDeliveries(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM slack_deliveries WHERE at < $1`, s.Now().Add(-deliveryRetention))
	if err != nil {
		return 0, fmt.Errorf("forget old deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}
