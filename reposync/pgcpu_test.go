package reposync_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times.
const clockTicks = 100

// pgCPU returns the CPU seconds the test binary's Postgres has used so far:
// the postmaster's own and its reaped children's (utime, stime, cutime,
// cstime), plus the live children's (backends, background workers). Zero
// when the tests use TEST_DATABASE_URL.
func pgCPU() float64 {
	srv := pgtest.Server()
	if srv == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(srv.SocketDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pm, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0
	}
	var ticks int64
	if f := procStat(pm); f != nil {
		for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == pm {
			continue
		}
		f := procStat(pid)
		if f == nil || f[1] != strconv.Itoa(pm) {
			continue
		}
		for _, i := range []int{11, 12} {
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	return float64(ticks) / clockTicks
}

// procStat returns the fields of /proc/pid/stat after the command name
// (state first, so ppid is [1] and utime [11]), or nil.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}
