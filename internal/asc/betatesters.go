package asc

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// BetaTestersService finds and invites TestFlight testers (resource type
// "betaTesters"). Emails are personal data: callers log them masked (see
// MaskEmail).
type BetaTestersService service

var betaTesterFields = []string{"firstName", "lastName", "email", "inviteType", "state"}

type betaTesterAttrs struct {
	FirstName  string          `json:"firstName"`
	LastName   string          `json:"lastName"`
	Email      string          `json:"email"`
	InviteType BetaInviteType  `json:"inviteType"`
	State      BetaTesterState `json:"state"`
}

func betaTesterFrom(r *Resource) (BetaTester, error) {
	var a betaTesterAttrs
	if err := r.DecodeAttributes(&a); err != nil {
		return BetaTester{}, err
	}
	return BetaTester{ID: r.ID, FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, InviteType: a.InviteType, State: a.State}, nil
}

func decodeBetaTester(doc *Document) (*BetaTester, error) {
	r, err := oneOf(doc, "betaTesters")
	if err != nil || r == nil {
		return nil, orNull(err)
	}
	bt, err := betaTesterFrom(r)
	if err != nil {
		return nil, err
	}
	return &bt, nil
}

// FindByEmail returns the team's tester with that email, or nil (no error)
// when there is none. GET /v1/betaTesters?filter[email]=…
func (s *BetaTestersService) FindByEmail(ctx context.Context, email string) (*BetaTester, *Response, error) {
	q := query{}.set("filter[email]", email).set("fields[betaTesters]", betaTesterFields...).setInt("limit", 2)
	var doc Document
	resp, err := s.client.get(ctx, "/v1/betaTesters", q, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("finding tester %s: %w", MaskEmail(email), err)
	}
	rs, err := manyOf(&doc, "betaTesters")
	if err != nil {
		return nil, resp, fmt.Errorf("finding tester %s: %w", MaskEmail(email), err)
	}
	if len(rs) == 0 {
		return nil, resp, nil
	}
	bt, err := betaTesterFrom(&rs[0])
	if err != nil {
		return nil, resp, fmt.Errorf("finding tester %s: %w", MaskEmail(email), err)
	}
	return &bt, resp, nil
}

// Get returns one tester. GET /v1/betaTesters/{id}
func (s *BetaTestersService) Get(ctx context.Context, id string) (*BetaTester, *Response, error) {
	var doc Document
	resp, err := s.client.get(ctx, "/v1/betaTesters/"+url.PathEscape(id), query{}.set("fields[betaTesters]", betaTesterFields...), &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting tester %s: %w", id, err)
	}
	bt, err := decodeBetaTester(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("getting tester %s: %w", id, err)
	}
	return bt, resp, nil
}

// BetaTesterCreate is the input of Create.
type BetaTesterCreate struct {
	Email     string
	FirstName string // optional
	LastName  string // optional
	GroupIDs  []string
}

// Create invites a new tester into the groups. Apple answers 409 when the
// email already belongs to a tester; add that tester with
// BetaGroups.AddTesters instead. POST /v1/betaTesters
func (s *BetaTestersService) Create(ctx context.Context, tc BetaTesterCreate) (*BetaTester, *Response, error) {
	attrs := map[string]any{"email": tc.Email}
	if tc.FirstName != "" {
		attrs["firstName"] = tc.FirstName
	}
	if tc.LastName != "" {
		attrs["lastName"] = tc.LastName
	}
	rels := map[string]reqRel{}
	if len(tc.GroupIDs) > 0 {
		rels["betaGroups"] = relMany(idents("betaGroups", tc.GroupIDs).Data)
	}
	body := reqDoc{Data: reqResource{Type: "betaTesters", Attributes: attrs, Relationships: rels}}
	var doc Document
	resp, err := s.client.send(ctx, http.MethodPost, "/v1/betaTesters", body, &doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating tester %s: %w", MaskEmail(tc.Email), err)
	}
	bt, err := decodeBetaTester(&doc)
	if err != nil {
		return nil, resp, fmt.Errorf("creating tester %s: %w", MaskEmail(tc.Email), err)
	}
	return bt, resp, nil
}

// MaskEmail keeps an email recognisable to its owner without writing it out
// in full: "ana.lopez@example.com" → "a***z@example.com". Logs at info level
// and audit lines use it; a string without '@' is masked whole.
func MaskEmail(email string) string {
	i := strings.LastIndex(email, "@")
	if i <= 0 {
		return "***"
	}
	local, domain := email[:i], email[i+1:]
	r := []rune(local)
	if len(r) <= 2 {
		return string(r[:1]) + "***@" + domain
	}
	return string(r[0]) + "***" + string(r[len(r)-1]) + "@" + domain
}
