package pgserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	if err := srv.ping(ctx); err == nil {
		t.Fatal("the last user's Stop left the server running")
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

// TestServerOutlivesItsStarter: a second process joins the server a first
// one started; when the first stops (or exits), the server keeps serving the
// second, and the second's Stop, as the last user, shuts it down. The
// "second process" is this test binary run again (TestHelperJoiner), so the
// locks are those of two real processes.
func TestServerOutlivesItsStarter(t *testing.T) {
	if _, err := FindBinDir(); err != nil {
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "sbpgo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := Options{DataDir: filepath.Join(dir, "d"), Fast: true}
	starter, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}

	// The joiner: another process that starts on the same data dir, says
	// "joined", waits for a line on stdin, runs a query, stops, exits.
	cmd := osexec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperJoiner$")
	cmd.Env = append(os.Environ(), "PGSERVER_HELPER_DATADIR="+opts.DataDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), want) {
				return
			}
		}
		t.Fatalf("joiner never said %q; stderr:\n%s", want, stderr.String())
	}
	expect("joined")

	// The starter goes away first: the server must stay up for the joiner.
	if err := starter.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := starter.ping(ctx); err != nil {
		t.Fatalf("the starter's Stop stopped a server another process uses: %v", err)
	}
	fmt.Fprintln(stdin, "query")
	expect("queried")
	fmt.Fprintln(stdin, "stop")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("joiner: %v\n%s", err, stderr.String())
	}
	if err := starter.ping(ctx); err == nil {
		t.Fatal("the last user's Stop left the server running")
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("postmaster.pid after the last Stop: %v", err)
	}
}

// TestHelperJoiner is the second process of TestServerOutlivesItsStarter;
// it does nothing when run on its own.
func TestHelperJoiner(t *testing.T) {
	dataDir := os.Getenv("PGSERVER_HELPER_DATADIR")
	if dataDir == "" {
		t.Skip("run by TestServerOutlivesItsStarter")
	}
	ctx := context.Background()
	srv, err := Start(ctx, Options{DataDir: dataDir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if srv.cmd != nil {
		t.Fatal("the joiner started a server of its own")
	}
	fmt.Println("joined")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "query":
			conn, err := pgx.Connect(ctx, srv.URL("postgres"))
			if err != nil {
				t.Fatalf("query after the starter stopped: %v", err)
			}
			if _, err := conn.Exec(ctx, "CREATE TABLE after_starter (x int)"); err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
			fmt.Println("queried")
		case "stop":
			if err := srv.Stop(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}
