package app_test

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkSlashCommandAck drives 100 concurrent slash commands while the
// simulator answers every App Store Connect request after 300 ms, and
// reports the p50 and p99 ack latency the Slack stand-in measured (target:
// p99 under 50 ms — the ack must never wait for Apple).
func BenchmarkSlashCommandAck(b *testing.B) {
	h := newHarness(b)
	h.start()
	h.sim.SetLatency(300 * time.Millisecond)
	const concurrent = 100
	var lat []time.Duration
	var mu sync.Mutex
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for range concurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ack, err := h.slack.SlashCommand(h.ctx(), userAna, channel, "status KotenOCR")
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, ack.Latency)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ack-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ack-ms")
	b.ReportMetric(float64(pct(1).Microseconds())/1000, "max-ack-ms")
	h.stop() // waits for the 100×N answers that follow the acks
}
