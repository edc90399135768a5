// Package metrics exposes ascbot's Prometheus metrics: Slack commands and
// notifications, App Store Connect requests and their rate limit, the
// review-state poller, and the Slack connection. Everything about App Store
// Connect and the poller carries the label key: the API key's name
// (config.Key.Name, "default" for the ASC_* one), as each key has its own
// rate limit and its own failures. Everything is registered on
// the Metrics' own registry (plus the Go and process collectors), never on
// the global default one, so tests and several instances do not collide.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ascbot/ascbot/internal/asc"
)

// Metrics holds ascbot's collectors. Its methods are safe for concurrent use
// and may be called on a nil *Metrics (they do nothing), so callers need no
// "metrics enabled?" checks.
type Metrics struct {
	reg *prometheus.Registry

	commands      *prometheus.CounterVec
	notifications *prometheus.CounterVec
	ascRequests   *prometheus.CounterVec
	ascDuration   *prometheus.HistogramVec
	rateRemaining *prometheus.GaugeVec
	pollDuration  *prometheus.HistogramVec
	polls         *prometheus.CounterVec
	lastGoodPoll  *prometheus.GaugeVec
	slack         prometheus.Gauge
}

// New returns Metrics registered on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascbot_commands_total",
			Help: "Slack commands handled, by command and result.",
		}, []string{"command", "result"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascbot_notifications_total",
			Help: "Notifications posted to Slack, by kind.",
		}, []string{"kind"}),
		ascRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascbot_asc_requests_total",
			Help: "HTTP attempts against App Store Connect, by API key, HTTP method and status (\"error\" when no response arrived).",
		}, []string{"key", "method", "status"}),
		ascDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ascbot_asc_request_duration_seconds",
			Help:    "Duration of HTTP attempts against App Store Connect, by API key and HTTP method.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"key", "method"}),
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ascbot_asc_rate_limit_remaining",
			Help: "Requests left in the API key's rolling hour at App Store Connect (user-hour-rem of the last response carrying it).",
		}, []string{"key"}),
		pollDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ascbot_poll_duration_seconds",
			Help:    "Duration of one review-state poll over every watched app of an API key.",
			Buckets: []float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"key"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascbot_poll_total",
			Help: "Review-state polls of an API key's apps, by result (ok or error).",
		}, []string{"key", "result"}),
		lastGoodPoll: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ascbot_last_good_poll_timestamp_seconds",
			Help: "Unix time at which the last poll that read every app of an API key without error ended.",
		}, []string{"key"}),
		slack: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ascbot_slack_connected",
			Help: "1 while the Slack socket-mode connection is up, else 0.",
		}),
	}
	m.reg.MustRegister(
		m.commands, m.notifications, m.ascRequests, m.ascDuration, m.rateRemaining,
		m.pollDuration, m.polls, m.lastGoodPoll, m.slack,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Keys declares the API keys, so each key's poll results and last good
// poll exist from the start (rate() works before the first error, and a
// key that never polled well shows 0).
func (m *Metrics) Keys(names ...string) {
	if m == nil {
		return
	}
	for _, k := range names {
		m.polls.WithLabelValues(k, "ok")
		m.polls.WithLabelValues(k, "error")
		m.lastGoodPoll.WithLabelValues(k)
	}
}

// Registry returns the registry the metrics live on (e.g. to add collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Command counts one handled Slack command; result is e.g. "ok", "error", "usage".
func (m *Metrics) Command(name, result string) {
	if m == nil {
		return
	}
	m.commands.WithLabelValues(name, result).Inc()
}

// Notification counts one notification posted to Slack.
func (m *Metrics) Notification(kind string) {
	if m == nil {
		return
	}
	m.notifications.WithLabelValues(kind).Inc()
}

// ASCObserver returns the observer of the named API key's client; its type
// matches asc.WithObserver. It records each HTTP attempt against App Store
// Connect and the rate limit the response carried.
func (m *Metrics) ASCObserver(key string) func(asc.RequestInfo) {
	return func(info asc.RequestInfo) {
		if m == nil {
			return
		}
		status := "error"
		if info.Status > 0 {
			status = strconv.Itoa(info.Status)
		}
		m.ascRequests.WithLabelValues(key, info.Method, status).Inc()
		m.ascDuration.WithLabelValues(key, info.Method).Observe(info.Duration.Seconds())
		if n, ok := info.RateLimit.HourRemaining(); ok {
			m.rateRemaining.WithLabelValues(key).Set(float64(n))
		}
	}
}

// RateRemaining sets the key's App Store Connect hourly requests left (the
// watcher reports it after each poll).
func (m *Metrics) RateRemaining(key string, n int) {
	if m == nil {
		return
	}
	m.rateRemaining.WithLabelValues(key).Set(float64(n))
}

// ObservePoll records one poll of every watched app of a key: its duration
// and whether it fully succeeded. A successful poll also sets the key's
// last good poll timestamp.
func (m *Metrics) ObservePoll(key string, d time.Duration, ok bool) {
	if m == nil {
		return
	}
	m.pollDuration.WithLabelValues(key).Observe(d.Seconds())
	if !ok {
		m.polls.WithLabelValues(key, "error").Inc()
		return
	}
	m.polls.WithLabelValues(key, "ok").Inc()
	m.lastGoodPoll.WithLabelValues(key).SetToCurrentTime()
}

// SlackConnected sets whether the Slack socket-mode connection is up.
func (m *Metrics) SlackConnected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.slack.Set(1)
	} else {
		m.slack.Set(0)
	}
}
