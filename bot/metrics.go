package bot

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bot's Prometheus metrics.
type Metrics struct {
	commands  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	slackErrs *prometheus.CounterVec
	rejected  *prometheus.CounterVec
}

// NewMetrics creates the bot's metrics and registers them with reg (none
// when reg is nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_commands_total", Help: "Commands run, by command and outcome (ok, error).",
		}, []string{"command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "switchboard_command_duration_seconds", Help: "Time to answer a command.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10},
		}, []string{"command"}),
		slackErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_slack_api_errors_total", Help: "Failed calls to Slack, by method.",
		}, []string{"method"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_slack_requests_rejected_total", Help: "Requests refused before handling, by reason.",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.commands, m.latency, m.slackErrs, m.rejected)
	}
	return m
}

func (m *Metrics) observeCommand(cmd string, err error, d time.Duration) {
	cmd = strings.ToLower(cmd)
	if len(cmd) > 32 || !strings.HasPrefix(cmd, "/") {
		cmd = "other" // keep label cardinality bounded
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.commands.WithLabelValues(cmd, outcome).Inc()
	m.latency.WithLabelValues(cmd).Observe(d.Seconds())
}

func (m *Metrics) slackError(method string) { m.slackErrs.WithLabelValues(method).Inc() }

func (m *Metrics) reject(reason string) { m.rejected.WithLabelValues(reason).Inc() }
