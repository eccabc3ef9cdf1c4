// Package pgserver runs a private PostgreSQL server from the system's
// binaries: the embedded default used when DATABASE_URL is unset, and the
// throwaway server of the test suite.
//
// The server listens only on a Unix socket inside its own data directory
// (mode 0700), so nothing else on the machine can reach it, and it uses
// trust authentication on that socket.
//
// Several processes may use one data directory at once (serve, and a sync
// or digest run beside it): each holds a shared lock on a file beside the
// data directory while it uses the server, and the server outlives whichever
// process started it until the last user stops it. PostgreSQL refuses to run as root;
// when the current user is root, initdb and postgres run as the "postgres"
// OS user and the data directory is handed to that user.
package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoBinaries is returned by Start when no PostgreSQL server binaries
// (initdb and postgres) can be found. Its message says how to install them.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries found (looked for initdb and postgres under /usr/lib/postgresql/*/bin and on PATH); install them with: apt-get install postgresql")

// Options configures Start.
type Options struct {
	// DataDir holds the cluster. It is created and initialised on first use.
	DataDir string
	// BinDir, when set, is where initdb and postgres are; otherwise they are
	// searched for.
	BinDir string
	// Port only names the socket file (.s.PGSQL.<Port>); 5432 when zero.
	Port int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Fast disables durability (fsync, full_page_writes): for tests only.
	Fast bool
	// DieWithParent stops the server when the process that started it dies,
	// even if another process still uses it: for throwaway servers (the test
	// suite's), which nobody else shares and which must never outlive a
	// killed test binary.
	DieWithParent bool
}

// Server is a running PostgreSQL server started by Start.
type Server struct {
	dataDir string
	port    int
	cmd     *exec.Cmd // nil when an already running server was reused
	done    chan struct{}
	waitErr error
	log     *slog.Logger
	// users is the lock file beside the data directory on which every
	// process using the server holds a shared lock (see lockUsers).
	users *os.File
}

// User is the database superuser name of clusters made by Start.
const User = "postgres"

// FindBinDir returns the directory that holds initdb and postgres: the
// newest /usr/lib/postgresql/<version>/bin, else the directory of initdb on
// PATH. It returns ErrNoBinaries when there is none.
func FindBinDir() (string, error) {
	return findBinDir("/usr/lib/postgresql/*/bin", exec.LookPath)
}

func findBinDir(pattern string, lookPath func(string) (string, error)) (string, error) {
	dirs, _ := filepath.Glob(pattern)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := lookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// DefaultDataDir is where the embedded default keeps its cluster:
// $XDG_DATA_HOME/switchboard/postgres, or ~/.local/share/switchboard/postgres.
// For root, whose home the postgres user cannot enter, it is
// /var/lib/switchboard/postgres.
func DefaultDataDir() (string, error) {
	if os.Geteuid() == 0 {
		return "/var/lib/switchboard/postgres", nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "switchboard", "postgres"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find home directory for the data dir (set --data-dir): %w", err)
	}
	return filepath.Join(home, ".local", "share", "switchboard", "postgres"), nil
}

// Start initialises opts.DataDir if needed and starts PostgreSQL on a Unix
// socket in it. If a server is already running on that data directory (a
// second Switchboard process), Start connects to it instead and Stop leaves it
// running. Start returns once the server accepts connections.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Port == 0 {
		opts.Port = 5432
	}
	if opts.DataDir == "" {
		return nil, errors.New("start postgres: no data directory given")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: data dir %q: %w", opts.DataDir, err)
	}
	// The socket path must fit in sockaddr_un (107 bytes).
	if n := len(filepath.Join(dataDir, ".s.PGSQL."+strconv.Itoa(opts.Port))); n > 100 {
		return nil, fmt.Errorf("start postgres: data dir %q is too long for a Unix socket path (%d bytes, limit 100): choose a shorter --data-dir", dataDir, n)
	}
	s := &Server{dataDir: dataDir, port: opts.Port, log: log, done: make(chan struct{})}
	if err := s.lockUsers(ctx); err != nil {
		return nil, err
	}
	if err := s.startOrJoin(ctx, opts); err != nil {
		s.unlockUsers()
		return nil, err
	}
	return s, nil
}

// startOrJoin starts the server, or joins the one already running on the
// data directory. One process at a time does this (an exclusive lock on a
// second file), so two processes starting at once never start two servers.
func (s *Server) startOrJoin(ctx context.Context, opts Options) error {
	starting, err := lockFile(ctx, s.lockPath("start"), syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer starting.Close() // releases the lock
	if s.ping(ctx) == nil {
		s.log.Info("using the PostgreSQL server already running on the data dir", "data_dir", s.dataDir)
		close(s.done)
		return nil
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return err
		}
	}
	cred, err := credential()
	if err != nil {
		return err
	}
	if err := s.initdb(ctx, binDir, cred); err != nil {
		return err
	}
	return s.start(ctx, binDir, cred, opts.Fast, opts.DieWithParent)
}

// lockPath is a lock file beside the data directory (not inside it: when
// running as root the data directory belongs to the postgres user).
func (s *Server) lockPath(what string) string {
	return filepath.Join(filepath.Dir(s.dataDir), "."+filepath.Base(s.dataDir)+"."+what+".lock")
}

// lockUsers takes the shared "users" lock that says this process uses the
// server. It waits while the last user is stopping the server (which holds
// the lock exclusively), so a process starting then never joins a server
// about to go away: it starts a new one once the old one has stopped.
func (s *Server) lockUsers(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(s.dataDir), 0o755); err != nil {
		return fmt.Errorf("create data dir's parent: %w", err)
	}
	f, err := lockFile(ctx, s.lockPath("users"), syscall.LOCK_SH)
	if err != nil {
		return err
	}
	s.users = f
	return nil
}

func (s *Server) unlockUsers() {
	if s.users != nil {
		s.users.Close()
		s.users = nil
	}
}

// lockFile opens path and takes a flock of the given kind on it, waiting
// until ctx is done. The lock is released when the file is closed, or by the
// kernel when the process dies.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		f, err := tryLockFile(path, how)
		if f != nil || err != nil {
			return f, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %s (another process is starting or stopping the server): %w", path, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// tryLockFile is one attempt of lockFile: nil, nil when another process
// holds a conflicting lock.
func tryLockFile(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	err = syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	if err == nil {
		return f, nil
	}
	f.Close()
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR) {
		return nil, nil
	}
	return nil, fmt.Errorf("lock %s: %w", path, err)
}

// credential returns the identity postgres must run as: nil for the current
// user, the "postgres" OS user when running as root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL must run as the \"postgres\" OS user, which does not exist (apt-get install postgresql creates it): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) initdb(ctx context.Context, binDir string, cred *syscall.Credential) error {
	if _, err := os.Stat(filepath.Join(s.dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	// Parents stay traversable: when running as root, the postgres user must
	// be able to reach the data directory.
	if err := os.MkdirAll(filepath.Dir(s.dataDir), 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := os.Mkdir(s.dataDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := os.Chmod(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if cred != nil {
		if err := os.Chown(s.dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("give data dir %s to the postgres user: %w", s.dataDir, err)
		}
	}
	s.log.Info("initialising PostgreSQL data directory", "data_dir", s.dataDir)
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"-D", s.dataDir, "-U", User, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = "/"
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", s.dataDir, err, lastLines(out, 15))
	}
	return nil
}

func (s *Server) start(ctx context.Context, binDir string, cred *syscall.Credential, fast, dieWithParent bool) error {
	args := []string{
		"-D", s.dataDir,
		"-k", s.dataDir,
		"-p", strconv.Itoa(s.port),
		"-c", "listen_addresses=",
		"-c", "unix_socket_permissions=0700",
		"-c", "max_connections=200",
		"-c", "shared_buffers=64MB",
		"-c", "logging_collector=off",
	}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	}
	logPath := filepath.Join(s.dataDir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	if cred != nil {
		_ = os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = "/"
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The server outlives this process while another one uses it; Stop by
	// the last user shuts it down. Setpgid keeps a terminal's Ctrl-C (sent to
	// the foreground process group) from reaching it. A throwaway server gets
	// SIGINT (fast shutdown) when its parent dies instead (Pdeathsig).
	attr := &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if dieWithParent {
		attr.Pdeathsig = syscall.SIGINT
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd = cmd
	go func() {
		s.waitErr = cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	s.log.Info("starting PostgreSQL", "data_dir", s.dataDir, "pid", cmd.Process.Pid)

	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("postgres exited during start (%v); its log %s ends:\n%s", s.waitErr, logPath, lastLines(out, 15))
		case <-ctx.Done():
			_ = s.shutdown()
			return fmt.Errorf("start postgres: %w", ctx.Err())
		case <-deadline.C:
			_ = s.shutdown()
			return fmt.Errorf("start postgres: not accepting connections after 60s; see %s", logPath)
		case <-tick.C:
			if s.ping(ctx) == nil {
				return nil
			}
		}
	}
}

func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// URL returns a connection string for database db on this server.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable", User, db, s.dataDir, s.port)
}

// SocketDir is the directory holding the server's Unix socket.
func (s *Server) SocketDir() string { return s.dataDir }

// Port is the port number in the socket's name.
func (s *Server) Port() int { return s.port }

// EnsureDatabase creates database name if it does not exist.
func (s *Server) EnsureDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var again bool
		if conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&again) == nil && again {
			return nil // created meanwhile by another process
		}
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Stop says this process no longer uses the server, and shuts the server
// down (fast shutdown: open sessions are ended, committed data is kept) when
// no other process uses it, whichever process started it. A server still
// used by another process is left running for it.
func (s *Server) Stop() error {
	if s.users == nil {
		return nil
	}
	s.unlockUsers()
	// Exclusive: nobody else uses the server, and nobody can start using it
	// until it is down (lockUsers waits). Not waiting for it: of several
	// users stopping at once, the last to let go finds the lock free.
	last, err := tryLockFile(s.lockPath("users"), syscall.LOCK_EX)
	if err != nil || last == nil {
		s.log.Info("PostgreSQL left running: another process still uses it", "data_dir", s.dataDir)
		return nil
	}
	defer last.Close()
	if err := s.shutdown(); err != nil {
		return err
	}
	s.log.Info("PostgreSQL stopped", "data_dir", s.dataDir)
	return nil
}

// shutdown stops the server: through the child process when this process
// started it, else through the postmaster's pid in postmaster.pid.
func (s *Server) shutdown() error {
	if s.cmd != nil {
		select {
		case <-s.done:
			return nil
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		return nil
	}
	pidFile := filepath.Join(s.dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil // already down
	}
	if err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return fmt.Errorf("stop postgres: unreadable %s", pidFile)
	}
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stop postgres (pid %d): %w", pid, err)
	}
	// The postmaster removes postmaster.pid as the last step of shutdown.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(pidFile); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if syscall.Kill(pid, 0) != nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("stop postgres (pid %d): still running after 30s", pid)
}

// Done is closed when the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(bytes.TrimSpace(b)), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
