package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
)

// redacted is what every printed form of a non-empty Secret shows.
const redacted = "[redacted]"

// Secret is a configuration value that must never reach a log line, an error
// message or a serialised form: tokens, private keys, webhook secrets.
//
// Every way of printing it (fmt with any verb, %#v, JSON, text, slog) yields
// "[redacted]", or "" when the secret is empty so that "not set" stays visible.
// Reveal returns the value itself, for the one place that needs it.
type Secret string

// Reveal returns the secret value. Call it only where the value is handed to
// the API that needs it, never to build a message.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the same as String, so %#v does not reveal the value.
func (s Secret) GoString() string { return s.String() }

// Format implements fmt.Formatter so that every verb (%v, %s, %q, %x, %d, …)
// prints the redacted form; without it a verb such as %d would fall back to
// printing the raw string.
func (s Secret) Format(f fmt.State, verb rune) {
	out := s.String()
	if verb == 'q' {
		out = strconv.Quote(out)
	}
	_, _ = f.Write([]byte(out))
}

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the redacted form (used by YAML and text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue implements slog.LogValuer with the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
