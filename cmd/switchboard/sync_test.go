package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/maven/fakemaven"
)

// TestSyncCommand syncs from a fake GitLab: a summary on stdout, progress
// as log lines (stderr is not a terminal), and a second run that finds
// nothing changed.
func TestSyncCommand(t *testing.T) {
	fake := fakegitlab.New(fakegitlab.Generate(40, 1), fakegitlab.Options{Token: "glpat-t"})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	fake.SetURL(srv.URL)
	mvn := fakemaven.New(os.DirFS("../../maven/testdata/repo"))
	mvnSrv := httptest.NewServer(mvn)
	defer mvnSrv.Close()
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t), "GITLAB_URL": srv.URL, "GITLAB_TOKEN": "glpat-t", "MAVEN_REPOSITORIES": mvnSrv.URL}

	env, out, errb := testEnv(t, vars)
	if code := run(context.Background(), []string{"sync"}, env); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errb)
	}
	// The pom.xml files were resolved against MAVEN_REPOSITORIES, through
	// the POM cache.
	if len(mvn.Requests()) == 0 {
		t.Errorf("no request reached MAVEN_REPOSITORIES (%s): pom.xml files not resolved", mvnSrv.URL)
	}
	var cached int
	if err := pgxQueryInt(t, vars["DATABASE_URL"], `SELECT count(*) FROM pom_cache WHERE pom IS NOT NULL`, &cached); err != nil || cached == 0 {
		t.Errorf("POM cache: %d POMs (%v), want some", cached, err)
	}
	active := 0 // the default standards skip archived projects and forks
	for _, p := range fake.Projects() {
		if !p.Archived && p.ForkedFrom == "" {
			active++
		}
	}
	for _, want := range []string{fmt.Sprintf("repos seen %d: verified 0, changed 0, re-read %d,", active, active), "catalogued", "invalid", "missing", "API requests", "429s 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	env, out, errb = testEnv(t, vars)
	// Incremental: only projects active since the last sync are listed.
	if code := run(context.Background(), []string{"sync"}, env); code != 0 || !strings.Contains(out.String(), "repos seen 0") || !strings.Contains(out.String(), "API requests 1,") {
		t.Fatalf("second run: exit %d\n%s\n%s", code, out, errb)
	}
	// --full after a sync compares every repo with GitLab: those with a
	// known commit are verified (nothing moved), the others (no descriptor
	// was ever read from them) re-read, and only their descriptors counted.
	env, out, errb = testEnv(t, vars)
	if code := run(context.Background(), []string{"sync", "--full"}, env); code != 0 {
		t.Fatalf("full run: exit %d\n%s\n%s", code, out, errb)
	}
	var seen, verified, changed, reread, read int
	if _, err := fmt.Sscanf(out.String(), "repos seen %d: verified %d, changed %d, re-read %d,", &seen, &verified, &changed, &reread); err != nil {
		t.Fatalf("full run's summary: %v\n%s", err, out)
	}
	if i := strings.Index(out.String(), "descriptors read "); i < 0 {
		t.Fatalf("full run's summary has no descriptors read:\n%s", out)
	} else if _, err := fmt.Sscanf(out.String()[i:], "descriptors read %d:", &read); err != nil {
		t.Fatal(err)
	}
	if seen != active || changed != 0 || verified == 0 || verified+reread != active || read != reread {
		t.Fatalf("full run: seen %d, verified %d, changed %d, re-read %d, descriptors read %d; want %d seen, all verified or re-read, only re-read descriptors counted\n%s",
			seen, verified, changed, reread, read, active, out)
	}

	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"no GitLab", map[string]string{"DATABASE_URL": vars["DATABASE_URL"]}, "GITLAB_URL is not set"},
		{"no token", map[string]string{"GITLAB_URL": srv.URL}, "GITLAB_TOKEN is not set"},
		{"not a URL", map[string]string{"GITLAB_URL": "gitlab.example.com", "GITLAB_TOKEN": "x"}, "GITLAB_URL must be an http(s) URL"},
		{"bad Maven repository", map[string]string{"GITLAB_URL": srv.URL, "GITLAB_TOKEN": "x", "MAVEN_REPOSITORIES": "ftp://m2.example"}, "MAVEN_REPOSITORIES: maven repository 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, errb := testEnv(t, tt.vars)
			if code := run(context.Background(), []string{"sync"}, env); code != 2 || !strings.Contains(errb.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errb, tt.want)
			}
		})
	}
}

// pgxQueryInt scans one integer the query returns from the database at url.
func pgxQueryInt(t *testing.T, url, query string, out *int) error {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return conn.QueryRow(context.Background(), query).Scan(out)
}
