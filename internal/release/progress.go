package release

import (
	"context"
	"fmt"
)

// A caller that shows people what is happening (the Slack card's
// "⏳ Submitting for review…") passes a progress function in the context of
// a call; the workflow reports each step that goes to App Store Connect, and
// how far a long one got. Steps are reported before the step runs.

type progressKey struct{}

// WithProgress returns a context whose workflow calls report their steps to fn.
func WithProgress(ctx context.Context, fn func(step string)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// progress reports a step to the context's progress function, if any.
func progress(ctx context.Context, format string, args ...any) {
	if fn, ok := ctx.Value(progressKey{}).(func(string)); ok && fn != nil {
		fn(fmt.Sprintf(format, args...))
	}
}
