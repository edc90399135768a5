package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/release"
)

// TestCancelDraftSubmissionIsExplained: Apple refuses to cancel a submission
// never sent to App Review (READY_FOR_REVIEW); the bot does not ask, says
// why, and leaves the draft for the next submit.
func TestCancelDraftSubmissionIsExplained(t *testing.T) {
	t.Parallel()
	s, client, ids := newSimService(t)
	ctx := context.Background()
	app, err := s.App(ctx, ids.AppID)
	if err != nil {
		t.Fatal(err)
	}
	sub, _, err := client.Submissions.Create(ctx, ids.AppID, asc.PlatformIOS)
	if err != nil {
		t.Fatal(err)
	}
	err = s.CancelSubmission(ctx, "U1", app, sub.ID, 0)
	var blocked *release.BlockedError
	if !errors.As(err, &blocked) || !strings.Contains(strings.Join(blocked.Reasons, " "), "never sent to App Review") {
		t.Fatalf("err = %v, want a BlockedError explaining the draft", err)
	}
	got, _, err := client.Submissions.Get(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != asc.SubmissionReadyForReview {
		t.Fatalf("draft state = %s, want READY_FOR_REVIEW", got.State)
	}
}
