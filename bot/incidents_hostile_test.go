package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// seedHostileIncidents gives the hostile environment PagerDuty incidents,
// read as the refresh reads them: on checkout-api's PagerDuty service
// (which the hsvc-N services share) and on a service per hostile value,
// named with it and owned by the team named with it, so that /whoowns,
// /team and the digest's noisiest services name them.
func seedHostileIncidents(t *testing.T, store *catalog.Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	pd := fakepd.SampleServiceID("checkout-api")
	var incs []catalog.Incident
	for i := range 5 {
		incs = append(incs, catalog.Incident{ID: fmt.Sprintf("QHOST%d", i), PDServiceID: pd, CreatedAt: now.Add(-time.Duration(i+1) * 20 * time.Hour)})
	}
	for i, h := range fakeslack.Hostile {
		if _, err := store.PutService(ctx, catalog.Service{Name: h.Value, Team: h.Value, PagerDutyServiceID: fmt.Sprintf("PHOST%d", i), Source: catalog.SourceImport}); err != nil {
			t.Fatal(err)
		}
		// More than checkout-api's: the digest's top five are hostile.
		for j := range 6 {
			incs = append(incs, catalog.Incident{ID: fmt.Sprintf("QHOSTV%d-%d", i, j), PDServiceID: fmt.Sprintf("PHOST%d", i), CreatedAt: now.Add(-time.Duration(j+1) * time.Hour)})
		}
	}
	if err := store.StoreIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	if err := store.FinishIncidentRefresh(ctx, "test", now.Add(-catalog.IncidentsFullSpan), now, 1, nil); err != nil {
		t.Fatal(err)
	}
}

// TestHostileIncidentLines: the incident lines of /whoowns and /team and the
// digest's noisiest services, with services and teams named with hostile
// values, are there and escaped (the fake Slack fails the test on a
// hostile value sent as is).
func TestHostileIncidentLines(t *testing.T) {
	e := newHostileEnv(t)
	for i, h := range fakeslack.Hostile {
		t.Run(h.Name, func(t *testing.T) {
			e.t = t
			for line, want := range map[string]string{
				fmt.Sprintf("/whoowns hsvc-%d", i): "5 incidents in 30 days",
				fmt.Sprintf("/team hteam-%d", i):   "noisiest",
				"/digest":                          "6 incidents (team ",
			} {
				if got := e.slash(line); !strings.Contains(got, want) {
					t.Errorf("%s: no %q in %s", line, want, got)
				}
			}
		})
	}
}
