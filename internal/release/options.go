package release

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ascbot/ascbot/internal/asc"
	"github.com/ascbot/ascbot/internal/store"
)

// ReleaseOptions say how a version reaches the store once App Review
// approves it: fastlane's automatic_release/auto_release_date/phased_release,
// Codemagic's --release-type/--earliest-release-date/--phased-release.
type ReleaseOptions struct {
	Type asc.ReleaseType
	// Earliest is a SCHEDULED release's earliest date, in UTC.
	Earliest *time.Time
	// Phased rolls the update out over 7 days to users with automatic updates.
	Phased bool
}

// Option fields named in ValidateReleaseOptions' answer.
const (
	OptionType   = "type"
	OptionDate   = "date"
	OptionTime   = "time"
	OptionPhased = "phased"
)

// ValidateReleaseOptions checks options chosen at now, shown in loc; the map
// says what is wrong with each bad field (OptionType, OptionDate, OptionTime,
// OptionPhased). App Store Connect takes a scheduled date in the future and
// on the hour (hour precision, as Codemagic documents), and offers phased
// release only for an update.
func ValidateReleaseOptions(o ReleaseOptions, firstVersion bool, now time.Time, loc *time.Location) map[string]string {
	bad := map[string]string{}
	switch o.Type {
	case asc.ReleaseManual, asc.ReleaseAfterApproval:
	case asc.ReleaseScheduled:
		switch e := o.Earliest; {
		case e == nil:
			bad[OptionDate] = "Pick the date and time before which the version must not be released"
		case e.Minute() != 0 || e.Second() != 0:
			bad[OptionTime] = fmt.Sprintf("App Store Connect schedules releases on the hour: pick %s or %s", e.In(loc).Truncate(time.Hour).Format("15:04"), e.In(loc).Truncate(time.Hour).Add(time.Hour).Format("15:04"))
		case !e.After(now):
			bad[OptionDate] = fmt.Sprintf("%s is in the past (it is %s now): pick a later date and time", FormatTime(*e, loc), FormatTime(now, loc))
		}
	default:
		bad[OptionType] = "Choose how the version is released"
	}
	if o.Phased && firstVersion {
		bad[OptionPhased] = "Phased release is only for updates; this is the app's first version"
	}
	return bad
}

// FormatTime shows t in loc the way the card does: "Tue 3 Mar 2026 15:00 JST".
func FormatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// SetReleaseOptions sets the release type (with its date) and switches phased
// release on or off, before the version is submitted. requestID names the
// request (the modal's view id), so a redelivered submission acts once.
// App Store Connect's refusals (after submitting, for instance) come back as
// a BlockedError carrying Apple's reason.
func (s *Service) SetReleaseOptions(ctx context.Context, user, appID, versionID, requestID string, o ReleaseOptions) ([]string, error) {
	api := s.ASCFor(appID)
	app, err := s.App(ctx, appID)
	if err != nil {
		return nil, err
	}
	if err := s.requireSubmitter(ctx, user, "set the release options of", app, versionID); err != nil {
		return nil, err
	}
	var changed []string
	_, err = s.act(ctx, store.Action{Key: "options/" + versionID + "/" + requestID, Kind: "release-options", User: user, AppID: appID, VersionID: versionID, Intent: versionID}, func() (string, error) {
		// Read only what the change needs, both at once: one round trip.
		var v *asc.AppStoreVersion
		var ph *asc.PhasedRelease
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) {
			if v, _, err = api.Versions.Get(gctx, versionID); err != nil {
				return fmt.Errorf("reading version %s: %w", versionID, err)
			}
			return nil
		})
		g.Go(func() (err error) {
			if ph, _, err = api.Phased.Get(gctx, versionID); err != nil {
				return fmt.Errorf("reading the phased release of %s: %w", versionID, err)
			}
			return nil
		})
		if err := g.Wait(); err != nil {
			return "", err
		}
		loc := s.cfg.Zone()
		if bad := ValidateReleaseOptions(o, false, s.now(), loc); len(bad) > 0 {
			var rs []string
			for _, k := range []string{OptionType, OptionDate, OptionTime} {
				if m, ok := bad[k]; ok {
					rs = append(rs, m)
				}
			}
			return "", &BlockedError{Reasons: rs}
		}
		sameDate := o.Type != asc.ReleaseScheduled || (v.EarliestReleaseDate != nil && o.Earliest != nil && v.EarliestReleaseDate.Equal(*o.Earliest))
		if v.ReleaseType != o.Type || !sameDate {
			u := asc.VersionUpdate{ReleaseType: &o.Type}
			if o.Type == asc.ReleaseScheduled {
				u.EarliestReleaseDate = o.Earliest
			}
			nv, _, err := api.Versions.Update(ctx, versionID, u)
			if err != nil {
				return "", blockedOr(err, "setting the release type")
			}
			changed = append(changed, "release "+ReleaseTypeLabel(nv, loc))
		}
		switch {
		case o.Phased && ph == nil:
			if _, _, err := api.Phased.Create(ctx, versionID, asc.PhasedInactive); err != nil {
				return "", blockedOr(err, "turning phased release on")
			}
			changed = append(changed, "phased release on")
		case !o.Phased && ph != nil && ph.State == asc.PhasedInactive:
			if _, err := api.Phased.Delete(ctx, ph.ID); err != nil {
				return "", blockedOr(err, "turning phased release off")
			}
			changed = append(changed, "phased release off")
		case !o.Phased && ph != nil:
			return "", &BlockedError{Reasons: []string{fmt.Sprintf("the phased release is %s: it can no longer be switched off (complete it with Release to everyone)", ph.State.Label())}}
		}
		if len(changed) == 0 {
			return "no change", nil
		}
		return strings.Join(changed, ", "), nil
	})
	return changed, err
}
