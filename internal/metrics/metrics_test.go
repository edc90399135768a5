package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("scraping: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape status = %d", resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading scrape: %v", err)
	}
	return string(b)
}

func TestScrapeFindsEveryMetric(t *testing.T) {
	m := New()
	before := time.Now().Unix()
	m.Command("submit", "ok")
	m.Command("submit", "ok")
	m.Command("release", "error")
	m.Notification("build")
	m.Keys("default", "client-b")
	m.ASCObserver("default")(asc.RequestInfo{Method: "GET", Path: "/v1/apps", Status: 200, Duration: 120 * time.Millisecond,
		RateLimit: asc.ParseRateLimit("user-hour-lim:3600;user-hour-rem:3412;")})
	m.ASCObserver("default")(asc.RequestInfo{Method: "POST", Path: "/v1/reviewSubmissions", Duration: time.Second, Err: errors.New("connection reset")})
	m.ASCObserver("client-b")(asc.RequestInfo{Method: "GET", Path: "/v1/apps", Status: 401, Duration: 10 * time.Millisecond,
		RateLimit: asc.ParseRateLimit("user-hour-lim:3600;user-hour-rem:99;")})
	m.ObservePoll("default", 2*time.Second, true)
	m.ObservePoll("default", time.Second, false)
	m.ObservePoll("client-b", time.Second, false)
	m.SlackConnected(true)

	out := scrape(t, m)
	tests := []struct {
		name, want string
	}{
		{"commands", `ascbot_commands_total{command="submit",result="ok"} 2`},
		{"commands error", `ascbot_commands_total{command="release",result="error"} 1`},
		{"notifications", `ascbot_notifications_total{kind="build"} 1`},
		{"asc requests", `ascbot_asc_requests_total{key="default",method="GET",status="200"} 1`},
		{"asc transport error", `ascbot_asc_requests_total{key="default",method="POST",status="error"} 1`},
		{"asc duration", `ascbot_asc_request_duration_seconds_count{key="default",method="GET"} 1`},
		{"asc duration sum", `ascbot_asc_request_duration_seconds_sum{key="default",method="POST"} 1`},
		{"rate remaining (the failed attempt carried none, so it kept 3412)", `ascbot_asc_rate_limit_remaining{key="default"} 3412`},
		{"poll duration", `ascbot_poll_duration_seconds_count{key="default"} 2`},
		{"poll ok", `ascbot_poll_total{key="default",result="ok"} 1`},
		{"poll error", `ascbot_poll_total{key="default",result="error"} 1`},
		{"last good poll", `ascbot_last_good_poll_timestamp_seconds{key="default"} `},
		{"other key's requests", `ascbot_asc_requests_total{key="client-b",method="GET",status="401"} 1`},
		{"other key's budget", `ascbot_asc_rate_limit_remaining{key="client-b"} 99`},
		{"other key's failed poll", `ascbot_poll_total{key="client-b",result="error"} 1`},
		{"other key's ok polls declared", `ascbot_poll_total{key="client-b",result="ok"} 0`},
		{"other key never polled well", `ascbot_last_good_poll_timestamp_seconds{key="client-b"} 0`},
		{"slack", `ascbot_slack_connected 1`},
		{"go collector", `go_goroutines `},
		{"process collector", `process_cpu_seconds_total `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Errorf("scrape lacks %q", tt.want)
			}
		})
	}
	t.Run("last good poll is now", func(t *testing.T) {
		for _, line := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(line, `ascbot_last_good_poll_timestamp_seconds{key="default"} `); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || int64(f) < before-1 || int64(f) > time.Now().Unix()+1 {
					t.Fatalf("last good poll = %s, want about %d", v, before)
				}
				return
			}
		}
		t.Fatal("no ascbot_last_good_poll_timestamp_seconds sample")
	})

	m.SlackConnected(false)
	m.RateRemaining("default", 7)
	out = scrape(t, m)
	for _, want := range []string{"ascbot_slack_connected 0", `ascbot_asc_rate_limit_remaining{key="default"} 7`, `ascbot_asc_rate_limit_remaining{key="client-b"} 99`} {
		if !strings.Contains(out, want) {
			t.Errorf("after changes, scrape lacks %q", want)
		}
	}
}

func TestFailedPollDoesNotMoveLastGoodPoll(t *testing.T) {
	m := New()
	m.Keys("default")
	m.ObservePoll("default", time.Second, false)
	out := scrape(t, m)
	if !strings.Contains(out, `ascbot_last_good_poll_timestamp_seconds{key="default"} 0`) {
		t.Errorf("after only a failed poll the timestamp should be 0:\n%s", grep(out, "last_good"))
	}
}

func TestNilMetricsIsNoop(t *testing.T) {
	var m *Metrics
	m.Command("x", "ok")
	m.Notification("x")
	m.Keys("default")
	m.ASCObserver("default")(asc.RequestInfo{Method: "GET", Status: 200})
	m.ObservePoll("default", time.Second, true)
	m.RateRemaining("default", 1)
	m.SlackConnected(true)
}

func TestSeparateRegistries(t *testing.T) {
	a, b := New(), New()
	a.Command("help", "ok")
	if strings.Contains(scrape(t, b), `command="help"`) {
		t.Fatal("metrics of one instance leaked into another's registry")
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
