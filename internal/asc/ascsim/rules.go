package ascsim

import (
	"time"
)

// The review state machine. Every function here runs with Server.mu held.
//
//	PREPARE_FOR_SUBMISSION ─submit→ WAITING_FOR_REVIEW → IN_REVIEW ─approve→
//	    MANUAL:         PENDING_DEVELOPER_RELEASE ─release request→ (distribute)
//	    AFTER_APPROVAL: (distribute)
//	    SCHEDULED:      PENDING_APPLE_RELEASE until earliestReleaseDate → (distribute)
//	(distribute) = PROCESSING_FOR_DISTRIBUTION → READY_FOR_DISTRIBUTION; the
//	second step happens one stage later with ReviewStage > 0, or through
//	Distribute in control mode (ReviewStage 0).
//	IN_REVIEW/WAITING_FOR_REVIEW ─reject→ REJECTED | METADATA_REJECTED | INVALID_BINARY
//	    ─resubmit (same submission)→ WAITING_FOR_REVIEW
//	WAITING_FOR_REVIEW/IN_REVIEW ─cancel→ DEVELOPER_REJECTED
//
// Review submissions: READY_FOR_REVIEW → WAITING_FOR_REVIEW (submitted) →
// IN_REVIEW → COMPLETE (approved) | UNRESOLVED_ISSUES (rejected; submit again
// to resubmit, still open: it blocks a new submission); canceled → CANCELING
// → COMPLETE at the next Tick, or one stage later with ReviewStage > 0
// (Apple's enum has no CANCELED; a canceled submission ends COMPLETE with its
// items REMOVED).
// Items: READY_FOR_REVIEW → APPROVED | REJECTED | REMOVED.

func (s *Server) setState(v *version, state string, now time.Time) {
	if v.state == state {
		return
	}
	v.state = state
	v.stageSince = now
	if live(state) {
		v.everReleased = true
	}
	if state == stReady {
		s.goLive(v, now)
	}
}

// goLive makes v the live version: the previous live version of the app on
// that platform is replaced and an INACTIVE phased release starts.
func (s *Server) goLive(v *version, now time.Time) {
	v.state = stReady
	v.everReleased = true
	for _, o := range s.st.appVersions(v.appID, v.platform) {
		if o.id != v.id && o.state == stReady {
			o.state = stReplaced
			o.stageSince = now
		}
	}
	if p := s.st.phased[v.phasedID]; p != nil && p.state == "INACTIVE" {
		p.state = "ACTIVE"
		t := now
		p.start = &t
		p.day = 1
	}
}

// distribute starts distribution: PROCESSING_FOR_DISTRIBUTION, which becomes
// READY_FOR_DISTRIBUTION one stage later (ReviewStage > 0) or through
// Distribute (control mode).
func (s *Server) distribute(v *version, now time.Time) {
	s.setState(v, stProcessing, now)
}

// approveVersion applies App Review approval per releaseType.
func (s *Server) approveVersion(v *version, now time.Time) {
	switch v.releaseType {
	case "MANUAL":
		s.setState(v, stPendingDev, now)
	case "SCHEDULED":
		if v.earliestReleaseDate != nil && v.earliestReleaseDate.After(now) {
			s.setState(v, stPendingApple, now)
		} else {
			s.distribute(v, now)
		}
	default:
		s.distribute(v, now)
	}
	if sub, it := s.st.submissionOf(v.id); sub != nil {
		it.state = itemApproved
		s.settle(sub, now)
	}
}

// rejectVersion applies a rejection: version state, item REJECTED,
// submission UNRESOLVED_ISSUES.
func (s *Server) rejectVersion(v *version, state string, now time.Time) {
	s.setState(v, state, now)
	v.rejectedBuildID, v.rejectedAs = "", ""
	if state == stRejected || state == stInvalidBinary {
		v.rejectedBuildID, v.rejectedAs = v.buildID, state
	}
	if sub, it := s.st.submissionOf(v.id); sub != nil {
		it.state = itemRejected
		sub.state = subUnresolved
		sub.stageSince = now
	}
}

// settle completes a submission once none of its items awaits a decision.
func (s *Server) settle(sub *submission, now time.Time) {
	rejected, pending := false, false
	for _, iid := range sub.itemIDs {
		it := s.st.items[iid]
		if it == nil {
			continue
		}
		switch it.state {
		case itemRejected:
			rejected = true
		case itemReady:
			pending = true
		}
	}
	switch {
	case rejected:
		sub.state = subUnresolved
	case pending:
		return
	default:
		sub.state = subComplete
	}
	sub.stageSince = now
}

// startReview moves a waiting submission (and its versions) into review.
func (s *Server) startReview(sub *submission, now time.Time) {
	sub.state = subInReview
	sub.stageSince = now
	for _, v := range s.subVersions(sub) {
		if v.state == stWaiting {
			s.setState(v, stInReview, now)
		}
	}
}

// approveSubmission approves every version item of a submission.
func (s *Server) approveSubmission(sub *submission, now time.Time) {
	for _, v := range s.subVersions(sub) {
		if v.state == stWaiting || v.state == stInReview {
			s.approveVersion(v, now)
		}
	}
	s.settle(sub, now)
}

// subVersions returns the versions of a submission's active items.
func (s *Server) subVersions(sub *submission) []*version {
	var out []*version
	for _, iid := range sub.itemIDs {
		it := s.st.items[iid]
		if it == nil || it.state == itemRemoved || it.versionID == "" {
			continue
		}
		if v := s.st.versions[it.versionID]; v != nil {
			out = append(out, v)
		}
	}
	return out
}

// cancelSubmission is PATCH canceled:true: CANCELING, versions under review
// become DEVELOPER_REJECTED and items REMOVED. The move to COMPLETE happens
// at the next stage (ReviewStage > 0) or right after the response (control
// mode, see finishCancel).
func (s *Server) cancelSubmission(sub *submission, now time.Time) {
	for _, v := range s.subVersions(sub) {
		if v.state == stWaiting || v.state == stInReview {
			s.setState(v, stDevRejected, now)
		}
	}
	for _, iid := range sub.itemIDs {
		if it := s.st.items[iid]; it != nil {
			it.state = itemRemoved
		}
	}
	sub.state = subCanceling
	sub.stageSince = now
}

// advance applies time-driven transitions as of now.
func (s *Server) advance(now time.Time) {
	stage := s.opt.ReviewStage
	due := func(since time.Time) bool { return stage > 0 && !now.Before(since.Add(stage)) }
	for _, sub := range sortedBySeq(s.st.submissions, func(x *submission) int { return x.seq }) {
		switch {
		case sub.state == subWaiting && due(sub.stageSince):
			s.startReview(sub, now)
		case sub.state == subInReview && due(sub.stageSince):
			s.approveSubmission(sub, now)
		case sub.state == subCanceling && (stage <= 0 || due(sub.stageSince)):
			sub.state = subComplete
			sub.stageSince = now
		}
	}
	for _, v := range sortedBySeq(s.st.versions, func(x *version) int { return x.seq }) {
		switch {
		case v.state == stProcessing && due(v.stageSince):
			s.setState(v, stReady, now)
		case v.state == stPendingApple && v.earliestReleaseDate != nil && !now.Before(*v.earliestReleaseDate):
			s.distribute(v, now)
		}
	}
}

// Tick applies the time-driven transitions as of Clock(): scheduled releases
// whose earliestReleaseDate has passed, and, when ReviewStage > 0, one review
// stage for every object that has waited at least ReviewStage. The background
// ticker calls it; tests may call it after moving a fake clock.
func (s *Server) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	s.advanceBeta(s.now())
}
