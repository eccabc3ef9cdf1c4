package pgserver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, names ...string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk(filepath.Join(root, "lib/9.6/bin"), "initdb", "postgres")
	mk(filepath.Join(root, "lib/15/bin"), "initdb", "postgres")
	mk(filepath.Join(root, "lib/16/bin"), "initdb") // incomplete: skipped
	mk(filepath.Join(root, "path"), "initdb", "postgres")
	notFound := func(string) (string, error) { return "", errors.New("not found") }
	onPath := func(string) (string, error) { return filepath.Join(root, "path", "initdb"), nil }

	tests := []struct {
		name    string
		pattern string
		look    func(string) (string, error)
		want    string
		wantErr error
	}{
		{"newest complete version", filepath.Join(root, "lib/*/bin"), notFound, filepath.Join(root, "lib/15/bin"), nil},
		{"falls back to PATH", filepath.Join(root, "none/*/bin"), onPath, filepath.Join(root, "path"), nil},
		{"none", filepath.Join(root, "none/*/bin"), notFound, "", ErrNoBinaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinDir(tt.pattern, tt.look)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if msg := ErrNoBinaries.Error(); !strings.Contains(msg, "apt-get install postgresql") {
		t.Fatalf("error must say how to install: %q", msg)
	}
}

// TestStartStopRestart starts a server, writes, stops it, starts it again
// and finds the data; a second Start while it runs joins it.
func TestStartStopRestart(t *testing.T) {
	if _, err := FindBinDir(); err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "sbpgt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opts := Options{DataDir: filepath.Join(dir, "d"), Fast: true}
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(srv *Server, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, srv.URL("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(srv, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")

	joined, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	if err := joined.Stop(); err != nil {
		t.Fatal(err)
	}
	exec(srv, "SELECT 1") // the joiner's Stop left the server running

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	srv, err = Start(ctx, opts)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer srv.Stop()
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var x int
	if err := conn.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("after restart: got %d, %v; want 42", x, err)
	}
}

func TestStartRejectsLongSocketPath(t *testing.T) {
	long := filepath.Join(t.TempDir(), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	_, err := Start(context.Background(), Options{DataDir: long})
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("got %v, want a too-long error", err)
	}
}
