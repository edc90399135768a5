package release

import (
	"fmt"
	"strconv"
	"strings"
)

// Snapshot is what a card showed when it was rendered. Every button carries
// one in its value, so a press can be checked against App Store Connect before
// anything is done: a press on a card whose version has moved on is refused.
// A TestFlight card (package beta) uses the same snapshot for one build: no
// VersionID, the build in BuildID and its TestFlight states in State.
type Snapshot struct {
	AppID        string
	VersionID    string
	State        string
	BuildID      string
	SubmissionID string
	// Rev is the card's revision when rendered; it makes the idempotency key
	// of a press unique per rendering, so a double click or a redelivered
	// envelope acts once while a press on a later rendering acts again.
	Rev int
	// Arg is the button's own argument (a build id to attach, a phased state).
	Arg string
}

const snapshotPrefix = "s1"

// Encode renders the snapshot as a button value (well under Slack's 2000 characters).
func (s Snapshot) Encode() string {
	return strings.Join([]string{snapshotPrefix, s.AppID, s.VersionID, s.State, s.BuildID, s.SubmissionID, strconv.Itoa(s.Rev), s.Arg}, "|")
}

// ParseSnapshot decodes a button value written by Encode.
func ParseSnapshot(v string) (Snapshot, error) {
	parts := strings.Split(v, "|")
	if len(parts) != 8 || parts[0] != snapshotPrefix {
		return Snapshot{}, fmt.Errorf("parsing button value %q: not a card snapshot", v)
	}
	rev, err := strconv.Atoi(parts[6])
	if err != nil {
		return Snapshot{}, fmt.Errorf("parsing button value %q: revision: %w", v, err)
	}
	if parts[1] == "" || parts[2] == "" && parts[4] == "" {
		return Snapshot{}, fmt.Errorf("parsing button value %q: app and version (or build) required", v)
	}
	return Snapshot{AppID: parts[1], VersionID: parts[2], State: parts[3], BuildID: parts[4], SubmissionID: parts[5], Rev: rev, Arg: parts[7]}, nil
}
