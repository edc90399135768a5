package release

import (
	"context"
	"fmt"
	"sync"
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

type authorizedKey struct{}

// WithAuthorized returns a context whose workflow calls run fn (once) as soon
// as they have found that the person may act, before anything goes to App
// Store Connect. A caller shows "⏳ Releasing…" to the channel from fn, so a
// press that is refused changes nothing anyone else sees.
func WithAuthorized(ctx context.Context, fn func()) context.Context {
	var once sync.Once
	return context.WithValue(ctx, authorizedKey{}, func() { once.Do(fn) })
}

// authorized reports to the context's WithAuthorized function, if any.
func authorized(ctx context.Context) {
	if fn, ok := ctx.Value(authorizedKey{}).(func()); ok {
		fn()
	}
}
