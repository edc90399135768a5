package ascsim

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults for paging.
const (
	defaultLimit    = 20
	defaultRelLimit = 10
)

// pacific is the fixed offset used for dates, like Apple's "-07:00" stamps.
var pacific = time.FixedZone("PDT", -7*3600)

func fmtTime(t time.Time) string { return t.In(pacific).Format(time.RFC3339) }

func fmtTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtTime(*t)
}

func ptrVal[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// inDoc is a decoded request document (already validated by CheckBody).
type inDoc struct {
	Data     inRes
	Many     []inIdent // data of a to-many linkage request
	Included []inRes
}

type inRes struct {
	Type          string                     `json:"type"`
	ID            string                     `json:"id"`
	Attributes    map[string]json.RawMessage `json:"attributes"`
	Relationships map[string]inRel           `json:"relationships"`
}

type inRel struct {
	Data json.RawMessage `json:"data"`
}

type inIdent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func parseDoc(body []byte) (*inDoc, error) {
	var raw struct {
		Data     json.RawMessage `json:"data"`
		Included []inRes         `json:"included"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	d := &inDoc{Included: raw.Included}
	if err := json.Unmarshal(raw.Data, &d.Data); err != nil {
		if err := json.Unmarshal(raw.Data, &d.Many); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// attr reports whether the attribute is present, and decodes it into v
// (left untouched for JSON null).
func (r *inRes) attr(name string, v any) (present, null bool) {
	raw, ok := r.Attributes[name]
	if !ok {
		return false, false
	}
	if strings.TrimSpace(string(raw)) == "null" {
		return true, true
	}
	_ = json.Unmarshal(raw, v)
	return true, false
}

// rel returns a to-one relationship's target id ("" when absent or null).
func (r *inRes) rel(name string) (id string, present bool) {
	rr, ok := r.Relationships[name]
	if !ok {
		return "", false
	}
	var ident inIdent
	_ = json.Unmarshal(rr.Data, &ident)
	return ident.ID, true
}

// relMany returns a to-many relationship's target ids.
func (r *inRes) relMany(name string) []string {
	rr, ok := r.Relationships[name]
	if !ok {
		return nil
	}
	var ids []inIdent
	_ = json.Unmarshal(rr.Data, &ids)
	out := make([]string, 0, len(ids))
	for _, i := range ids {
		out = append(out, i.ID)
	}
	return out
}

// ref points at a modelled resource.
type ref struct{ typ, id string }

// relv is a modelled relationship's linkage.
type relv struct {
	many bool
	refs []ref
}

// view is a generic projection of a model object used for filtering,
// sorting and rendering.
type view struct {
	typ, id string
	attrs   map[string]any
	rels    map[string]relv
}

func one(typ, id string) relv {
	if id == "" {
		return relv{}
	}
	return relv{refs: []ref{{typ, id}}}
}

func many(typ string, ids []string) relv {
	out := relv{many: true, refs: make([]ref, 0, len(ids))}
	for _, id := range ids {
		out.refs = append(out.refs, ref{typ, id})
	}
	return out
}

// scalar renders an attribute value for filter comparison.
func scalar(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []string{x}
	case bool:
		return []string{strconv.FormatBool(x)}
	case int:
		return []string{strconv.Itoa(x)}
	case []string:
		return x
	}
	return nil
}

// matches applies one filter[name]=vals to a view. Names are an attribute,
// "id", a relationship (matching related ids) or "rel.attr" (matching an
// attribute of any related resource). Unmodelled names match nothing.
func (s *Server) matches(v *view, name string, vals []string) bool {
	if name == "id" {
		return hasString(vals, v.id)
	}
	if a, ok := v.attrs[name]; ok {
		for _, x := range scalar(a) {
			if hasString(vals, x) {
				return true
			}
		}
		return false
	}
	if rv, ok := v.rels[name]; ok {
		for _, r := range rv.refs {
			if hasString(vals, r.id) {
				return true
			}
		}
		return false
	}
	if rel, attr, ok := strings.Cut(name, "."); ok {
		rv, ok := v.rels[rel]
		if !ok {
			return false
		}
		for _, r := range rv.refs {
			if sub := s.view(r); sub != nil && s.matches(sub, attr, vals) {
				return true
			}
		}
	}
	return false
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// lessValue orders attribute values: numbers numerically, dotted versions by
// component, everything else as strings; nil sorts first.
func lessValue(a, b any) int {
	as, bs := scalar(a), scalar(b)
	if len(as) == 0 || len(bs) == 0 {
		return len(as) - len(bs)
	}
	x, y := as[0], bs[0]
	if isVersionish(x) && isVersionish(y) {
		return compareVersions(x, y)
	}
	return strings.Compare(x, y)
}

func isVersionish(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

func encodeCursor(off int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(off)))
}

func decodeCursor(s string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), "o:") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// modelSchema is the response schema the simulator renders for each type.
// It equals the spec's included schema everywhere but one place: the spec's
// AppsResponse/AppResponse list only the v1 InAppPurchase schema for type
// inAppPurchases, while include=inAppPurchasesV2 returns InAppPurchaseV2
// objects (same type name), which is what the simulator renders.
var modelSchema = map[string]string{
	tApps: "App", tVersions: "AppStoreVersion", tLocalizations: "AppStoreVersionLocalization", tBuilds: "Build",
	tPreRelease: "PrereleaseVersion", tUploads: "BuildUpload", tSubmissions: "ReviewSubmission", tItems: "ReviewSubmissionItem",
	tReleaseReqs: "AppStoreVersionReleaseRequest", tPhased: "AppStoreVersionPhasedRelease", tTerritories: "Territory",
	tAvailability: "AppAvailabilityV2", tTerritoryAv: "TerritoryAvailability", tIAPs: "InAppPurchaseV2",
	tIAPSubs: "InAppPurchaseSubmission", tWebhooks: "Webhook",
	tBetaGroups: "BetaGroup", tBetaTesters: "BetaTester", tBetaDetails: "BuildBetaDetail", tBetaLocs: "BetaBuildLocalization",
	tBetaReviews: "BetaAppReviewSubmission", tBetaAppLocs: "BetaAppLocalization",
}

// renderer renders views into JSON:API resource objects for one request.
type renderer struct {
	s        *Server
	c        *reqCtx
	fields   map[string]map[string]bool
	include  map[string]bool
	relLimit map[string]int
	included []map[string]any
	seen     map[string]bool
}

func (s *Server) renderer(c *reqCtx) *renderer {
	rd := &renderer{s: s, c: c, fields: map[string]map[string]bool{}, include: map[string]bool{}, relLimit: map[string]int{}, seen: map[string]bool{}}
	for k, vals := range c.query {
		if len(vals) == 0 {
			continue
		}
		switch {
		case strings.HasPrefix(k, "fields["):
			set := map[string]bool{}
			for _, f := range splitList(vals[0]) {
				set[f] = true
			}
			rd.fields[strings.TrimSuffix(strings.TrimPrefix(k, "fields["), "]")] = set
		case k == "include":
			for _, f := range splitList(vals[0]) {
				rd.include[f] = true
			}
		case strings.HasPrefix(k, "limit["):
			n, _ := strconv.Atoi(vals[0])
			rd.relLimit[strings.TrimSuffix(strings.TrimPrefix(k, "limit["), "]")] = n
		}
	}
	return rd
}

func expand(tmpl, id string) string {
	return strings.Replace(tmpl, "{id}", url.PathEscape(id), 1)
}

// object renders v with the resource schema schemaName. Relationships named
// in include (primary resources only) get data and add to included.
func (rd *renderer) object(v *view, schemaName string, primary bool) map[string]any {
	res, ok := rd.s.spec.Resource(schemaName)
	obj := map[string]any{"type": v.typ, "id": v.id}
	if !ok {
		return obj
	}
	fset := rd.fields[v.typ]
	attrs := map[string]any{}
	for name := range res.Attributes {
		if fset != nil && !fset[name] {
			continue
		}
		attrs[name] = v.attrs[name]
	}
	if len(attrs) > 0 {
		obj["attributes"] = attrs
	}
	rels := map[string]any{}
	for name, rr := range res.Relationships {
		if fset != nil && !fset[name] {
			continue
		}
		ro := map[string]any{}
		if rr.Links {
			links := map[string]string{}
			if rr.Self != "" {
				links["self"] = rd.c.base + expand(rr.Self, v.id)
			}
			if rr.Related != "" {
				links["related"] = rd.c.base + expand(rr.Related, v.id)
			}
			if len(links) > 0 {
				ro["links"] = links
			}
		}
		rv, modelled := v.rels[name]
		included := primary && rd.include[name]
		if included || (!rr.Links && rr.Data && modelled) {
			refs := rv.refs
			if rr.Many {
				limit := defaultRelLimit
				if n, ok := rd.relLimit[name]; ok {
					limit = n
				}
				total := len(refs)
				if len(refs) > limit {
					refs = refs[:limit]
				}
				data := make([]map[string]string, 0, len(refs))
				for _, r := range refs {
					data = append(data, map[string]string{"type": r.typ, "id": r.id})
				}
				ro["data"] = data
				if rr.Meta {
					ro["meta"] = map[string]any{"paging": map[string]any{"total": total, "limit": limit}}
				}
			} else if len(refs) > 0 {
				ro["data"] = map[string]string{"type": refs[0].typ, "id": refs[0].id}
			} else {
				ro["data"] = nil
			}
			if included {
				for _, r := range refs {
					rd.addIncluded(r)
				}
			}
		}
		if len(ro) > 0 {
			rels[name] = ro
		}
	}
	if len(rels) > 0 {
		obj["relationships"] = rels
	}
	if res.SelfPath != "" {
		obj["links"] = map[string]string{"self": rd.c.base + expand(res.SelfPath, v.id)}
	}
	return obj
}

func (rd *renderer) addIncluded(r ref) {
	key := r.typ + "/" + r.id
	if rd.seen[key] {
		return
	}
	rd.seen[key] = true
	schema := modelSchema[r.typ]
	if schema == "" || rd.c.op.Response == nil || rd.c.op.Response.Included[r.typ] == "" {
		return
	}
	v := rd.s.view(r)
	if v == nil || schema == "" {
		return
	}
	rd.included = append(rd.included, rd.object(v, schema, false))
}

func (rd *renderer) primarySchema() string {
	if rd.c.op.Response == nil {
		return ""
	}
	return rd.c.op.Response.Schema
}

// document is a JSON:API top-level document.
type document struct {
	Data     any               `json:"data"`
	Included []map[string]any  `json:"included,omitempty"`
	Links    map[string]string `json:"links"`
	Meta     any               `json:"meta,omitempty"`
}

// single renders one resource (or null) as a document.
func (s *Server) single(c *reqCtx, r *ref) *document {
	rd := s.renderer(c)
	doc := &document{Links: map[string]string{"self": c.self}}
	if r == nil {
		return doc
	}
	v := s.view(*r)
	if v == nil {
		return doc
	}
	doc.Data = rd.object(v, rd.primarySchema(), true)
	doc.Included = rd.included
	if c.r.Method != "GET" {
		// Apple's create/update answers point links.self at the resource.
		if res, ok := s.spec.Resource(rd.primarySchema()); ok && res.SelfPath != "" {
			doc.Links["self"] = c.base + expand(res.SelfPath, r.id)
		}
	}
	return doc
}

// collection filters, sorts, pages and renders refs as a document.
func (s *Server) collection(c *reqCtx, refs []ref) (*document, *apiError) {
	refs = s.visible(c, refs)
	views := make([]*view, 0, len(refs))
	for _, r := range refs {
		if v := s.view(r); v != nil {
			views = append(views, v)
		}
	}
	keys := make([]string, 0, len(c.query))
	for k := range c.query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vals := splitList(c.query[k][0])
		switch {
		case strings.HasPrefix(k, "filter["):
			name := strings.TrimSuffix(strings.TrimPrefix(k, "filter["), "]")
			kept := views[:0]
			for _, v := range views {
				if s.matches(v, name, vals) {
					kept = append(kept, v)
				}
			}
			views = kept
		case strings.HasPrefix(k, "exists["):
			name := strings.TrimSuffix(strings.TrimPrefix(k, "exists["), "]")
			want := c.query[k][0] == "true"
			kept := views[:0]
			for _, v := range views {
				has := v.attrs[name] != nil
				if rv, ok := v.rels[name]; ok {
					has = len(rv.refs) > 0
				}
				if has == want {
					kept = append(kept, v)
				}
			}
			views = kept
		}
	}
	if sv, ok := c.query["sort"]; ok {
		keys := splitList(sv[0])
		sort.SliceStable(views, func(i, j int) bool {
			for _, k := range keys {
				desc := strings.HasPrefix(k, "-")
				name := strings.TrimPrefix(k, "-")
				cmp := lessValue(views[i].attrs[name], views[j].attrs[name])
				if cmp == 0 {
					continue
				}
				if desc {
					return cmp > 0
				}
				return cmp < 0
			}
			return false
		})
	}
	limit := defaultLimit
	if lv, ok := c.query["limit"]; ok {
		limit, _ = strconv.Atoi(lv[0])
	}
	off := 0
	if cv, ok := c.query["cursor"]; ok {
		n, valid := decodeCursor(cv[0])
		if !valid {
			e := apiErr(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "'"+cv[0]+"' is not a valid cursor for this request")
			e.items[0].Source = &errSource{Parameter: "cursor"}
			return nil, e
		}
		off = n
	}
	total := len(views)
	page := views[min(off, total):min(off+limit, total)]
	rd := s.renderer(c)
	data := make([]map[string]any, 0, len(page))
	for _, v := range page {
		data = append(data, rd.object(v, rd.primarySchema(), true))
	}
	paging := map[string]any{"total": total, "limit": limit}
	doc := &document{Data: data, Included: rd.included, Links: map[string]string{"self": c.self}}
	if off+limit < total {
		next := encodeCursor(off + limit)
		paging["nextCursor"] = next
		q := url.Values{}
		for k, v := range c.query {
			q[k] = v
		}
		q.Set("cursor", next)
		q.Set("limit", strconv.Itoa(limit))
		enc := strings.NewReplacer("%5B", "[", "%5D", "]", "%2C", ",").Replace(q.Encode())
		doc.Links["next"] = c.base + c.r.URL.Path + "?" + enc
	}
	doc.Meta = map[string]any{"paging": paging}
	return doc, nil
}
