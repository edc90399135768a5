// Package ascspec loads Apple's App Store Connect OpenAPI document and answers
// the questions a strict simulator (and conformance tests) need: which
// operations exist, which query parameters each declares (with enums and
// maxima), what each request body may contain, and which enums the spec
// declares.
//
// Two sources exist. Load/LoadFile read the full spec (asc-openapi.json,
// 3.4 MB); Embedded returns a compact subset compiled into the binary
// (ops.json, generated from the full spec by ./gen, never hand-edited) that
// holds only the operations the simulator serves. Both answer identically for
// those operations.
package ascspec

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// EnvSpecPath names the environment variable that overrides where FindFile
// looks for the full spec.
const EnvSpecPath = "ASC_OPENAPI_SPEC"

// CursorParam is the paging parameter Apple puts in links.next. The 4.4.1 spec
// declares it on no operation (it declares only limit); Apple's next links
// carry it anyway, so CheckQuery accepts it on every operation that declares
// limit (a paged collection) and nowhere else.
const CursorParam = "cursor"

// ErrSpecNotFound is returned by FindFile when no spec file can be located.
var ErrSpecNotFound = errors.New("asc openapi spec not found")

// Spec is a compiled view of the OpenAPI document.
type Spec struct {
	raw    *rawDoc // full documents only; nil for the embedded subset
	data   specData
	ops    map[string]*Operation // "METHOD path"
	bySegs map[int][]*template
}

// specData is the serialisable content of a Spec; ops.json is this struct.
type specData struct {
	Version     string                         `json:"version"`
	Operations  []*Operation                   `json:"operations"`
	Enums       map[string][]string            `json:"enums"`
	SchemaEnums map[string]map[string][]string `json:"schemaEnums,omitempty"`
	Resources   map[string]*Resource           `json:"resources"`
	// Paths lists every path template with the methods it declares. Kept so
	// that a subset can still tell "wrong method" from "no such path".
	Paths map[string][]string `json:"paths"`
}

// Operation is one method on one path template.
type Operation struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	ID     string `json:"id"`
	// Query holds every declared query parameter by name.
	Query map[string]Param `json:"query,omitempty"`
	// Body is the request body schema (nil when the operation takes none).
	Body *BodySchema `json:"body,omitempty"`
	// Response describes the success document (nil for 204 operations).
	Response *Response `json:"response,omitempty"`
	// Success is the declared 2xx status (200, 201 or 204).
	Success int `json:"success"`
}

// Param is a declared query parameter.
type Param struct {
	Name     string   `json:"name"`
	Type     string   `json:"type,omitempty"` // string, integer, boolean (of the items when Array)
	Enum     []string `json:"enum,omitempty"`
	Array    bool     `json:"array,omitempty"`
	Required bool     `json:"required,omitempty"`
	Max      int      `json:"max,omitempty"`
}

// BodySchema is the compiled shape of a JSON:API request document's data
// member (or of one inline-created resource in included).
type BodySchema struct {
	// Type is the only allowed data.type value.
	Type string `json:"type"`
	// Linkage is true when data is a resource identifier (relationship
	// endpoints); Many when it is an array of them.
	Linkage bool `json:"linkage,omitempty"`
	Many    bool `json:"many,omitempty"`
	// HasID says whether data.id is declared at all; IDRequired whether it must
	// be present.
	HasID      bool `json:"hasId,omitempty"`
	IDRequired bool `json:"idRequired,omitempty"`
	// AttributesRequired / RelationshipsRequired: the member itself is required.
	AttributesRequired    bool                 `json:"attributesRequired,omitempty"`
	RelationshipsRequired bool                 `json:"relationshipsRequired,omitempty"`
	Attributes            map[string]Field     `json:"attributes,omitempty"`
	Relationships         map[string]RelSchema `json:"relationships,omitempty"`
	RequiredAttributes    []string             `json:"requiredAttributes,omitempty"`
	RequiredRelationships []string             `json:"requiredRelationships,omitempty"`
	// Included maps a data.type to the schema of resources that may be created
	// inline in the top-level included array.
	Included map[string]*BodySchema `json:"included,omitempty"`
}

// Field is an attribute's schema.
type Field struct {
	Type     string   `json:"type"` // string, boolean, integer, number, array, object
	Format   string   `json:"format,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Nullable bool     `json:"nullable,omitempty"`
	// Items is the element schema of an array field.
	Items *Field `json:"items,omitempty"`
}

// RelSchema is a relationship in a request body.
type RelSchema struct {
	Type string `json:"type"` // allowed linkage data.type
	Many bool   `json:"many,omitempty"`
	// DataRequired: the relationship object must carry data.
	DataRequired bool `json:"dataRequired,omitempty"`
}

// Response describes a success document.
type Response struct {
	// Schema is the component name of the primary resource (e.g.
	// "AppStoreVersion"); empty for linkage responses.
	Schema string `json:"schema,omitempty"`
	Many   bool   `json:"many,omitempty"`
	// Linkage is true when data holds resource identifiers only.
	Linkage bool `json:"linkage,omitempty"`
	// Included maps an included resource type to its component schema name.
	Included map[string]string `json:"included,omitempty"`
}

// Resource describes a resource object schema (as returned in responses).
type Resource struct {
	Name          string                 `json:"name"`
	Type          string                 `json:"type"`
	Attributes    map[string]Field       `json:"attributes,omitempty"`
	Relationships map[string]ResourceRel `json:"relationships,omitempty"`
	// SelfPath is the instance path template (e.g. /v1/apps/{id}) used for
	// links.self, when the spec has one.
	SelfPath string `json:"selfPath,omitempty"`
}

// ResourceRel is one relationship of a response resource.
type ResourceRel struct {
	Type string `json:"type,omitempty"` // empty when the relationship is links-only
	Many bool   `json:"many,omitempty"`
	// Links says the schema declares relationship links; Self and Related are
	// the path templates that exist in the spec for them.
	Links   bool   `json:"links,omitempty"`
	Self    string `json:"self,omitempty"`
	Related string `json:"related,omitempty"`
	// Data says the schema declares a data member; Meta a paging meta member.
	Data bool `json:"data,omitempty"`
	Meta bool `json:"meta,omitempty"`
}

// Version returns info.version of the spec.
func (s *Spec) Version() string { return s.data.Version }

// Operations returns every operation, sorted by path then method.
func (s *Spec) Operations() []*Operation {
	out := make([]*Operation, len(s.data.Operations))
	copy(out, s.data.Operations)
	return out
}

// Resource returns the response resource schema with that component name.
func (s *Spec) Resource(schemaName string) (*Resource, bool) {
	r, ok := s.data.Resources[schemaName]
	return r, ok
}

// Enum returns a component enum's values (e.g. "AppVersionState"), or nil.
func (s *Spec) Enum(schemaName string) []string {
	v := s.data.Enums[schemaName]
	if v == nil {
		return nil
	}
	return append([]string(nil), v...)
}

// SchemaEnum returns the enum of a property inside a component schema, found
// by a dotted property path, e.g. SchemaEnum("ReviewSubmission",
// "attributes.state"). Referenced enums are resolved, and for arrays the
// items' enum is returned. nil when the path has no enum.
func (s *Spec) SchemaEnum(schemaName, path string) []string {
	if s.raw != nil {
		return (&compiler{doc: s.raw}).schemaEnum(schemaName, path)
	}
	v := s.data.SchemaEnums[schemaName][path]
	if v == nil {
		return nil
	}
	return append([]string(nil), v...)
}

// Methods returns the methods the spec declares on a path template.
func (s *Spec) Methods(pathTemplate string) []string {
	return append([]string(nil), s.data.Paths[pathTemplate]...)
}

// MatchPath returns the path template that a concrete path matches (a literal
// segment beats a template segment, leftmost first), regardless of method.
func (s *Spec) MatchPath(path string) (string, bool) {
	t := s.match(path, "")
	if t == nil {
		return "", false
	}
	return t.path, true
}

// Operation finds the operation for a method and a concrete path such as
// /v1/apps/123/appStoreVersions. Among templates that declare the method, a
// literal segment beats a template segment (leftmost difference wins).
func (s *Spec) Operation(method, path string) (*Operation, bool) {
	method = strings.ToUpper(method)
	t := s.match(path, method)
	if t == nil {
		return nil, false
	}
	op, ok := s.ops[method+" "+t.path]
	return op, ok
}

type template struct {
	path    string
	segs    []string
	literal []bool
	methods map[string]bool
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func (s *Spec) match(path, method string) *template {
	segs := splitPath(path)
	var best *template
	for _, t := range s.bySegs[len(segs)] {
		if method != "" && !t.methods[method] {
			continue
		}
		ok := true
		for i, seg := range t.segs {
			if t.literal[i] && seg != segs[i] {
				ok = false
				break
			}
			if !t.literal[i] && segs[i] == "" {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		if best == nil || moreLiteral(t, best) {
			best = t
		}
	}
	return best
}

// moreLiteral reports whether a beats b: at the leftmost segment where they
// differ in kind, a is literal.
func moreLiteral(a, b *template) bool {
	for i := range a.literal {
		if a.literal[i] != b.literal[i] {
			return a.literal[i]
		}
	}
	return a.path < b.path
}

func newSpec(d specData) *Spec {
	s := &Spec{data: d, ops: map[string]*Operation{}, bySegs: map[int][]*template{}}
	sort.Slice(s.data.Operations, func(i, j int) bool {
		a, b := s.data.Operations[i], s.data.Operations[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	for _, op := range s.data.Operations {
		s.ops[op.Method+" "+op.Path] = op
	}
	paths := make([]string, 0, len(s.data.Paths))
	for p := range s.data.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t := &template{path: p, segs: splitPath(p), methods: map[string]bool{}}
		for _, m := range s.data.Paths[p] {
			t.methods[m] = true
		}
		t.literal = make([]bool, len(t.segs))
		for i, seg := range t.segs {
			t.literal[i] = !(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}"))
		}
		s.bySegs[len(t.segs)] = append(s.bySegs[len(t.segs)], t)
	}
	return s
}

// Load parses a full OpenAPI document.
func Load(r io.Reader) (*Spec, error) {
	d, raw, err := compile(r)
	if err != nil {
		return nil, err
	}
	s := newSpec(*d)
	s.raw = raw
	return s, nil
}

// VendoredPath is where the repository keeps Apple's spec, gzip-compressed,
// relative to the module root (see testdata/README.md beside it).
const VendoredPath = "internal/asc/ascspec/testdata/asc-openapi.json.gz"

// Open opens the spec at path for reading, decompressing it when the name
// ends in .gz.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening spec: %w", err)
	}
	if !strings.HasSuffix(path, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("decompressing spec %s: %w", path, err)
	}
	return gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// LoadFile parses the OpenAPI document at path (gzip-compressed when the
// name ends in .gz).
func LoadFile(path string) (*Spec, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s, err := Load(r)
	if err != nil {
		return nil, fmt.Errorf("loading spec %s: %w", path, err)
	}
	return s, nil
}

// FindFile locates the full spec: $ASC_OPENAPI_SPEC when set, else the copy
// vendored at VendoredPath under the directory holding go.mod, found by
// walking up from the working directory. It returns an error wrapping
// ErrSpecNotFound when neither exists.
func FindFile() (string, error) {
	if p := os.Getenv(EnvSpecPath); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("checking %s=%s: %w", EnvSpecPath, p, errors.Join(ErrSpecNotFound, err))
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working dir: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, filepath.FromSlash(VendoredPath))
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("looking in module root %s: %w", dir, errors.Join(ErrSpecNotFound, err))
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("walking up for go.mod: %w", ErrSpecNotFound)
		}
		dir = parent
	}
}
