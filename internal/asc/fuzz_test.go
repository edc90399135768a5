package asc

import (
	"encoding/json"
	"testing"
)

// FuzzParseWebhookEvent: whatever Apple (or anyone with a secret) posts, the
// parser never panics, and an event it accepts has a type.
func FuzzParseWebhookEvent(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"appStoreVersionAppVersionStateUpdated","id":"e1","version":1,"attributes":{"newValue":"IN_REVIEW","oldValue":"WAITING_FOR_REVIEW","timestamp":"2025-04-16T05:00:52.745Z"},"relationships":{"instance":{"data":{"type":"appStoreVersions","id":"v1"}}}}}`,
		`{"data":{"type":"buildUploadStateUpdated","id":"e2","version":1,"attributes":{"newState":"COMPLETE"},"relationships":{"instance":{"data":{"type":"buildUploads","id":"u1"}}}}}`,
		`{"data":{"type":"webhookPingCreated","id":"p","version":1,"attributes":{"timestamp":"2025-04-16T05:00:52.745Z"}}}`,
		`{"data":null}`, `{}`, `[]`, `{"data":{"type":1}}`, ``, `{"data":{"relationships":{"instance":{"data":[]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseWebhookEvent(body)
		if err != nil {
			return
		}
		if ev == nil || ev.Type == "" {
			t.Fatalf("ParseWebhookEvent(%q) accepted %+v without a type", body, ev)
		}
	})
}

// FuzzDecodeJSONAPI: whatever a response body holds, decoding it as a
// version, a submission (with included items) or a phased release never
// panics.
func FuzzDecodeJSONAPI(f *testing.F) {
	for _, s := range []string{
		`{"data":{"type":"appStoreVersions","id":"v1","attributes":{"versionString":"1.1.0","appVersionState":"PREPARE_FOR_SUBMISSION","platform":"IOS","createdDate":"2025-01-02T03:04:05Z"},"relationships":{"app":{"data":{"type":"apps","id":"1"}},"build":{"data":null}}}}`,
		`{"data":{"type":"reviewSubmissions","id":"s1","attributes":{"state":"WAITING_FOR_REVIEW","platform":"IOS"},"relationships":{"items":{"data":[{"type":"reviewSubmissionItems","id":"i1"}]}}},"included":[{"type":"reviewSubmissionItems","id":"i1","attributes":{"state":"READY_FOR_REVIEW"},"relationships":{"appStoreVersion":{"data":{"type":"appStoreVersions","id":"v1"}}}}]}`,
		`{"data":{"type":"appStoreVersionPhasedReleases","id":"p1","attributes":{"phasedReleaseState":"ACTIVE","currentDayNumber":3,"totalPauseDuration":0}}}`,
		`{"data":[]}`, `{"data":null}`, `{"data":{"type":"appStoreVersions","id":"v","attributes":[]}}`, `{"included":[{}]}`,
		`{"data":{"type":"appStoreVersions","id":"v","relationships":{"app":{"data":[{"type":"apps","id":"1"}]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var doc Document
		if json.Unmarshal(body, &doc) != nil {
			return
		}
		_, _ = decodeVersion(&doc)
		_, _ = decodeSubmission(&doc)
		_, _ = decodePhased(&doc)
		_, _ = doc.Many()
		if r, err := doc.One(); err == nil && r != nil {
			_ = r.Rel("app")
			_ = r.RelIDs("items")
		}
	})
}
