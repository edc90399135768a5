package config_test

import (
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/config"
)

// FuzzParse: whatever the YAML file holds, Parse never panics (robfig/cron's
// parser did on poll: "TZ=UTC"), its error is one line, and a file it
// accepts has a poll spec that fires.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "poll: \"@every 2m\"\napprovers: [\"S0RELEASE\"]\napps:\n  - id: \"1\"\n    channel: C01\n",
		"poll: \"TZ=UTC\"\n", "poll: \"CRON_TZ=Asia/Tokyo\"\n", "poll: \"0 0 30 2 *\"\n", "poll: \"TZ=Asia/Tokyo 0 0 31 4,6 *\"\n",
		"poll: \"@every x\"\n", "apps:\n  - bundle_id: com.x.app\n    channel: C01\n    watchers: [U0A, S0B]\n",
		"poll: a\n b: c: d\n", "apps:\n  - id: 1\n\tchannel: x\n", "---\n---\n", "poll: [1, 2]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, yaml string) {
		file, err := config.Parse([]byte(yaml))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if _, err := config.ParseSchedule(file.Poll); err != nil {
			t.Fatalf("accepted poll %q: %v", file.Poll, err)
		}
	})
}

// FuzzParseSchedule: no spec panics, and an accepted spec fires.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"@every 2m", "TZ=UTC", "TZ=UTC ", "CRON_TZ=", "0 0 30 2 *", "*/5 * * * *", "@hourly", "0 0 29 2 *", "61 * * * *", "TZ=Nowhere/Land 0 * * * *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := config.ParseSchedule(spec)
		if err != nil {
			return
		}
		if s == nil {
			t.Fatalf("ParseSchedule(%q) accepted without a schedule", spec)
		}
	})
}
