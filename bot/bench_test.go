package bot_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/bot"
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/catalogtest"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// BenchmarkSlashWhoowns sends signed /whoowns requests through the real
// HTTP handler (signature check, form parsing, catalog lookup over 10,000
// services through the catalog.Cache that serve uses,
// Block Kit rendering) from 64 concurrent clients, and reports
// latency percentiles, throughput and the process's resident memory (the
// load generator included: it runs in the same process).
func BenchmarkSlashWhoowns(b *testing.B) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(b), nil)
	names, err := catalogtest.SeedServices(ctx, store, 10_000)
	if err != nil {
		b.Fatal(err)
	}
	fs := fakeslack.NewForTest(b, nil, nil)
	router := commands.NewRouter(slog.New(slog.DiscardHandler), 5*time.Second)
	cache := catalog.NewCache(store)
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	go cache.Run(cctx)
	for !cache.Live() {
		time.Sleep(time.Millisecond)
	}
	router.Register(commands.WhoOwns(cache))
	bt, err := bot.New(bot.Config{SigningSecret: secret, API: slack.New(fakeslack.Token, slack.OptionAPIURL(fs.APIURL())), Commands: router, Deliveries: store})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(bt.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}

	const clients = 64
	var (
		next    atomic.Int64
		mu      sync.Mutex
		lat     = make([]time.Duration, 0, b.N)
		failure atomic.Value
	)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, b.N/clients+1)
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					break
				}
				name := names[(i*7919)%int64(len(names))]
				body := fakeslack.SlashCommand("/whoowns", name, "U1", "C1", fs.ResponseURL(strconv.FormatInt(i, 10)), "T")
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/commands", bytes.NewReader(body))
				req.Header = fakeslack.Sign(secret, body, time.Now())
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failure.Store(err.Error())
					continue
				}
				out, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				local = append(local, time.Since(t0))
				if resp.StatusCode != 200 || !bytes.Contains(out, []byte(name)) {
					failure.Store("bad answer for " + name + ": " + string(out[:min(len(out), 200)]))
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failure.Load(); f != nil {
		b.Fatal(f)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(rssMiB(), "rss-MiB")
}

// rssMiB is the process's resident set size, from /proc.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
