package release

import (
	"context"

	"github.com/ascbot/ascbot/internal/store"
)

// Act runs fn once per a.Key with the same intent-before-action record,
// lease and audit as the release workflow's own actions. Workflows beside
// release (TestFlight, internal/beta) use it so the rule lives in one place.
func (s *Service) Act(ctx context.Context, a store.Action, fn func() (string, error)) (string, error) {
	return s.act(ctx, a, fn)
}
