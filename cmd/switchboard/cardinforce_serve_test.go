package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/standards"
)

// seedScorecardServices puts two services of team payments in the
// catalog, to be graded.
func seedScorecardServices(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO teams (name, slack_channel) VALUES ('payments', '#payments')`,
		`INSERT INTO services (name, team_id, lifecycle, tier, type, source)
			SELECT n, (SELECT id FROM teams WHERE name = 'payments'), 'production', 'tier-1', 'service', 'descriptor'
			FROM unnest(ARRAY['checkout-api', 'ledger']) n`,
	} {
		if _, err := pool.Exec(context.Background(), q); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
}

// serveStart is one start of serve over a database and a standards file:
// the exit code, the log, and the answer to /scorecard while it ran.
type serveStart struct {
	code   int
	logs   string
	answer string
}

// startServe runs serve with the standards file text until its
// background work has graded every service once more (a leader grades
// all at start), asks /scorecard, and stops it.
func startServe(t *testing.T, dbURL, configPath, text string, pool *pgxpool.Pool) serveStart {
	t.Helper()
	if err := os.WriteFile(configPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var gradedBefore int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, grading.GradeAllArgs{}.Kind()).Scan(&gradedBefore); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	fs := fakeslack.NewForTest(t, nil, nil)
	const secret = "0123456789abcdef0123456789abcdef"
	vars := map[string]string{
		"SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": fs.APIURL(), "LISTEN_ADDR": addr,
		"DATABASE_URL": dbURL, standards.EnvConfig: configPath, "OSV_API_URL": "off", envMavenRepositories: "off",
	}
	var mu sync.Mutex
	var logs bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &lockedWriter{mu: &mu, w: &logs}, Getenv: func(k string) string { return vars[k] }}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- runServe(runCtx, nil, env) }()
	logged := func() string {
		mu.Lock()
		defer mu.Unlock()
		return logs.String()
	}
	var out serveStart
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case out.code = <-done:
			out.logs = logged()
			return out
		default:
		}
		var graded int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND state = 'completed'`, grading.GradeAllArgs{}.Kind()).Scan(&graded); err != nil {
			t.Fatal(err)
		}
		if graded > gradedBefore && strings.Contains(logged(), "switchboard serving") {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("serve did not grade within 60 s; log:\n%s", logged())
		}
		time.Sleep(50 * time.Millisecond)
	}
	body := fakeslack.SlashCommand("/scorecard", "", "U1", "C1", fs.ResponseURL("x"), "T")
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/commands", bytes.NewReader(body))
	req.Header = fakeslack.Sign(secret, body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	out.answer = string(answer)
	cancel()
	select {
	case out.code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of cancellation")
	}
	out.logs = logged()
	return out
}

// gradeHashes returns the card hash of every stored grade, by service.
func gradeHashes(t *testing.T, pool *pgxpool.Pool) map[string]string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT s.name, g.card_hash FROM service_grades g JOIN services s ON s.id = g.service_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, hash string
		if err := rows.Scan(&name, &hash); err != nil {
			t.Fatal(err)
		}
		out[name] = hash
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServeKeepsLastGoodScorecard: serve started with a valid card A
// keeps it and grades with it; restarted with the file's scorecard
// section broken, it starts, logs the positioned errors, keeps A in force
// (the grades keep A's hash: nothing graded again, no level changed) and
// /scorecard says so; restarted with a valid card B, B is in force.
func TestServeKeepsLastGoodScorecard(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.URL(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	seedScorecardServices(t, pool)
	store := catalog.NewStore(pool, nil)
	dir := t.TempDir()
	configPath := filepath.Join(dir, "standards.yaml")
	hashA := hashOf(t, loadCard(t, writeStandards(t, t.TempDir(), cardAYAML)).Standards.Scorecard)
	hashB := hashOf(t, loadCard(t, writeStandards(t, t.TempDir(), cardBYAML)).Standards.Scorecard)
	notice := "The standards file's scorecard has"

	steps := []struct {
		name      string
		text      string
		wantHash  string
		wantLog   []string
		wantInAns []string
		noNotice  bool
	}{
		{"valid card A", cardAYAML, hashA, nil, nil, true},
		{"section broken", brokenCardYAML, hashA,
			[]string{"at=" + configPath + ":10:11", "first=" + configPath + ":10:11", "the last good scorecard is in force"},
			[]string{notice + " 1 error (first at " + configPath + ":10:11: check merged: \\\"gee\\\" is not an operator", "the last good scorecard (from "}, false},
		{"valid card B", cardBYAML, hashB, nil, nil, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := gradeHashes(t, pool)
			got := startServe(t, dbURL, configPath, st.text, pool)
			if got.code != 0 {
				t.Fatalf("exit %d; log:\n%s", got.code, got.logs)
			}
			last, err := store.LastScorecard(ctx)
			if err != nil || last.Hash != st.wantHash {
				t.Errorf("last good scorecard %s (%v), want %s", last.Hash, err, st.wantHash)
			}
			hashes := gradeHashes(t, pool)
			if len(hashes) != 2 {
				t.Errorf("grades %v, want both services graded", hashes)
			}
			for name, h := range hashes {
				if h != st.wantHash {
					t.Errorf("%s graded with card %s, want %s (before: %v)", name, h, st.wantHash, before)
				}
			}
			for _, w := range st.wantLog {
				if !strings.Contains(got.logs, w) {
					t.Errorf("the log lacks %q:\n%s", w, got.logs)
				}
			}
			for _, w := range st.wantInAns {
				if !strings.Contains(got.answer, w) {
					t.Errorf("/scorecard lacks %q:\n%s", w, got.answer)
				}
			}
			if st.noNotice && strings.Contains(got.answer, notice) {
				t.Errorf("/scorecard carries a notice with a valid file:\n%s", got.answer)
			}
		})
	}
	// The card in force with the broken section graded nothing again.
	card, err := chooseCard(ctx, loadCard(t, writeStandards(t, t.TempDir(), brokenCardYAML)), store, nil)
	if err != nil || card.Hash != hashB {
		t.Fatalf("card in force %s (%v), want B's %s", card.Hash, err, hashB)
	}
	g, err := grading.New(store, card.Card, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Refresh(ctx)
	if err != nil || res.Graded.Services != 0 {
		t.Errorf("refresh with the kept card graded %d (%v), want 0", res.Graded.Services, err)
	}
	changes, err := store.LevelChanges(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		t.Errorf("a level changed: %+v", c)
	}
}

// TestStartWithScorecardErrors: errors in the scorecard section alone do
// not stop serve or sync at the configuration (they go on to the
// database, here unreachable: exit 1), and are logged with their
// positions; an error in another section still stops them with exit 2
// before the database.
func TestStartWithScorecardErrors(t *testing.T) {
	dir := t.TempDir()
	scoreOnly := writeStandards(t, dir, brokenCardYAML)
	bothDir := filepath.Join(dir, "both")
	if err := os.Mkdir(bothDir, 0o700); err != nil {
		t.Fatal(err)
	}
	both := writeStandards(t, bothDir, "digest: {schedule: 'every day'}\n"+strings.TrimPrefix(brokenCardYAML, "version: 1\n"))
	base := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"GITLAB_URL": "http://127.0.0.1:1", "GITLAB_TOKEN": "glpat-x",
		"DATABASE_URL": "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=1",
	}
	tests := []struct {
		name     string
		run      func(context.Context, []string, *Env) int
		config   string
		wantCode int
		want     []string
	}{
		{"serve, scorecard only", runServe, scoreOnly, 1, []string{"at=" + scoreOnly + ":10:11", "127.0.0.1:1"}},
		{"sync, scorecard only", runSync, scoreOnly, 1, []string{"at=" + scoreOnly + ":10:11", "127.0.0.1:1"}},
		{"serve, digest and scorecard", runServe, both, 2, []string{"SWITCHBOARD_CONFIG", both + ":1:"}},
		{"sync, digest and scorecard", runSync, both, 2, []string{"SWITCHBOARD_CONFIG", both + ":1:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{standards.EnvConfig: tt.config}
			for k, v := range base {
				vars[k] = v
			}
			env, _, stderr := testEnv(t, vars)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if code := tt.run(ctx, nil, env); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tt.wantCode == 2 && (strings.Contains(stderr.String(), "127.0.0.1:1/") || strings.Contains(stderr.String(), "migrat")) {
				t.Errorf("touched the database before finding the configuration error:\n%s", stderr)
			}
		})
	}
}

// TestScorecardNotice: with a notice, each form of /scorecard (the
// organisation, a team, a service) ends with it in one context line;
// without, none does.
func TestScorecardNotice(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	seedScorecardServices(t, pool)
	store := catalog.NewStore(pool, nil)
	std := loadCard(t, writeStandards(t, t.TempDir(), cardAYAML)).Standards
	g, err := grading.New(store, std.Scorecard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.GradeAll(ctx); err != nil {
		t.Fatal(err)
	}
	const notice = "The standards file's scorecard has 1 error (first at sb.yaml:10:11: x); the last good scorecard (from 2026-11-30 08:00 UTC) is in force."
	for _, withNotice := range []bool{true, false} {
		d := deps{log: nil, store: store, lookups: store, standards: std}
		if withNotice {
			d.scorecardNotice = notice
		}
		router := newRouter(d)
		for _, arg := range []string{"", "@payments", "checkout-api"} {
			resp, err := router.Dispatch(ctx, commands.Request{Command: "/scorecard", Text: arg, User: commands.User{ID: "U1"}})
			if err != nil {
				t.Fatalf("/scorecard %s: %v", arg, err)
			}
			if len(resp.Blocks) < 2 {
				t.Fatalf("/scorecard %s: %d blocks, want an answer: %+v", arg, len(resp.Blocks), resp)
			}
			n := 0
			for _, b := range resp.Blocks {
				if c, ok := b.(*commands.Context); ok && c.Text.String() == notice {
					n++
				}
			}
			last, _ := resp.Blocks[len(resp.Blocks)-1].(*commands.Context)
			switch {
			case withNotice && (n != 1 || last == nil || last.Text.String() != notice):
				t.Errorf("/scorecard %s: the notice is said %d times, last block %+v; want once, last", arg, n, resp.Blocks[len(resp.Blocks)-1])
			case !withNotice && n != 0:
				t.Errorf("/scorecard %s: a notice without errors", arg)
			}
		}
	}
}
