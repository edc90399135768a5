package watch

import (
	"context"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascsim"
)

// BenchmarkPoll200Apps polls 200 watched apps in the simulator where nothing
// changes: the target is one request per app per tick.
func BenchmarkPoll200Apps(b *testing.B) {
	const apps = 200
	h := newHarness(b, harnessConfig{
		apps:    apps,
		simOpts: func(o *ascsim.Options) { o.HourlyLimit = 1 << 30 },
	})
	ctx := context.Background()
	if err := h.w.Tick(ctx); err != nil { // baseline
		b.Fatal(err)
	}
	h.sim.ResetRequests()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := h.w.Tick(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reqs := len(h.sim.Requests())
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/tick")
	b.ReportMetric(float64(reqs)/float64(b.N)/apps, "requests/app")
	if reqs != apps*b.N {
		b.Errorf("%d requests over %d idle ticks, want %d per tick", reqs, b.N, apps)
	}
}
