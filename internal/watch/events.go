// Package watch turns App Store Connect reads — a scheduled poll and Apple's
// webhooks — into review-state transitions, each announced once.
package watch

import (
	"context"
	"time"

	"github.com/ascbot/ascbot/internal/asc"
)

// Source says who noticed a change first.
type Source string

// The sources of transitions.
const (
	SourcePoll    Source = "poll"
	SourceWebhook Source = "webhook"
)

// VersionEvent is one change of a version's review state, or of the state of
// the review submission holding it.
type VersionEvent struct {
	App     asc.App
	Channel string // where the app's changes are posted
	Version asc.AppStoreVersion
	// From is the state last seen ("" never happens: first sightings are
	// recorded silently as a baseline), To the new one. Equal when only the
	// submission changed.
	From, To asc.AppVersionState
	// SubmissionID/SubFrom/SubTo describe the review submission holding the
	// version, when there is one.
	SubmissionID   string
	SubFrom, SubTo asc.ReviewSubmissionState
	// Items are the submission's items with their states; filled when the
	// version or its submission was rejected (or has unresolved issues).
	Items  []asc.ReviewSubmissionItem
	At     time.Time
	Source Source
	// NoticeKey names the announcement (the transition and the record it
	// starts from): the same on every attempt to announce it, so a
	// Notifier can deliver each part once across attempts.
	NoticeKey string
}

// BuildEvent is a build of a watched app that finished processing (VALID) or failed (FAILED / INVALID).
type BuildEvent struct {
	App      asc.App
	Channel  string
	Build    asc.Build
	From, To asc.BuildProcessingState // From "" for a build first seen already finished
	At       time.Time
	Source   Source
	// NoticeKey names the announcement, as VersionEvent.NoticeKey.
	NoticeKey string
}

// Notifier delivers transitions (the Slack side implements it). An error
// means nothing reached the channel and the transition will be offered again.
type Notifier interface {
	VersionChanged(ctx context.Context, e VersionEvent) error
	BuildChanged(ctx context.Context, e BuildEvent) error
}
