// Package pagetest works, for tests, the lookups of unconfirmed pages the
// way serve's River job does (cmd/switchboard's pageLookupWorker): a try,
// then a pause of Every, the last try at Until. Tests of commands and of the
// bot hand the lookups to it through catalog.Store.PageLookups, where serve
// inserts a job.
package pagetest

import (
	"context"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// Work tries the lookups of l until they are done or ctx ends; logf
// receives why a try failed.
func Work(ctx context.Context, lookups *commands.PageLookups, l catalog.PageLookup, logf func(format string, args ...any)) {
	for {
		t := time.NewTimer(l.Every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		done, err := lookups.Try(ctx, l.Token, l.AnswerTo, !time.Now().Before(l.Until))
		if err != nil && ctx.Err() == nil {
			logf("look up unconfirmed page %s: %v", l.Token, err)
		}
		if done {
			return
		}
	}
}
