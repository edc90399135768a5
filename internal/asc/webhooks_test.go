package asc

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifySignature(t *testing.T) {
	const secret = "This is my secret"
	body := []byte("Hello, World!")
	const good = "hmacsha256=7f062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657"
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		ok     bool
	}{
		{"Apple's example", secret, body, good, true},
		{"uppercase hex accepted", secret, body, "hmacsha256=" + strings.ToUpper(good[len("hmacsha256="):]), true},
		{"surrounding spaces", secret, body, "  " + good + " ", true},
		{"wrong secret", "This is not my secret", body, good, false},
		{"body changed", secret, []byte("Hello, World?"), good, false},
		{"missing prefix", secret, body, strings.TrimPrefix(good, "hmacsha256="), false},
		{"other algorithm prefix", secret, body, "hmacsha1=" + strings.TrimPrefix(good, "hmacsha256="), false},
		{"bad hex", secret, body, "hmacsha256=zz062172b01cb00b53ca068614674a3d982a34062a0f5d37687d5e3377e54657", false},
		{"truncated digest", secret, body, good[:len(good)-2], false},
		{"empty header", secret, body, "", false},
		{"no secret configured", "", body, good, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.secret, tt.body, tt.header)
			if tt.ok && err != nil {
				t.Fatalf("err = %v, want ok", err)
			}
			if !tt.ok {
				if !errors.Is(err, ErrBadSignature) {
					t.Fatalf("err = %v, want ErrBadSignature", err)
				}
				if tt.secret != "" && strings.Contains(err.Error(), tt.secret) {
					t.Errorf("error leaks the secret: %v", err)
				}
			}
		})
	}
}

func TestParseWebhookEvent(t *testing.T) {
	ts := time.Date(2025, 4, 16, 5, 0, 52, 745_000_000, time.UTC)
	tests := []struct {
		name string
		body string
		want WebhookEvent
	}{
		{"app version state (Apple's example)",
			`{"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"7c813492-e1b5-4a5e-b6d4-8a4f0d1d9f67","version":1,
			  "attributes":{"newValue":"READY_FOR_REVIEW","oldValue":"PREPARE_FOR_SUBMISSION","timestamp":"2025-04-16T05:00:52.745Z"},
			  "relationships":{"instance":{"data":{"type":"appStoreVersions","id":"ad7e6298-a8a1-4bd8-a6c4-ba5b2fbe6b7b"}}}}}`,
			WebhookEvent{Type: EventAppVersionStateUpdated, ID: "7c813492-e1b5-4a5e-b6d4-8a4f0d1d9f67", Version: 1,
				NewValue: "READY_FOR_REVIEW", OldValue: "PREPARE_FOR_SUBMISSION", Timestamp: &ts,
				InstanceType: "appStoreVersions", InstanceID: "ad7e6298-a8a1-4bd8-a6c4-ba5b2fbe6b7b"}},
		{"build upload (newState only)",
			`{"data":{"type":"buildUploadStateUpdated","id":"e1","version":1,"attributes":{"newState":"COMPLETE"},
			  "relationships":{"instance":{"data":{"type":"buildUploads","id":"u1"}}}}}`,
			WebhookEvent{Type: EventBuildUploadStateUpdated, ID: "e1", Version: 1, NewState: "COMPLETE", InstanceType: "buildUploads", InstanceID: "u1"}},
		{"instance directly under relationships.instance, no version",
			`{"data":{"type":"backgroundAssetVersionStateUpdated","id":"e2","attributes":{"newState":"READY","oldState":"PROCESSING"},
			  "relationships":{"instance":{"type":"backgroundAssetVersions","id":"bav1"}}}}`,
			WebhookEvent{Type: "backgroundAssetVersionStateUpdated", ID: "e2", NewState: "READY", OldState: "PROCESSING", InstanceType: "backgroundAssetVersions", InstanceID: "bav1"}},
		{"instance under data.instance, version as string",
			`{"data":{"type":"buildUploadStateUpdated","id":"e3","version":"2","attributes":{"newState":"FAILED"},"instance":{"type":"buildUploads","id":"u3"}}}`,
			WebhookEvent{Type: EventBuildUploadStateUpdated, ID: "e3", Version: 2, NewState: "FAILED", InstanceType: "buildUploads", InstanceID: "u3"}},
		{"ping",
			`{"data":{"type":"webhookPingCreated","id":"p1","version":1,"attributes":{"timestamp":"garbage"}}}`,
			WebhookEvent{Type: EventPing, ID: "p1", Version: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := ParseWebhookEvent([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got := *ev
			if (got.Timestamp == nil) != (tt.want.Timestamp == nil) || got.Timestamp != nil && !got.Timestamp.Equal(*tt.want.Timestamp) {
				t.Errorf("Timestamp = %v, want %v", got.Timestamp, tt.want.Timestamp)
			}
			got.Timestamp, tt.want.Timestamp = nil, nil
			if got != tt.want {
				t.Errorf("event = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{``, `not json`, `{}`, `{"data":{"id":"x"}}`, `{"data":null}`} {
		if _, err := ParseWebhookEvent([]byte(bad)); err == nil {
			t.Errorf("ParseWebhookEvent(%q) succeeded", bad)
		}
	}
}
