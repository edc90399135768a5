package ascsim

import (
	"fmt"
	"strings"
)

// BetaGroupSeed seeds a TestFlight group.
type BetaGroupSeed struct {
	Name     string
	Internal bool
}

// BetaTesterSeed seeds a tester. State defaults to ACCEPTED (INVITED when
// the seed says so); TeamMember makes the email an App Store Connect user of
// the team, which internal groups require.
type BetaTesterSeed struct {
	Email, FirstName, LastName, State string
	TeamMember                        bool
}

// BetaGroupView is a read-back of a group.
type BetaGroupView struct {
	ID, AppID, Name string
	Internal        bool
	BuildIDs        []string
	TesterEmails    []string
}

// BetaBuildView is a read-back of a build's TestFlight side.
type BetaBuildView struct {
	InternalState, ExternalState string
	// ReviewID and ReviewState are empty when never submitted.
	ReviewID, ReviewState string
	// Reviews counts beta review submissions ever created for the build.
	Reviews int
	// WhatToTest maps locale to text.
	WhatToTest map[string]string
	GroupIDs   []string
}

// AddBetaGroup seeds a beta group of the app and returns its id. It panics on
// an unknown app.
func (s *Server) AddBetaGroup(appID string, g BetaGroupSeed) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.mustApp(appID)
	bg := &betaGroup{appID: appID, name: g.Name, internal: g.Internal, created: s.now()}
	bg.seq, bg.id = s.st.next(tBetaGroups)
	s.beta().groups[bg.id] = bg
	return bg.id
}

// AddBetaTester seeds a tester into the groups and returns its id. It panics
// on an unknown group, and when a non-member is put into an internal group.
func (s *Server) AddBetaTester(t BetaTesterSeed, groupIDs ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.TeamMember {
		s.beta().team[strings.ToLower(t.Email)] = t.Email
	}
	if t.State == "" {
		t.State = "ACCEPTED"
	}
	s.mustEnum("betaTester state", t.State, s.spec.Enum("BetaTesterState"))
	bt := s.testerByEmail(t.Email)
	if bt == nil {
		bt = &betaTester{email: t.Email, first: t.FirstName, last: t.LastName, state: t.State}
		bt.seq, bt.id = s.st.next(tBetaTesters)
		s.beta().testers[bt.id] = bt
	}
	for _, id := range groupIDs {
		g := s.beta().groups[id]
		if g == nil {
			panic(fmt.Sprintf("ascsim: unknown beta group %q", id))
		}
		if e := s.checkTesterForGroup(bt, g, ""); e != nil {
			panic("ascsim: " + e.Error())
		}
		if !hasString(g.testerIDs, bt.id) {
			g.testerIDs = append(g.testerIDs, bt.id)
		}
	}
	return bt.id
}

// AddTeamMember makes email an App Store Connect user of the team, so it can
// be put into internal groups.
func (s *Server) AddTeamMember(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beta().team[strings.ToLower(email)] = email
}

// BetaGroups lists the app's groups, oldest first.
func (s *Server) BetaGroups(appID string) []BetaGroupView {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []BetaGroupView
	for _, g := range sortedBySeq(s.beta().groups, func(g *betaGroup) int { return g.seq }) {
		if g.appID != appID {
			continue
		}
		gv := BetaGroupView{ID: g.id, AppID: g.appID, Name: g.name, Internal: g.internal, BuildIDs: append([]string(nil), g.buildIDs...)}
		for _, id := range g.testerIDs {
			gv.TesterEmails = append(gv.TesterEmails, s.beta().testers[id].email)
		}
		out = append(out, gv)
	}
	return out
}

// BetaBuild reads a build's TestFlight side back.
func (s *Server) BetaBuild(buildID string) (BetaBuildView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.builds[buildID]
	if b == nil {
		return BetaBuildView{}, false
	}
	now := s.now()
	out := BetaBuildView{InternalState: s.internalState(b, now), ExternalState: s.externalState(b, now), WhatToTest: map[string]string{}}
	for _, r := range s.beta().reviews {
		if r.buildID == b.id {
			out.Reviews++
			out.ReviewID, out.ReviewState = r.id, r.state
		}
	}
	for _, id := range s.betaLocIDs(b.id) {
		l := s.beta().locs[id]
		out.WhatToTest[l.locale] = derefStr(l.whatsNew)
	}
	for _, g := range s.groupsOf(b.id) {
		out.GroupIDs = append(out.GroupIDs, g.id)
	}
	return out, true
}

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// betaReviewOf returns the build's review or an error for the control API.
func (s *Server) betaReviewOf(buildID string) (*betaReview, error) {
	if s.st.builds[buildID] == nil {
		return nil, fmt.Errorf("build %s: %w", buildID, ErrNotFound)
	}
	r := s.reviewOf(buildID)
	if r == nil {
		return nil, fmt.Errorf("build %s was never submitted for beta review: %w", buildID, ErrInvalidState)
	}
	return r, nil
}

// StartBetaReview moves the build's beta review from WAITING_FOR_REVIEW to
// IN_REVIEW.
func (s *Server) StartBetaReview(buildID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.betaReviewOf(buildID)
	if err != nil {
		return err
	}
	if r.state != betaWaiting {
		return fmt.Errorf("starting beta review of build %s in %s: %w", buildID, r.state, ErrInvalidState)
	}
	r.state, r.stageSince = betaInReview, s.now()
	return nil
}

// ApproveBetaReview approves a waiting or in-review beta review: the build
// becomes BETA_APPROVED, or IN_BETA_TESTING when an external group holds it.
func (s *Server) ApproveBetaReview(buildID string) error {
	return s.finishBetaReview(buildID, betaApproved)
}

// RejectBetaReview rejects a waiting or in-review beta review: BETA_REJECTED.
func (s *Server) RejectBetaReview(buildID string) error {
	return s.finishBetaReview(buildID, betaRejected)
}

func (s *Server) finishBetaReview(buildID, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.betaReviewOf(buildID)
	if err != nil {
		return err
	}
	if r.state != betaWaiting && r.state != betaInReview {
		return fmt.Errorf("ending beta review of build %s in %s: %w", buildID, r.state, ErrInvalidState)
	}
	r.state, r.stageSince = state, s.now()
	return nil
}

// ExpireBuild marks a build expired (App Store Connect "Expire Build").
func (s *Server) ExpireBuild(buildID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.builds[buildID]
	if b == nil {
		return fmt.Errorf("build %s: %w", buildID, ErrNotFound)
	}
	b.expired = true
	return nil
}
