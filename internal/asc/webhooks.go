package asc

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries Apple's webhook signature, "hmacsha256=<hex>".
const SignatureHeader = "X-Apple-Signature"

// signaturePrefix precedes the hex digest in SignatureHeader.
const signaturePrefix = "hmacsha256="

// Webhook payload types (data.type, the camelCase form of WebhookEventType).
const (
	EventAppVersionStateUpdated  = "appStoreVersionAppVersionStateUpdated"
	EventBuildUploadStateUpdated = "buildUploadStateUpdated"
	// EventBuildBetaDetailExternalStateUpdated is a build's external
	// TestFlight state changing (beta review, availability); its instance
	// is a buildBetaDetails resource (asc-facts §webhooks).
	EventBuildBetaDetailExternalStateUpdated = "buildBetaDetailExternalBuildStateUpdated"
	// EventPing is the test ping's type as third parties report it.
	EventPing = "webhookPingCreated"
)

// Webhook event types for WebhookCreate.EventTypes (spec enum WebhookEventType).
const (
	WebhookAppVersionStateUpdated  = "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED"
	WebhookBuildUploadStateUpdated = "BUILD_UPLOAD_STATE_UPDATED"
	// WebhookBuildBetaDetailExternalStateUpdated reports TestFlight external state changes.
	WebhookBuildBetaDetailExternalStateUpdated = "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED"
)

// ErrBadSignature is returned (wrapped) when a webhook signature is missing,
// malformed or does not match.
var ErrBadSignature = errors.New("asc: bad webhook signature")

// VerifySignature checks header ("hmacsha256=<hex>") against the lowercase
// hex HMAC-SHA256 of the raw body under secret, in constant time. Every
// failure wraps ErrBadSignature.
func VerifySignature(secret string, body []byte, header string) error {
	if secret == "" {
		return fmt.Errorf("verifying webhook signature: %w: no secret configured", ErrBadSignature)
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("verifying webhook signature: %w: header missing", ErrBadSignature)
	}
	if len(header) < len(signaturePrefix) || !strings.EqualFold(header[:len(signaturePrefix)], signaturePrefix) {
		return fmt.Errorf("verifying webhook signature: %w: want prefix %q", ErrBadSignature, signaturePrefix)
	}
	got, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("verifying webhook signature: %w: digest is not 64 hex digits", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("verifying webhook signature: %w: digest mismatch", ErrBadSignature)
	}
	return nil
}

// WebhookEvent is a decoded webhook notification.
type WebhookEvent struct {
	Type     string // data.type, e.g. EventAppVersionStateUpdated
	ID       string
	Version  int
	NewValue string // appStoreVersionAppVersionStateUpdated: AppVersionState
	OldValue string
	NewState string // buildUploadStateUpdated: BuildUploadState
	// OldState is sent by some events; Apple's build upload example omits it.
	OldState  string
	Timestamp *time.Time
	// InstanceType/InstanceID name the resource the event is about
	// (e.g. appStoreVersions / buildUploads).
	InstanceType string
	InstanceID   string
}

// ParseWebhookEvent decodes a webhook body leniently: every attribute is
// optional, version may be a number or a string, and the instance may sit
// under relationships.instance.data, relationships.instance, or instance.
func ParseWebhookEvent(body []byte) (*WebhookEvent, error) {
	var raw struct {
		Data *struct {
			Type       string          `json:"type"`
			ID         json.RawMessage `json:"id"`
			Version    json.RawMessage `json:"version"`
			Attributes struct {
				NewValue  json.RawMessage `json:"newValue"`
				OldValue  json.RawMessage `json:"oldValue"`
				NewState  json.RawMessage `json:"newState"`
				OldState  json.RawMessage `json:"oldState"`
				Timestamp json.RawMessage `json:"timestamp"`
			} `json:"attributes"`
			Relationships struct {
				Instance json.RawMessage `json:"instance"`
			} `json:"relationships"`
			Instance json.RawMessage `json:"instance"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("parsing webhook event: %w", err)
	}
	if raw.Data == nil || raw.Data.Type == "" {
		return nil, errors.New("parsing webhook event: no data.type")
	}
	d := raw.Data
	ev := &WebhookEvent{
		Type:     d.Type,
		ID:       looseString(d.ID),
		NewValue: looseString(d.Attributes.NewValue),
		OldValue: looseString(d.Attributes.OldValue),
		NewState: looseString(d.Attributes.NewState),
		OldState: looseString(d.Attributes.OldState),
	}
	if v := looseString(d.Version); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			ev.Version = n
		}
	}
	if ts := looseString(d.Attributes.Timestamp); ts != "" {
		ev.Timestamp = parseTime(ts)
	}
	for _, inst := range []json.RawMessage{d.Relationships.Instance, d.Instance} {
		if t, id := instanceOf(inst); id != "" {
			ev.InstanceType, ev.InstanceID = t, id
			break
		}
	}
	return ev, nil
}

// instanceOf reads {data:{type,id}} or {type,id}.
func instanceOf(b json.RawMessage) (typ, id string) {
	if isNull(b) {
		return "", ""
	}
	var v struct {
		Type string          `json:"type"`
		ID   json.RawMessage `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", ""
	}
	if !isNull(v.Data) && bytes.HasPrefix(bytes.TrimSpace(v.Data), []byte("{")) {
		if t, i := instanceOf(v.Data); i != "" {
			return t, i
		}
	}
	return v.Type, looseString(v.ID)
}

// WebhooksService registers webhooks and resolves their payloads.
type WebhooksService service

// WebhookCreate is the input of Create. EventTypes are WebhookEventType values
// (e.g. WebhookAppVersionStateUpdated).
type WebhookCreate struct {
	AppID      string
	Name       string
	URL        string
	Secret     string
	EventTypes []string
}

// Create registers an enabled webhook for the app and returns its id.
// POST /v1/webhooks
func (s *WebhooksService) Create(ctx context.Context, wc WebhookCreate) (string, *Response, error) {
	events := wc.EventTypes
	if events == nil {
		events = []string{}
	}
	body := reqDoc{Data: reqResource{
		Type: "webhooks",
		Attributes: map[string]any{
			"enabled":    true,
			"eventTypes": events,
			"name":       wc.Name,
			"secret":     wc.Secret,
			"url":        wc.URL,
		},
		Relationships: map[string]reqRel{"app": relOne("apps", wc.AppID)},
	}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/webhooks", body, &doc)
	if err != nil {
		return "", resp, fmt.Errorf("creating webhook %q for app %s: %w", wc.Name, wc.AppID, err)
	}
	r, err := oneOf(&doc, "webhooks")
	if err != nil || r == nil {
		return "", resp, fmt.Errorf("creating webhook %q for app %s: %w", wc.Name, wc.AppID, orNull(err))
	}
	return r.ID, resp, nil
}

// BuildUploadBuild returns the id of the build a build upload produced, or ""
// when Apple has not linked one yet. GET /v1/buildUploads/{id}?include=build
func (s *WebhooksService) BuildUploadBuild(ctx context.Context, buildUploadID string) (string, *Response, error) {
	q := query{}.
		set("include", "build").
		set("fields[buildUploads]", "cfBundleShortVersionString", "cfBundleVersion", "state", "build").
		set("fields[builds]", "version")
	var doc Document
	resp, err := s.client.get(ctx, "/v1/buildUploads/"+url.PathEscape(buildUploadID), q, &doc)
	if err != nil {
		return "", resp, fmt.Errorf("getting build upload %s: %w", buildUploadID, err)
	}
	r, err := oneOf(&doc, "buildUploads")
	if err != nil || r == nil {
		return "", resp, fmt.Errorf("getting build upload %s: %w", buildUploadID, orNull(err))
	}
	if id := r.Rel("build"); id != "" {
		return id, resp, nil
	}
	// Fall back to a lone included build.
	if bs := doc.IncludedOfType("builds"); len(bs) == 1 {
		return bs[0].ID, resp, nil
	}
	return "", resp, nil
}
