package watch

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzWebhookHandler: whatever is posted, the handler never panics; a body
// whose signature matches no secret is refused with 401 before anything is
// read, and a correctly signed one is answered 200, 400 or 413.
func FuzzWebhookHandler(f *testing.F) {
	h := newHarness(f, harnessConfig{})
	for _, s := range []string{
		string(versionEventBody("v-unknown", "PREPARE_FOR_SUBMISSION", "WAITING_FOR_REVIEW")),
		string(buildUploadBody("u-unknown")),
		`{"data":{"type":"webhookPingCreated","id":"p","version":1,"attributes":{}}}`,
		`{"data":null}`, ``, `not json`,
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		sig := "hmacsha256=00"
		if signed {
			sig = sign(h.secret(h.app.ID), body)
		}
		req := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(body))
		req.Header.Set("x-apple-signature", sig)
		rec := httptest.NewRecorder()
		h.w.WebhookHandler().ServeHTTP(rec, req)
		code := rec.Code
		switch {
		case !signed && code != http.StatusUnauthorized:
			t.Fatalf("unsigned body answered %d", code)
		case signed && code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge:
			t.Fatalf("signed body answered %d", code)
		}
	})
}
