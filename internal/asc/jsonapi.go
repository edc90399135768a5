package asc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Document is a JSON:API response document as App Store Connect sends it.
// Data stays raw because it is one resource, an array, or null depending on
// the endpoint; use One or Many.
type Document struct {
	Data     json.RawMessage `json:"data"`
	Included []Resource      `json:"included,omitempty"`
	Links    DocumentLinks   `json:"links"`
	Meta     *DocumentMeta   `json:"meta,omitempty"`
}

// DocumentLinks is PagedDocumentLinks (self, first, next).
type DocumentLinks struct {
	Self  string `json:"self,omitempty"`
	First string `json:"first,omitempty"`
	Next  string `json:"next,omitempty"`
}

// DocumentMeta is PagingInformation.
type DocumentMeta struct {
	Paging *Paging `json:"paging,omitempty"`
}

// Paging is meta.paging of a collection response.
type Paging struct {
	Total      int    `json:"total"`
	Limit      int    `json:"limit"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// Resource is a JSON:API resource object.
type Resource struct {
	Type          string                  `json:"type"`
	ID            string                  `json:"id"`
	Attributes    json.RawMessage         `json:"attributes,omitempty"`
	Relationships map[string]Relationship `json:"relationships,omitempty"`
	Links         map[string]any          `json:"links,omitempty"`
}

// Relationship is one entry of a resource's relationships. Data is only
// present when the server sent a linkage (usually when the relationship was
// in include=).
type Relationship struct {
	Data  Linkage         `json:"data"`
	Links map[string]any  `json:"links,omitempty"`
	Meta  json.RawMessage `json:"meta,omitempty"`
}

// ResourceIdentifier is a linkage entry {type, id}.
type ResourceIdentifier struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Linkage is a relationship's data: absent, null, one identifier or many.
type Linkage struct {
	// Present is true when the "data" member was in the document (even null).
	Present bool
	// IsMany is true for a to-many linkage (a JSON array).
	IsMany bool
	One    *ResourceIdentifier
	Many   []ResourceIdentifier
}

// UnmarshalJSON decodes null, an object or an array.
func (l *Linkage) UnmarshalJSON(b []byte) error {
	*l = Linkage{Present: true}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '[':
		l.IsMany = true
		return json.Unmarshal(b, &l.Many)
	default:
		var id ResourceIdentifier
		if err := json.Unmarshal(b, &id); err != nil {
			return err
		}
		l.One = &id
		return nil
	}
}

// MarshalJSON encodes the linkage back (null when empty).
func (l Linkage) MarshalJSON() ([]byte, error) {
	switch {
	case l.IsMany:
		if l.Many == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(l.Many)
	case l.One != nil:
		return json.Marshal(l.One)
	default:
		return []byte("null"), nil
	}
}

// IDs returns the linked ids (zero, one or many).
func (l Linkage) IDs() []string {
	if l.One != nil {
		return []string{l.One.ID}
	}
	ids := make([]string, 0, len(l.Many))
	for _, m := range l.Many {
		ids = append(ids, m.ID)
	}
	return ids
}

// isNull reports whether data is absent or JSON null.
func isNull(data json.RawMessage) bool {
	d := bytes.TrimSpace(data)
	return len(d) == 0 || bytes.Equal(d, []byte("null"))
}

// One decodes Data as a single resource; it returns nil, nil for null data.
func (d *Document) One() (*Resource, error) {
	if isNull(d.Data) {
		return nil, nil
	}
	var r Resource
	if err := json.Unmarshal(d.Data, &r); err != nil {
		return nil, fmt.Errorf("decoding data: %w", err)
	}
	return &r, nil
}

// Many decodes Data as an array of resources (null gives none).
func (d *Document) Many() ([]Resource, error) {
	if isNull(d.Data) {
		return nil, nil
	}
	var rs []Resource
	if err := json.Unmarshal(d.Data, &rs); err != nil {
		return nil, fmt.Errorf("decoding data: %w", err)
	}
	return rs, nil
}

// FindIncluded returns the included resource with that type and id.
func (d *Document) FindIncluded(typ, id string) *Resource {
	for i := range d.Included {
		if d.Included[i].Type == typ && d.Included[i].ID == id {
			return &d.Included[i]
		}
	}
	return nil
}

// IncludedOfType returns the included resources of one type, in document order.
func (d *Document) IncludedOfType(typ string) []Resource {
	var out []Resource
	for _, r := range d.Included {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Rel returns the named relationship's single linked id, or "".
func (r *Resource) Rel(name string) string {
	rel, ok := r.Relationships[name]
	if !ok || rel.Data.One == nil {
		return ""
	}
	return rel.Data.One.ID
}

// RelIDs returns the named relationship's linked ids (nil when absent).
func (r *Resource) RelIDs(name string) []string {
	rel, ok := r.Relationships[name]
	if !ok || !rel.Data.Present {
		return nil
	}
	return rel.Data.IDs()
}

// DecodeAttributes unmarshals the attributes object into v (no-op when absent).
func (r *Resource) DecodeAttributes(v any) error {
	if isNull(r.Attributes) {
		return nil
	}
	if err := json.Unmarshal(r.Attributes, v); err != nil {
		return fmt.Errorf("decoding %s %s attributes: %w", r.Type, r.ID, err)
	}
	return nil
}

// oneOf decodes a single-resource document and checks its type; nil for null.
func oneOf(doc *Document, typ string) (*Resource, error) {
	r, err := doc.One()
	if err != nil || r == nil {
		return r, err
	}
	if r.Type != "" && r.Type != typ {
		return nil, fmt.Errorf("decoding data: resource type %q, want %q", r.Type, typ)
	}
	return r, nil
}

// manyOf decodes a collection document, keeping only resources of typ.
func manyOf(doc *Document, typ string) ([]Resource, error) {
	rs, err := doc.Many()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(rs, func(r Resource) bool { return r.Type != "" && r.Type != typ }), nil
}

// ---- request bodies ----

// reqDoc is a request document: data plus optional inline-created includes.
type reqDoc struct {
	Data     reqResource   `json:"data"`
	Included []reqResource `json:"included,omitempty"`
}

// reqResource is a resource object in a request body.
type reqResource struct {
	Type          string            `json:"type"`
	ID            string            `json:"id,omitempty"`
	Attributes    map[string]any    `json:"attributes,omitempty"`
	Relationships map[string]reqRel `json:"relationships,omitempty"`
}

// reqRel is a relationship in a request body.
type reqRel struct {
	Data any `json:"data"`
}

// relOne is a to-one relationship linkage.
func relOne(typ, id string) reqRel { return reqRel{Data: ResourceIdentifier{Type: typ, ID: id}} }

// relMany is a to-many relationship linkage.
func relMany(ids []ResourceIdentifier) reqRel {
	if ids == nil {
		ids = []ResourceIdentifier{}
	}
	return reqRel{Data: ids}
}

// ---- query builder ----

// query holds query parameters. Array parameters are encoded the way the spec
// declares them (style form, explode false): one key, values comma-separated,
// e.g. filter[state]=READY_FOR_REVIEW,WAITING_FOR_REVIEW. Brackets and the
// separating commas are left unescaped; everything else is query-escaped.
type query map[string][]string

// set sets key to the non-empty values; with none left the key is removed.
func (q query) set(key string, vals ...string) query {
	vals = slices.DeleteFunc(slices.Clone(vals), func(s string) bool { return s == "" })
	if len(vals) == 0 {
		delete(q, key)
		return q
	}
	q[key] = vals
	return q
}

// setInt sets key to n when n > 0.
func (q query) setInt(key string, n int) query {
	if n <= 0 {
		delete(q, key)
		return q
	}
	q[key] = []string{strconv.Itoa(n)}
	return q
}

// encode renders the query sorted by key, without a leading '?'.
func (q query) encode() string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escapeQuery(k))
		b.WriteByte('=')
		for j, v := range q[k] {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(escapeQuery(v))
		}
	}
	return b.String()
}

// escapeQuery query-escapes s but keeps '[' and ']' literal, as Apple's
// documentation writes filter[...] parameters.
func escapeQuery(s string) string {
	e := url.QueryEscape(s)
	if strings.Contains(e, "%5") {
		e = strings.NewReplacer("%5B", "[", "%5D", "]").Replace(e)
	}
	return e
}

// strs converts a slice of string-kinded values.
func strs[T ~string](xs []T) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, string(x))
	}
	return out
}

// ---- lenient time ----

// timeLayouts are the date forms accepted in responses and webhooks.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// looseTime is a time that decodes leniently: an unparseable or empty value
// leaves it nil instead of failing the whole document.
type looseTime struct{ t *time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (lt *looseTime) UnmarshalJSON(b []byte) error {
	lt.t = nil
	var s string
	if err := json.Unmarshal(b, &s); err != nil || s == "" {
		return nil
	}
	lt.t = parseTime(s)
	return nil
}

// parseTime tries each accepted layout; nil when none fits.
func parseTime(s string) *time.Time {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return &t
		}
	}
	return nil
}
