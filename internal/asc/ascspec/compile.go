package ascspec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ErrBadSpec marks a document that cannot be compiled (bad JSON, unresolvable
// $ref, …).
var ErrBadSpec = errors.New("invalid openapi document")

type rawSchema struct {
	Ref         string                `json:"$ref"`
	Type        string                `json:"type"`
	Format      string                `json:"format"`
	Enum        []any                 `json:"enum"`
	Nullable    bool                  `json:"nullable"`
	Properties  map[string]*rawSchema `json:"properties"`
	Required    []string              `json:"required"`
	Items       *rawSchema            `json:"items"`
	OneOf       []*rawSchema          `json:"oneOf"`
	AnyOf       []*rawSchema          `json:"anyOf"`
	AllOf       []*rawSchema          `json:"allOf"`
	Maximum     *float64              `json:"maximum"`
	Description string                `json:"description"`
}

type rawParam struct {
	Ref      string     `json:"$ref"`
	Name     string     `json:"name"`
	In       string     `json:"in"`
	Required bool       `json:"required"`
	Schema   *rawSchema `json:"schema"`
}

type rawMedia struct {
	Schema *rawSchema `json:"schema"`
}

type rawBody struct {
	Ref     string              `json:"$ref"`
	Content map[string]rawMedia `json:"content"`
}

type rawOp struct {
	OperationID string              `json:"operationId"`
	Parameters  []*rawParam         `json:"parameters"`
	RequestBody *rawBody            `json:"requestBody"`
	Responses   map[string]*rawBody `json:"responses"`
}

type rawDoc struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas       map[string]*rawSchema `json:"schemas"`
		Parameters    map[string]*rawParam  `json:"parameters"`
		RequestBodies map[string]*rawBody   `json:"requestBodies"`
		Responses     map[string]*rawBody   `json:"responses"`
	} `json:"components"`
}

var httpMethods = map[string]bool{"get": true, "post": true, "patch": true, "put": true, "delete": true, "head": true, "options": true}

type compiler struct {
	doc  *rawDoc
	errs []error
}

func (c *compiler) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

func refName(ref, kind string) (string, bool) {
	prefix := "#/components/" + kind + "/"
	if !strings.HasPrefix(ref, prefix) {
		return "", false
	}
	return strings.TrimPrefix(ref, prefix), true
}

// schema resolves $ref chains. nullable set on a $ref wrapper is reported too.
func (c *compiler) schema(s *rawSchema) (*rawSchema, bool) {
	nullable := false
	for depth := 0; s != nil && s.Ref != ""; depth++ {
		if depth > 32 {
			c.fail("$ref cycle at %s", s.Ref)
			return nil, false
		}
		nullable = nullable || s.Nullable
		name, ok := refName(s.Ref, "schemas")
		if !ok {
			c.fail("unsupported $ref %q", s.Ref)
			return nil, false
		}
		next := c.doc.Components.Schemas[name]
		if next == nil {
			c.fail("unresolved $ref %q", s.Ref)
			return nil, false
		}
		s = next
	}
	if s == nil {
		return nil, false
	}
	return s, nullable || s.Nullable
}

func (c *compiler) param(p *rawParam) *rawParam {
	for depth := 0; p != nil && p.Ref != ""; depth++ {
		name, ok := refName(p.Ref, "parameters")
		if !ok || depth > 32 {
			c.fail("unsupported parameter $ref %q", p.Ref)
			return nil
		}
		next := c.doc.Components.Parameters[name]
		if next == nil {
			c.fail("unresolved parameter $ref %q", p.Ref)
			return nil
		}
		p = next
	}
	return p
}

func (c *compiler) body(b *rawBody, kind string) *rawBody {
	for depth := 0; b != nil && b.Ref != ""; depth++ {
		name, ok := refName(b.Ref, kind)
		if !ok || depth > 32 {
			c.fail("unsupported $ref %q", b.Ref)
			return nil
		}
		var next *rawBody
		if kind == "requestBodies" {
			next = c.doc.Components.RequestBodies[name]
		} else {
			next = c.doc.Components.Responses[name]
		}
		if next == nil {
			c.fail("unresolved $ref %q", b.Ref)
			return nil
		}
		b = next
	}
	return b
}

func enumStrings(v []any) []string {
	if len(v) == 0 {
		return nil
	}
	out := make([]string, 0, len(v))
	for _, e := range v {
		switch x := e.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(x))
		}
	}
	return out
}

func compile(r io.Reader) (*specData, *rawDoc, error) {
	var doc rawDoc
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("decoding openapi json: %w", errors.Join(ErrBadSpec, err))
	}
	if len(doc.Paths) == 0 {
		return nil, nil, fmt.Errorf("document declares no paths: %w", ErrBadSpec)
	}
	c := &compiler{doc: &doc}
	d := &specData{
		Version:     doc.Info.Version,
		Enums:       map[string][]string{},
		SchemaEnums: map[string]map[string][]string{},
		Resources:   map[string]*Resource{},
		Paths:       map[string][]string{},
	}
	for name, s := range doc.Components.Schemas {
		if s != nil && s.Type == "string" && len(s.Enum) > 0 && s.Ref == "" {
			d.Enums[name] = enumStrings(s.Enum)
		}
	}
	pathSet := map[string]bool{}
	for p := range doc.Paths {
		pathSet[p] = true
	}
	for p, item := range doc.Paths {
		var shared []*rawParam
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				c.fail("decoding parameters of %s: %v", p, err)
			}
		}
		for m, raw := range item {
			if !httpMethods[m] {
				continue
			}
			var ro rawOp
			if err := json.Unmarshal(raw, &ro); err != nil {
				c.fail("decoding %s %s: %v", m, p, err)
				continue
			}
			op := c.operation(strings.ToUpper(m), p, &ro, shared)
			d.Operations = append(d.Operations, op)
			d.Paths[p] = append(d.Paths[p], op.Method)
		}
		sort.Strings(d.Paths[p])
	}
	for name, s := range doc.Components.Schemas {
		if res := c.resource(name, s, pathSet); res != nil {
			d.Resources[name] = res
		}
	}
	if len(c.errs) > 0 {
		return nil, nil, fmt.Errorf("compiling spec: %w", errors.Join(append([]error{ErrBadSpec}, c.errs...)...))
	}
	return d, &doc, nil
}

func (c *compiler) operation(method, path string, ro *rawOp, shared []*rawParam) *Operation {
	op := &Operation{Method: method, Path: path, ID: ro.OperationID, Query: map[string]Param{}}
	params := append(append([]*rawParam(nil), shared...), ro.Parameters...)
	for _, rp := range params {
		p := c.param(rp)
		if p == nil || p.In != "query" {
			continue
		}
		op.Query[p.Name] = c.queryParam(p)
	}
	if len(op.Query) == 0 {
		op.Query = nil
	}
	if rb := c.body(ro.RequestBody, "requestBodies"); rb != nil {
		if media, ok := rb.Content["application/json"]; ok && media.Schema != nil {
			op.Body = c.requestBody(media.Schema, strings.Contains(path, "/relationships/"))
		}
	}
	codes := make([]string, 0, len(ro.Responses))
	for code := range ro.Responses {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		n, err := strconv.Atoi(code)
		if err != nil || n < 200 || n > 299 {
			continue
		}
		op.Success = n
		if rb := c.body(ro.Responses[code], "responses"); rb != nil {
			if media, ok := rb.Content["application/json"]; ok && media.Schema != nil {
				op.Response = c.response(media.Schema)
			}
		}
		break
	}
	return op
}

func (c *compiler) queryParam(p *rawParam) Param {
	out := Param{Name: p.Name, Required: p.Required}
	s, _ := c.schema(p.Schema)
	if s == nil {
		out.Type = "string"
		return out
	}
	if s.Maximum != nil {
		out.Max = int(*s.Maximum)
	}
	out.Type = s.Type
	out.Enum = enumStrings(s.Enum)
	if s.Type == "array" {
		out.Array = true
		out.Type = "string"
		if it, _ := c.schema(s.Items); it != nil {
			out.Type = it.Type
			out.Enum = enumStrings(it.Enum)
			if it.Maximum != nil && out.Max == 0 {
				out.Max = int(*it.Maximum)
			}
		}
	}
	if out.Type == "" {
		out.Type = "string"
	}
	return out
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (c *compiler) field(raw *rawSchema) Field {
	s, nullable := c.schema(raw)
	if s == nil {
		return Field{Type: "object"}
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 {
		// Attributes with composed schemas are validated by JSON kind only.
		f := Field{Type: s.Type, Nullable: nullable}
		if f.Type == "" {
			f.Type = "any"
		}
		return f
	}
	f := Field{Type: s.Type, Format: s.Format, Enum: enumStrings(s.Enum), Nullable: nullable}
	if f.Type == "" {
		f.Type = "object"
	}
	if s.Type == "array" && s.Items != nil {
		it := c.field(s.Items)
		f.Items = &it
	}
	return f
}

func (c *compiler) requestBody(raw *rawSchema, relationshipPath bool) *BodySchema {
	top, _ := c.schema(raw)
	if top == nil {
		return nil
	}
	data, _ := c.schema(top.Properties["data"])
	if data == nil {
		c.fail("request body without data")
		return nil
	}
	b := c.dataSchema(data, relationshipPath)
	if inc := top.Properties["included"]; inc != nil {
		incs, _ := c.schema(inc)
		if incs != nil && incs.Items != nil {
			items := []*rawSchema{incs.Items}
			if it, _ := c.schema(incs.Items); it != nil && len(it.OneOf) > 0 {
				items = it.OneOf
			}
			b.Included = map[string]*BodySchema{}
			for _, item := range items {
				is, _ := c.schema(item)
				if is == nil {
					continue
				}
				ib := c.dataSchema(is, false)
				b.Included[ib.Type] = ib
			}
		}
	}
	return b
}

func (c *compiler) dataSchema(data *rawSchema, relationshipPath bool) *BodySchema {
	b := &BodySchema{}
	if data.Type == "array" {
		b.Many = true
		b.Linkage = true
		it, _ := c.schema(data.Items)
		if it == nil {
			return b
		}
		data = it
	}
	if ts, _ := c.schema(data.Properties["type"]); ts != nil {
		if e := enumStrings(ts.Enum); len(e) > 0 {
			b.Type = e[0]
		}
	}
	_, b.HasID = data.Properties["id"]
	b.IDRequired = hasString(data.Required, "id")
	_, hasAttrs := data.Properties["attributes"]
	_, hasRels := data.Properties["relationships"]
	if relationshipPath && !hasAttrs && !hasRels {
		b.Linkage = true
	}
	b.AttributesRequired = hasString(data.Required, "attributes")
	b.RelationshipsRequired = hasString(data.Required, "relationships")
	if a, _ := c.schema(data.Properties["attributes"]); a != nil {
		b.Attributes = map[string]Field{}
		for name, f := range a.Properties {
			b.Attributes[name] = c.field(f)
		}
		b.RequiredAttributes = sortedCopy(a.Required)
	}
	if r, _ := c.schema(data.Properties["relationships"]); r != nil {
		b.Relationships = map[string]RelSchema{}
		for name, rel := range r.Properties {
			rs, _ := c.schema(rel)
			if rs == nil {
				continue
			}
			out := RelSchema{DataRequired: hasString(rs.Required, "data")}
			if d, _ := c.schema(rs.Properties["data"]); d != nil {
				if d.Type == "array" {
					out.Many = true
					d, _ = c.schema(d.Items)
				}
				if d != nil {
					if ts, _ := c.schema(d.Properties["type"]); ts != nil {
						if e := enumStrings(ts.Enum); len(e) > 0 {
							out.Type = e[0]
						}
					}
				}
			}
			b.Relationships[name] = out
		}
		b.RequiredRelationships = sortedCopy(r.Required)
	}
	return b
}

func sortedCopy(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func (c *compiler) refTarget(s *rawSchema) string {
	if s == nil || s.Ref == "" {
		return ""
	}
	name, _ := refName(s.Ref, "schemas")
	return name
}

func (c *compiler) response(raw *rawSchema) *Response {
	top, _ := c.schema(raw)
	if top == nil {
		return nil
	}
	dataRaw := top.Properties["data"]
	if dataRaw == nil {
		return nil
	}
	out := &Response{}
	if dataRaw.Type == "array" || (dataRaw.Ref == "" && dataRaw.Items != nil) {
		out.Many = true
		dataRaw = dataRaw.Items
	}
	if name := c.refTarget(dataRaw); name != "" {
		out.Schema = name
	} else {
		out.Linkage = true
	}
	if inc := top.Properties["included"]; inc != nil && inc.Items != nil {
		items := []*rawSchema{inc.Items}
		if len(inc.Items.OneOf) > 0 {
			items = inc.Items.OneOf
		}
		out.Included = map[string]string{}
		for _, it := range items {
			name := c.refTarget(it)
			s, _ := c.schema(it)
			if name == "" || s == nil {
				continue
			}
			if ts, _ := c.schema(s.Properties["type"]); ts != nil {
				if e := enumStrings(ts.Enum); len(e) > 0 {
					out.Included[e[0]] = name
				}
			}
		}
		if len(out.Included) == 0 {
			out.Included = nil
		}
	}
	return out
}

// bestPath returns the existing path among candidates "/vN"+suffix with the
// highest N.
func bestPath(paths map[string]bool, suffix string) string {
	best, bestN := "", -1
	for n := 1; n <= 9; n++ {
		p := "/v" + strconv.Itoa(n) + suffix
		if paths[p] && n > bestN {
			best, bestN = p, n
		}
	}
	return best
}

// resource compiles a component schema into a Resource when it looks like a
// JSON:API resource object (type enum + id).
func (c *compiler) resource(name string, s *rawSchema, paths map[string]bool) *Resource {
	if s == nil || s.Ref != "" || s.Properties == nil {
		return nil
	}
	ts, _ := c.schema(s.Properties["type"])
	if ts == nil || len(ts.Enum) != 1 {
		return nil
	}
	if _, ok := s.Properties["id"]; !ok {
		return nil
	}
	if _, ok := s.Properties["links"]; !ok {
		// Inline-create and linkage schemas have no links; responses do.
		return nil
	}
	r := &Resource{Name: name, Type: enumStrings(ts.Enum)[0]}
	r.SelfPath = bestPath(paths, "/"+r.Type+"/{id}")
	if a, _ := c.schema(s.Properties["attributes"]); a != nil {
		r.Attributes = map[string]Field{}
		for an, f := range a.Properties {
			r.Attributes[an] = c.field(f)
		}
	}
	if rels, _ := c.schema(s.Properties["relationships"]); rels != nil {
		r.Relationships = map[string]ResourceRel{}
		for rn, rel := range rels.Properties {
			rs, _ := c.schema(rel)
			if rs == nil {
				continue
			}
			out := ResourceRel{}
			_, out.Links = rs.Properties["links"]
			_, out.Meta = rs.Properties["meta"]
			if d, _ := c.schema(rs.Properties["data"]); d != nil {
				out.Data = true
				if d.Type == "array" {
					out.Many = true
					d, _ = c.schema(d.Items)
				}
				if d != nil {
					if dt, _ := c.schema(d.Properties["type"]); dt != nil {
						if e := enumStrings(dt.Enum); len(e) > 0 {
							out.Type = e[0]
						}
					}
				}
			}
			if out.Links {
				out.Related = bestPath(paths, "/"+r.Type+"/{id}/"+rn)
				out.Self = bestPath(paths, "/"+r.Type+"/{id}/relationships/"+rn)
			}
			r.Relationships[rn] = out
		}
	}
	return r
}

// schemaEnum walks a dotted property path inside a component schema.
func (c *compiler) schemaEnum(schemaName, path string) []string {
	s, _ := c.schema(&rawSchema{Ref: "#/components/schemas/" + schemaName})
	if s == nil {
		return nil
	}
	for _, part := range strings.Split(path, ".") {
		if s.Type == "array" && s.Items != nil {
			s, _ = c.schema(s.Items)
			if s == nil {
				return nil
			}
		}
		next := s.Properties[part]
		if next == nil {
			return nil
		}
		s, _ = c.schema(next)
		if s == nil {
			return nil
		}
	}
	if s.Type == "array" && s.Items != nil {
		s, _ = c.schema(s.Items)
		if s == nil {
			return nil
		}
	}
	return enumStrings(s.Enum)
}
