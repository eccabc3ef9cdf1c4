package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
)

// TestServeJobMetrics: serve's /metrics has the background jobs' counts by
// kind and state (the cluster's, from the database) and this replica's job
// latency, once a job was worked.
func TestServeJobMetrics(t *testing.T) {
	fs := fakeslack.NewForTest(t, nil, nil)
	srv := testServer(t, envMap{
		"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "SLACK_API_URL": fs.APIURL(), "LISTEN_ADDR": "127.0.0.1:0",
	}, slog.New(slog.DiscardHandler))
	c, err := srv.work.Client()
	if err != nil {
		t.Fatal(err)
	}
	events, unsubscribe := c.Subscribe(river.EventKindJobCompleted)
	defer unsubscribe()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	}()

	if _, err := c.Insert(ctx, choresArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	if ev := <-events; ev.Job.Kind != (choresArgs{}).Kind() {
		t.Fatalf("completed: got a %s job, want housekeeping", ev.Job.Kind)
	}
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`switchboard_jobs{kind="housekeeping",state="completed"} 1`,
		`switchboard_job_run_seconds_count{kind="housekeeping",outcome="ok"} 1`,
		`switchboard_job_wait_seconds_count{kind="housekeeping"} 1`,
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
