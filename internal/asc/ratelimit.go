package asc

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// Keys of the X-Rate-Limit header that Apple documents or is seen to send.
const (
	RateKeyHourLimit       = "user-hour-lim"
	RateKeyHourRemaining   = "user-hour-rem"
	RateKeyMinuteLimit     = "user-minute-lim"
	RateKeyMinuteRemaining = "user-minute-rem"
)

// RateLimit is the parsed X-Rate-Limit header of one response.
//
// Apple documents "user-hour-lim:3500;user-hour-rem:500;" and some responses
// carry several comma-separated groups (per-minute keys too), so the header is
// parsed generically into key → int. Limits is nil when the response had no
// usable header.
type RateLimit struct {
	Limits map[string]int
}

// ParseRateLimit parses an X-Rate-Limit header value: key:int pairs separated
// by ';' and ',' with surrounding spaces trimmed. Pairs that do not parse are
// skipped.
func ParseRateLimit(header string) RateLimit {
	var rl RateLimit
	for _, part := range strings.FieldsFunc(header, func(r rune) bool { return r == ';' || r == ',' }) {
		key, val, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(key)
		n, err := strconv.Atoi(strings.TrimSpace(val))
		if key == "" || err != nil {
			continue
		}
		if rl.Limits == nil {
			rl.Limits = make(map[string]int, 4)
		}
		rl.Limits[key] = n
	}
	return rl
}

// rateLimitFrom parses every X-Rate-Limit header line of h.
func rateLimitFrom(h http.Header) RateLimit {
	vals := h.Values("X-Rate-Limit")
	switch len(vals) {
	case 0:
		return RateLimit{}
	case 1:
		return ParseRateLimit(vals[0])
	default:
		return ParseRateLimit(strings.Join(vals, ","))
	}
}

// Get returns the value for key and whether the header carried it.
func (r RateLimit) Get(key string) (int, bool) {
	n, ok := r.Limits[key]
	return n, ok
}

// HourLimit returns user-hour-lim, the requests allowed per rolling hour.
func (r RateLimit) HourLimit() (int, bool) { return r.Get(RateKeyHourLimit) }

// HourRemaining returns user-hour-rem, the requests left in the rolling hour.
func (r RateLimit) HourRemaining() (int, bool) { return r.Get(RateKeyHourRemaining) }

// MinuteRemaining returns user-minute-rem when the response carried it.
func (r RateLimit) MinuteRemaining() (int, bool) { return r.Get(RateKeyMinuteRemaining) }

// IsZero reports whether no limit was parsed.
func (r RateLimit) IsZero() bool { return len(r.Limits) == 0 }

func (r RateLimit) clone() RateLimit {
	if r.Limits == nil {
		return RateLimit{}
	}
	return RateLimit{Limits: maps.Clone(r.Limits)}
}
