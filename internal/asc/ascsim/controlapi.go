package ascsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

type stateBody struct {
	State string `json:"state"`
}

func (s *Server) controlMux() *http.ServeMux {
	mux := http.NewServeMux()
	withState := func(f func(id, state string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var b stateBody
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.State == "" {
				controlJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"state\":\"…\"}"})
				return
			}
			controlResult(w, f(r.PathValue("id"), b.State))
		}
	}
	withID := func(f func(id string) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { controlResult(w, f(r.PathValue("id"))) }
	}
	mux.HandleFunc("GET /_sim/apps", func(w http.ResponseWriter, r *http.Request) { controlJSON(w, http.StatusOK, s.snapshot()) })
	mux.HandleFunc("POST /_sim/seed-demo", func(w http.ResponseWriter, r *http.Request) { controlJSON(w, http.StatusOK, s.SeedDemo()) })
	mux.HandleFunc("POST /_sim/versions/{id}/start-review", withID(s.StartReview))
	mux.HandleFunc("POST /_sim/versions/{id}/approve", withID(s.Approve))
	mux.HandleFunc("POST /_sim/versions/{id}/distribute", withID(s.Distribute))
	mux.HandleFunc("POST /_sim/versions/{id}/phased-day", withID(s.AdvancePhasedDay))
	mux.HandleFunc("POST /_sim/versions/{id}/reject", withState(s.Reject))
	mux.HandleFunc("POST /_sim/versions/{id}/state", withState(s.SetVersionState))
	mux.HandleFunc("POST /_sim/builds/{id}/state", withState(s.SetBuildState))
	mux.HandleFunc("POST /_sim/submissions/{id}/state", withState(s.SetSubmissionState))
	mux.HandleFunc("POST /_sim/builds/{id}/beta-review/start", withID(s.StartBetaReview))
	mux.HandleFunc("POST /_sim/builds/{id}/beta-review/approve", withID(s.ApproveBetaReview))
	mux.HandleFunc("POST /_sim/builds/{id}/beta-review/reject", withID(s.RejectBetaReview))
	mux.HandleFunc("POST /_sim/builds/{id}/expire", withID(s.ExpireBuild))
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f struct {
			Method, PathPrefix, Code string
			Status, Count            int
			RetryAfterSeconds        int
		}
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil || f.Status < 400 {
			controlJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a fault with Status >= 400"})
			return
		}
		s.InjectFault(Fault{Method: f.Method, PathPrefix: f.PathPrefix, Status: f.Status, Count: f.Count, Code: f.Code,
			RetryAfter: time.Duration(f.RetryAfterSeconds) * time.Second})
		controlJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /_sim/latency", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			MS int `json:"ms"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.MS < 0 {
			controlJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"ms\":N}"})
			return
		}
		s.SetLatency(time.Duration(b.MS) * time.Millisecond)
		controlJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /_sim/tick", func(w http.ResponseWriter, r *http.Request) {
		s.Tick()
		controlJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	return mux
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	s.ctrl.ServeHTTP(w, r)
}

func controlResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		controlJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.Is(err, ErrNotFound):
		controlJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errors.Is(err, ErrInvalidState):
		controlJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	default:
		controlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// appSnapshot is the control API's view of one app.
type appSnapshot struct {
	ID, Name, BundleID string
	Versions           []VersionView
	Builds             []BuildView
	Submissions        []SubmissionView
}

func (s *Server) snapshot() []appSnapshot {
	s.mu.Lock()
	apps := sortedBySeq(s.st.apps, func(a *app) int { return a.seq })
	var out []appSnapshot
	type ids struct{ versions, builds []string }
	all := map[string]ids{}
	for _, a := range apps {
		out = append(out, appSnapshot{ID: a.id, Name: a.name, BundleID: a.bundleID})
		var x ids
		for _, v := range s.st.appVersions(a.id, "") {
			x.versions = append(x.versions, v.id)
		}
		for _, b := range sortedBySeq(s.st.builds, func(b *build) int { return b.seq }) {
			if b.appID == a.id {
				x.builds = append(x.builds, b.id)
			}
		}
		all[a.id] = x
	}
	s.mu.Unlock()
	for i := range out {
		for _, id := range all[out[i].ID].versions {
			v, _ := s.Version(id)
			out[i].Versions = append(out[i].Versions, v)
		}
		for _, id := range all[out[i].ID].builds {
			b, _ := s.Build(id)
			out[i].Builds = append(out[i].Builds, b)
		}
		out[i].Submissions = s.Submissions(out[i].ID)
	}
	return out
}
