package slacksim

import (
	"errors"
	"fmt"
	"time"
)

// ErrViolation matches every *Violation with errors.Is.
var ErrViolation = errors.New("slack rule violation")

// Errors returned by the driving methods (SlashCommand, ClickButton, …) when
// the simulated user cannot do what the test asked, or the bot did not answer.
var (
	// ErrAckTimeout: the bot did not ack the envelope within Options.AckTimeout.
	ErrAckTimeout = errors.New("envelope not acked within the ack timeout")
	// ErrUnknownUser: the user was never added with AddUser.
	ErrUnknownUser = errors.New("unknown user")
	// ErrUnknownChannel: the channel was never added with AddChannel.
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrUnknownMessage: no such (non-deleted) message in that channel.
	ErrUnknownMessage = errors.New("unknown message")
	// ErrUnknownView: no such view, or it is not open for that user.
	ErrUnknownView = errors.New("unknown or closed view")
	// ErrNoSuchElement: the button or input is not in the current blocks.
	ErrNoSuchElement = errors.New("no such element in the current blocks")
	// ErrInvalidInput: the submitted values are not acceptable to Slack's client.
	ErrInvalidInput = errors.New("invalid input value")
	// ErrUnknownEnvelope: Redeliver was given an envelope id never sent.
	ErrUnknownEnvelope = errors.New("unknown envelope")
	// ErrClosed: the server was closed.
	ErrClosed = errors.New("slacksim server closed")
)

// Violation is one breach of a Slack rule by the bot under test. The Web API
// call that caused it (if any) was answered the way Slack answers it.
type Violation struct {
	// Rule is a stable, snake_case rule name such as "ack_timeout",
	// "trigger_exchanged" or "button_text_length".
	Rule string
	// Where names the Web API method, envelope type or endpoint involved.
	Where string
	// Detail says what was wrong, e.g. "blocks[2].elements[0].text: 76 characters > 75".
	Detail string
	// At is the server clock time of the breach.
	At time.Time
}

// Error implements error.
func (v *Violation) Error() string {
	if v.Where == "" {
		return fmt.Sprintf("slack rule %s: %s", v.Rule, v.Detail)
	}
	return fmt.Sprintf("slack rule %s in %s: %s", v.Rule, v.Where, v.Detail)
}

// Is reports whether target is ErrViolation.
func (v *Violation) Is(target error) bool { return target == ErrViolation }
