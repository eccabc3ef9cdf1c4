package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Metrics are the jobs' Prometheus metrics:
//
//	switchboard_jobs{kind,state}                  jobs in the database now, by kind and state (the whole cluster's)
//	switchboard_job_run_seconds{kind,outcome}     how long this replica's jobs ran
//	switchboard_job_wait_seconds{kind}            from when a job could run to when this replica started it
type Metrics struct {
	run  *prometheus.HistogramVec
	wait *prometheus.HistogramVec
}

// NewMetrics registers the jobs' metrics with reg. The counts by kind and
// state are read from pool when scraped.
func NewMetrics(reg prometheus.Registerer, pool *pgxpool.Pool) *Metrics {
	m := &Metrics{
		run: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_job_run_seconds",
			Help:    "How long background jobs ran on this replica, by kind and outcome (ok, error, cancelled).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"kind", "outcome"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_job_wait_seconds",
			Help:    "How long background jobs waited between being runnable and starting on this replica, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"kind"}),
	}
	reg.MustRegister(m.run, m.wait, &countCollector{pool: pool})
	return m
}

// middleware times every job this replica works.
func (m *Metrics) middleware() rivertype.WorkerMiddleware {
	return river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, doInner func(ctx context.Context) error) error {
		start := time.Now()
		if !job.ScheduledAt.IsZero() && start.After(job.ScheduledAt) {
			m.wait.WithLabelValues(job.Kind).Observe(start.Sub(job.ScheduledAt).Seconds())
		}
		err := doInner(ctx)
		outcome := "ok"
		if err != nil {
			outcome = "error"
			if ctx.Err() != nil {
				outcome = "cancelled"
			}
		}
		m.run.WithLabelValues(job.Kind, outcome).Observe(time.Since(start).Seconds())
		return err
	})
}

// countCollector reads the job counts by kind and state when scraped.
type countCollector struct{ pool *pgxpool.Pool }

var jobsDesc = prometheus.NewDesc("switchboard_jobs", "Background jobs in the database, by kind and state (the whole cluster's).", []string{"kind", "state"}, nil)

// Describe implements prometheus.Collector.
func (c *countCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

// Collect implements prometheus.Collector. A database that does not answer
// within two seconds gives no counts rather than a slow scrape.
func (c *countCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT kind, state::text, count(*) FROM river_job GROUP BY 1, 2`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n int64
		if err := rows.Scan(&kind, &state, &n); err != nil {
			ch <- prometheus.NewInvalidMetric(jobsDesc, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), kind, state)
	}
}
