package asc

import (
	"net/http"
	"reflect"
	"testing"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]int
	}{
		{"documented", "user-hour-lim:3500;user-hour-rem:500;", map[string]int{"user-hour-lim": 3500, "user-hour-rem": 500}},
		{"multi-group", "user-hour-lim:3600;user-hour-rem:3598;, user-minute-lim:150;user-minute-rem:149;",
			map[string]int{"user-hour-lim": 3600, "user-hour-rem": 3598, "user-minute-lim": 150, "user-minute-rem": 149}},
		{"spaces", "  user-hour-lim : 10 ; user-hour-rem:9 ", map[string]int{"user-hour-lim": 10, "user-hour-rem": 9}},
		{"minute only", "user-minute-lim:250;user-minute-rem:0;", map[string]int{"user-minute-lim": 250, "user-minute-rem": 0}},
		{"garbage", "hello world;;;,:,x:y,:5", nil},
		{"partly garbage", "user-hour-lim:abc;user-hour-rem:7;junk", map[string]int{"user-hour-rem": 7}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseRateLimit(tt.in)
			if !reflect.DeepEqual(got.Limits, tt.want) {
				t.Errorf("Limits = %v, want %v", got.Limits, tt.want)
			}
		})
	}
	rl := ParseRateLimit("user-hour-lim:3600;user-hour-rem:3598;")
	if n, ok := rl.HourLimit(); !ok || n != 3600 {
		t.Errorf("HourLimit = %d,%v", n, ok)
	}
	if n, ok := rl.HourRemaining(); !ok || n != 3598 {
		t.Errorf("HourRemaining = %d,%v", n, ok)
	}
	if _, ok := rl.Get("user-minute-rem"); ok {
		t.Error("Get of a missing key reported ok")
	}
	if _, ok := (RateLimit{}).HourLimit(); ok {
		t.Error("zero RateLimit reported a limit")
	}
}

func TestRateLimitFromSeveralHeaderLines(t *testing.T) {
	h := http.Header{}
	h.Add("X-Rate-Limit", "user-hour-lim:3600;user-hour-rem:10;")
	h.Add("X-Rate-Limit", "user-minute-lim:150;user-minute-rem:3;")
	rl := rateLimitFrom(h)
	if n, _ := rl.MinuteRemaining(); n != 3 {
		t.Errorf("minute remaining = %d", n)
	}
	if n, _ := rl.HourRemaining(); n != 10 {
		t.Errorf("hour remaining = %d", n)
	}
}

func TestClientRateLimitIsACopy(t *testing.T) {
	c, _, _ := setup(t)
	c.rate = ParseRateLimit("user-hour-rem:5")
	got := c.RateLimit()
	got.Limits["user-hour-rem"] = 99
	if n, _ := c.RateLimit().HourRemaining(); n != 5 {
		t.Errorf("caller mutated the client's rate limit: %d", n)
	}
}
