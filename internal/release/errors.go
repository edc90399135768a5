package release

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInProgress means the same action is already running (a double click or a
// redelivered envelope arrived while the first press was still working).
var ErrInProgress = errors.New("that action is already in progress")

// StaleError means the card the user pressed no longer matches App Store
// Connect; nothing was done. Changes says what moved, in words.
type StaleError struct {
	Changes []string
}

func (e *StaleError) Error() string {
	return "the card was out of date: " + strings.Join(e.Changes, "; ")
}

// RefusedError means the user may not do this; nothing was done.
// Action is what was refused ("release", "pause the phased release of");
// Reason is the whole sentence a person reads, naming the app ("only <@U1>
// may release KotenOCR").
type RefusedError struct {
	Action string
	Reason string
}

func (e *RefusedError) Error() string { return e.Reason }

// MembershipError means Slack's user-group lookup failed while checking
// whether the user may act; nothing was done (refused, and audited).
type MembershipError struct {
	Action string // e.g. "release KotenOCR"
	Group  string // the user group whose members could not be read
	Err    error
}

func (e *MembershipError) Error() string {
	return fmt.Sprintf("checking who may %s: Slack's user-group lookup of %s failed: %v", e.Action, e.Group, e.Err)
}

func (e *MembershipError) Unwrap() error { return e.Err }

// BlockedError means the workflow cannot go on until something is fixed
// (a failed preflight, another submission in the way, the wrong state).
type BlockedError struct {
	Reasons []string
}

func (e *BlockedError) Error() string {
	return strings.Join(e.Reasons, "; ")
}

// DoneError means the action was already carried out (by this press's twin
// or earlier); nothing was done again.
type DoneError struct {
	By     string
	At     time.Time
	Result string
}

func (e *DoneError) Error() string {
	return fmt.Sprintf("already done by <@%s> at %s: %s", e.By, e.At.UTC().Format("15:04 MST"), e.Result)
}
