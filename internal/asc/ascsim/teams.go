package ascsim

import (
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Team is a further App Store Connect team the simulator serves, beside the
// one Options.Keys and Options.IssuerID describe (whose Name is ""). An API
// key belongs to exactly one team and sees only that team's apps:
//
//   - Listing (GET /v1/apps, /v1/builds, …) returns only the team's resources.
//   - A path naming another team's resource (GET /v1/apps/{id},
//     PATCH /v1/appStoreVersions/{id}, …) answers 404 NOT_FOUND "There is no
//     resource of type 'apps' with id '…'", exactly as for an id that does
//     not exist: Apple does not reveal another team's resources. Source:
//     fastlane/fastlane issue #21345 (an id outside the key's team answered
//     "The specified resource does not exist - There is no resource of type
//     … with id …"); that it is 404 and never 403 for every resource type is
//     assumed, the stricter reading (a 403 would confirm the id exists).
//   - A request body relating to another team's resource answers what a
//     nonexistent one does: 409 ENTITY_ERROR.RELATIONSHIP.INVALID (see doc.go).
//
// Rate limits are per key (Apple's identifying-rate-limits page: "The
// limits apply per API key"), which the simulator already counts by kid.
type Team struct {
	Name     string
	IssuerID string
	Keys     map[string]*ecdsa.PublicKey
}

// keyFor returns the public key, issuer and team of kid; ok is false for an
// unknown or revoked key id.
func (s *Server) keyFor(kid string) (key *ecdsa.PublicKey, issuer, team string, ok bool) {
	if kid == "" {
		return nil, "", "", false
	}
	s.mu.Lock()
	revoked := s.revoked[kid]
	s.mu.Unlock()
	if revoked {
		return nil, "", "", false
	}
	if k, found := s.opt.Keys[kid]; found {
		return k, s.opt.IssuerID, "", true
	}
	for _, t := range s.opt.Teams {
		if k, found := t.Keys[kid]; found {
			return k, t.IssuerID, t.Name, true
		}
	}
	return nil, "", "", false
}

// RevokeKey makes every later request signed with kid answer 401
// NOT_AUTHORIZED, as Apple does for a key revoked in Users and Access
// (its tokens stop verifying; the 401 is the same as for an unknown key).
func (s *Server) RevokeKey(kid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked == nil {
		s.revoked = map[string]bool{}
	}
	s.revoked[kid] = true
}

// Teams returns the teams' names, the default team "" first.
func (s *Server) Teams() []string {
	out := []string{""}
	for _, t := range s.opt.Teams {
		out = append(out, t.Name)
	}
	return out
}

// ownerApp returns the app a resource belongs to; ok is false when the
// resource is unknown or belongs to no app (territories).
func (st *store) ownerApp(typ, id string) (string, bool) {
	switch typ {
	case tApps:
		if st.apps[id] != nil {
			return id, true
		}
	case tVersions:
		if v := st.versions[id]; v != nil {
			return v.appID, true
		}
	case tLocalizations:
		if l := st.locs[id]; l != nil {
			return st.ownerApp(tVersions, l.versionID)
		}
	case tBuilds:
		if b := st.builds[id]; b != nil {
			return b.appID, true
		}
	case tPreRelease:
		if p := st.preReleases[id]; p != nil {
			return p.appID, true
		}
	case tUploads:
		if b, ok := st.uploads[id]; ok {
			return st.ownerApp(tBuilds, b)
		}
	case tSubmissions:
		if sub := st.submissions[id]; sub != nil {
			return sub.appID, true
		}
	case tItems:
		if it := st.items[id]; it != nil {
			return st.ownerApp(tSubmissions, it.submissionID)
		}
	case tReleaseReqs:
		if r := st.releaseReqs[id]; r != nil {
			return st.ownerApp(tVersions, r.versionID)
		}
	case tPhased:
		if p := st.phased[id]; p != nil {
			return st.ownerApp(tVersions, p.versionID)
		}
	case tIAPs:
		if p := st.iaps[id]; p != nil {
			return p.appID, true
		}
	case tIAPSubs:
		if p := st.iapSubs[id]; p != nil {
			return st.ownerApp(tIAPs, p.iapID)
		}
	case tWebhooks:
		if w := st.webhooks[id]; w != nil {
			return w.appID, true
		}
	case tAvailability:
		if a := st.avail[id]; a != nil {
			return a.appID, true
		}
	case tTerritoryAv:
		if t := st.territoryAvID[id]; t != nil {
			return st.ownerApp(tAvailability, t.availID)
		}
	case tBetaDetails: // a build's beta detail has the build's id
		return st.ownerApp(tBuilds, id)
	}
	if st.beta == nil {
		return "", false
	}
	switch typ {
	case tBetaGroups:
		if g := st.beta.groups[id]; g != nil {
			return g.appID, true
		}
	case tBetaLocs:
		if l := st.beta.locs[id]; l != nil {
			return st.ownerApp(tBuilds, l.buildID)
		}
	case tBetaReviews:
		if r := st.beta.reviews[id]; r != nil {
			return st.ownerApp(tBuilds, r.buildID)
		}
	}
	// betaTesters belong to no app: a tester is a person the team invited
	// (assumed visible to the team's keys only through its groups).
	return "", false
}

// foreign reports whether the resource belongs to an app of a team other
// than team. Unknown resources are not foreign (the handler answers them).
func (st *store) foreign(team, typ, id string) bool {
	appID, ok := st.ownerApp(typ, id)
	if !ok {
		return false
	}
	a := st.apps[appID]
	return a != nil && a.team != team
}

// checkTeam refuses a request that names another team's resource in its
// path (404, as for a resource that does not exist) or relates to one in
// its body (409 ENTITY_ERROR.RELATIONSHIP.INVALID, likewise). Held: s.mu.
func (s *Server) checkTeam(c *reqCtx) *apiError {
	tsegs := strings.Split(strings.Trim(c.op.Path, "/"), "/")
	if len(tsegs) >= 3 && tsegs[2] == "{id}" && c.id != "" && s.st.foreign(c.team, tsegs[1], c.id) {
		return notFound(tsegs[1], c.id)
	}
	if c.body == nil {
		return nil
	}
	for _, m := range c.body.Many {
		if s.st.foreign(c.team, m.Type, m.ID) {
			return relInvalid(fmt.Sprintf("There is no resource of type '%s' with id '%s'", m.Type, m.ID), "/data")
		}
	}
	names := make([]string, 0, len(c.body.Data.Relationships))
	for name := range c.body.Data.Relationships {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := c.body.Data.Relationships[name].Data
		var idents []inIdent
		var one inIdent
		if json.Unmarshal(raw, &one) == nil && one.ID != "" {
			idents = []inIdent{one}
		} else {
			_ = json.Unmarshal(raw, &idents)
		}
		for _, r := range idents {
			if s.st.foreign(c.team, r.Type, r.ID) {
				return relInvalid(fmt.Sprintf("There is no resource of type '%s' with id '%s'", r.Type, r.ID), "/data/relationships/"+name)
			}
		}
	}
	return nil
}

// visible drops the refs of another team's resources from a collection.
// Held: s.mu.
func (s *Server) visible(c *reqCtx, refs []ref) []ref {
	kept := refs[:0:0]
	for _, r := range refs {
		if !s.st.foreign(c.team, r.typ, r.id) {
			kept = append(kept, r)
		}
	}
	return kept
}
