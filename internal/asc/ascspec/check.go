package ascspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Apple error codes produced by CheckQuery and CheckBody. Codes are
// hierarchical and dot-separated, as Apple documents.
const (
	CodeParameterInvalid      = "PARAMETER_ERROR.INVALID"
	CodeParameterRequired     = "PARAMETER_ERROR.REQUIRED"
	CodeEntity                = "ENTITY_ERROR"
	CodeEntityInvalid         = "ENTITY_ERROR.INVALID"
	CodeUnexpectedID          = "ENTITY_ERROR.UNEXPECTED_ID"
	CodeAttributeUnknown      = "ENTITY_ERROR.ATTRIBUTE.UNKNOWN"
	CodeAttributeInvalid      = "ENTITY_ERROR.ATTRIBUTE.INVALID"
	CodeAttributeRequired     = "ENTITY_ERROR.ATTRIBUTE.REQUIRED"
	CodeRelationshipUnknown   = "ENTITY_ERROR.RELATIONSHIP.UNKNOWN"
	CodeRelationshipInvalid   = "ENTITY_ERROR.RELATIONSHIP.INVALID"
	CodeRelationshipRequired  = "ENTITY_ERROR.RELATIONSHIP.REQUIRED"
	CodeIncludedInvalid       = "ENTITY_ERROR.INCLUDED.INVALID"
	CodeEntityUnprocessable   = "ENTITY_UNPROCESSABLE"
	titleParameterInvalid     = "A parameter has an invalid value"
	titleParameterRequired    = "A required parameter is missing"
	titleAttributeUnknown     = "The provided entity includes an unknown attribute"
	titleAttributeInvalid     = "The provided entity includes an attribute with an invalid value"
	titleAttributeRequired    = "The provided entity is missing a required attribute"
	titleRelationshipUnknown  = "The provided entity includes an unknown relationship"
	titleRelationshipInvalid  = "The provided entity includes a relationship with an invalid value"
	titleRelationshipRequired = "Relationship is required"
	titleEntityInvalid        = "The provided entity is invalid"
	titleIncludedInvalid      = "The provided entity includes an invalid included resource"
	titleUnprocessable        = "The request entity is not processable"
)

// QueryError is a query parameter problem found by CheckQuery. Status is 400.
type QueryError struct {
	Parameter string
	Code      string
	Title     string
	Detail    string
}

// Error implements error.
func (e *QueryError) Error() string {
	return fmt.Sprintf("query parameter %s: %s: %s", e.Parameter, e.Code, e.Detail)
}

// Status is the HTTP status Apple answers with (400).
func (e *QueryError) Status() int { return 400 }

// BodyError is a request body problem found by CheckBody. Pointer is a JSON
// pointer into the request document (e.g. /data/attributes/foo).
type BodyError struct {
	Pointer string
	Code    string
	Title   string
	Detail  string
	// HTTPStatus is 409 for entity errors and 422 for an unreadable document.
	HTTPStatus int
}

// Error implements error.
func (e *BodyError) Error() string {
	return fmt.Sprintf("request body %s: %s: %s", e.Pointer, e.Code, e.Detail)
}

// Status is the HTTP status Apple answers with.
func (e *BodyError) Status() int { return e.HTTPStatus }

func qerr(name, code, title, detail string) *QueryError {
	return &QueryError{Parameter: name, Code: code, Title: title, Detail: detail}
}

// Paged reports whether the operation is a paged collection (declares limit).
func (o *Operation) Paged() bool {
	_, ok := o.Query["limit"]
	return ok
}

// CheckQuery validates query parameters against the operation: every
// parameter must be declared (CursorParam is implied on paged operations),
// appear once, hold a value, respect its enum (each comma-separated value of
// an array parameter), its type and its maximum; required parameters must be
// present. The first problem is returned as a *QueryError, checking names in
// sorted order for determinism.
func (o *Operation) CheckQuery(q url.Values) error {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := q[name]
		if name == CursorParam && o.Paged() {
			if _, declared := o.Query[name]; !declared {
				if len(vals) != 1 || vals[0] == "" {
					return qerr(name, CodeParameterInvalid, titleParameterInvalid, "'cursor' must have exactly one non-empty value")
				}
				continue
			}
		}
		p, ok := o.Query[name]
		if !ok {
			return qerr(name, CodeParameterInvalid, titleParameterInvalid, undeclaredDetail(name))
		}
		if len(vals) != 1 {
			return qerr(name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("'%s' may be given only once", name))
		}
		if err := p.check(vals[0]); err != nil {
			return err
		}
	}
	reqs := make([]string, 0)
	for name, p := range o.Query {
		if p.Required {
			reqs = append(reqs, name)
		}
	}
	sort.Strings(reqs)
	for _, name := range reqs {
		if _, ok := q[name]; !ok {
			return qerr(name, CodeParameterRequired, titleParameterRequired, fmt.Sprintf("The parameter '%s' is required", name))
		}
	}
	return nil
}

func undeclaredDetail(name string) string {
	switch {
	case strings.HasPrefix(name, "filter["):
		return fmt.Sprintf("'%s' is not a valid filter type", strings.TrimSuffix(strings.TrimPrefix(name, "filter["), "]"))
	case strings.HasPrefix(name, "fields["):
		return fmt.Sprintf("'%s' is not a valid resource type for fields", strings.TrimSuffix(strings.TrimPrefix(name, "fields["), "]"))
	case strings.HasPrefix(name, "limit["):
		return fmt.Sprintf("'%s' is not a valid relationship for limit", strings.TrimSuffix(strings.TrimPrefix(name, "limit["), "]"))
	default:
		return fmt.Sprintf("The parameter '%s' can not be used with this request", name)
	}
}

func (p Param) check(raw string) error {
	if raw == "" {
		return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("A value for '%s' must be provided", p.Name))
	}
	vals := []string{raw}
	if p.Array {
		vals = strings.Split(raw, ",")
	}
	for _, v := range vals {
		if v == "" {
			return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("'%s' contains an empty value", p.Name))
		}
		if len(p.Enum) > 0 && !hasString(p.Enum, v) {
			return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, enumDetail(p.Name, v))
		}
		switch p.Type {
		case "integer":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("'%s' is not a valid value for '%s': a positive integer is required", v, p.Name))
			}
			if p.Max > 0 && n > p.Max {
				return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("'%s' is not a valid value for '%s': the maximum is %d", v, p.Name, p.Max))
			}
		case "boolean":
			if v != "true" && v != "false" {
				return qerr(p.Name, CodeParameterInvalid, titleParameterInvalid, fmt.Sprintf("'%s' is not a valid value for '%s': true or false is required", v, p.Name))
			}
		}
	}
	return nil
}

func enumDetail(name, v string) string {
	switch {
	case name == "include":
		return fmt.Sprintf("'%s' is not a valid relationship name", v)
	case name == "sort" || strings.HasPrefix(name, "fields["):
		return fmt.Sprintf("'%s' is not a valid field name", v)
	default:
		return fmt.Sprintf("'%s' is not a valid value for '%s'", v, name)
	}
}

func berr(ptr, code, title, detail string) *BodyError {
	return &BodyError{Pointer: ptr, Code: code, Title: title, Detail: detail, HTTPStatus: 409}
}

// CheckBody validates a JSON:API request document against the operation's
// request schema. It returns a *BodyError naming the first offending JSON
// pointer: an unreadable document (422), wrong data.type, missing or
// unexpected data.id, unknown attribute or relationship, wrong linkage type,
// missing required attribute or relationship, bad enum value, wrong JSON type
// or format, and invalid inline-created resources in included.
func (o *Operation) CheckBody(body []byte) error {
	if o.Body == nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		return &BodyError{Pointer: "", Code: CodeEntityUnprocessable, Title: titleUnprocessable, Detail: "This request does not take a body", HTTPStatus: 422}
	}
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return &BodyError{Pointer: "", Code: CodeEntityUnprocessable, Title: titleUnprocessable, Detail: "The request body is not a valid JSON object", HTTPStatus: 422}
	}
	if dec.More() {
		return &BodyError{Pointer: "", Code: CodeEntityUnprocessable, Title: titleUnprocessable, Detail: "The request body has trailing data", HTTPStatus: 422}
	}
	for _, k := range sortedKeys(doc) {
		if k != "data" && k != "included" {
			return berr("/"+k, CodeEntity, titleEntityInvalid, fmt.Sprintf("'%s' is not a valid top-level member", k))
		}
	}
	raw, ok := doc["data"]
	if !ok || isNull(raw) {
		return berr("/data", CodeEntity, titleEntityInvalid, "The request document must contain 'data'")
	}
	b := o.Body
	if b.Linkage {
		return checkLinkage(raw, b)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil || data == nil {
		return berr("/data", CodeEntity, titleEntityInvalid, "'data' must be a resource object")
	}
	if err := checkResource("/data", data, b); err != nil {
		return err
	}
	if inc, ok := doc["included"]; ok {
		return checkIncluded(inc, data, b)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func checkLinkage(raw json.RawMessage, b *BodySchema) error {
	if b.Many {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return berr("/data", CodeEntity, titleEntityInvalid, "'data' must be an array of resource identifiers")
		}
		for i, it := range items {
			if err := checkIdentifier("/data/"+strconv.Itoa(i), it, b.Type, CodeEntityInvalid, titleEntityInvalid); err != nil {
				return err
			}
		}
		return nil
	}
	return checkIdentifier("/data", raw, b.Type, CodeEntityInvalid, titleEntityInvalid)
}

// checkIdentifier validates a {type, id} resource identifier.
func checkIdentifier(ptr string, raw json.RawMessage, wantType, code, title string) error {
	var ident map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ident); err != nil || ident == nil {
		return berr(ptr, code, title, "A resource identifier object with 'type' and 'id' is required")
	}
	for _, k := range sortedKeys(ident) {
		if k != "type" && k != "id" {
			return berr(ptr+"/"+k, code, title, fmt.Sprintf("'%s' is not allowed in a resource identifier", k))
		}
	}
	var typ, id string
	if err := json.Unmarshal(ident["type"], &typ); err != nil || typ == "" {
		return berr(ptr+"/type", code, title, "A resource identifier requires a string 'type'")
	}
	if typ != wantType {
		return berr(ptr+"/type", code, title, fmt.Sprintf("The resource type '%s' is not valid here; expected '%s'", typ, wantType))
	}
	if err := json.Unmarshal(ident["id"], &id); err != nil || id == "" {
		return berr(ptr+"/id", code, title, "A resource identifier requires a string 'id'")
	}
	return nil
}

func checkResource(ptr string, data map[string]json.RawMessage, b *BodySchema) error {
	for _, k := range sortedKeys(data) {
		switch k {
		case "type", "id", "attributes", "relationships":
		default:
			return berr(ptr+"/"+k, CodeEntity, titleEntityInvalid, fmt.Sprintf("'%s' is not a valid member of a resource object", k))
		}
	}
	var typ string
	if err := json.Unmarshal(data["type"], &typ); err != nil || typ == "" {
		return berr(ptr+"/type", CodeEntityInvalid, titleEntityInvalid, "A string 'type' is required")
	}
	if typ != b.Type {
		return berr(ptr+"/type", CodeEntityInvalid, titleEntityInvalid, fmt.Sprintf("The resource type '%s' is not valid for this request; expected '%s'", typ, b.Type))
	}
	if rawID, ok := data["id"]; ok {
		if !b.HasID {
			return berr(ptr+"/id", CodeUnexpectedID, "The provided entity includes an unexpected id", "An 'id' is not allowed for this request")
		}
		var id string
		if err := json.Unmarshal(rawID, &id); err != nil || id == "" {
			return berr(ptr+"/id", CodeAttributeInvalid, titleAttributeInvalid, "'id' must be a non-empty string")
		}
	} else if b.IDRequired {
		return berr(ptr+"/id", CodeAttributeRequired, titleAttributeRequired, "You must provide the 'id' of the resource with this request")
	}
	var attrs map[string]json.RawMessage
	rawAttrs, hasAttrs := data["attributes"]
	if hasAttrs {
		if b.Attributes == nil {
			return berr(ptr+"/attributes", CodeAttributeUnknown, titleAttributeUnknown, fmt.Sprintf("The resource '%s' takes no attributes in this request", b.Type))
		}
		if err := json.Unmarshal(rawAttrs, &attrs); err != nil || attrs == nil {
			return berr(ptr+"/attributes", CodeAttributeInvalid, titleAttributeInvalid, "'attributes' must be an object")
		}
	}
	for _, name := range sortedKeys(attrs) {
		f, ok := b.Attributes[name]
		if !ok {
			return berr(ptr+"/attributes/"+name, CodeAttributeUnknown, titleAttributeUnknown, fmt.Sprintf("'%s' is not an attribute on the resource '%s'", name, b.Type))
		}
		if detail := checkValue(attrs[name], f); detail != "" {
			return berr(ptr+"/attributes/"+name, CodeAttributeInvalid, titleAttributeInvalid, fmt.Sprintf("'%s' %s", name, detail))
		}
	}
	var rels map[string]json.RawMessage
	rawRels, hasRels := data["relationships"]
	if hasRels {
		if b.Relationships == nil {
			return berr(ptr+"/relationships", CodeRelationshipUnknown, titleRelationshipUnknown, fmt.Sprintf("The resource '%s' takes no relationships in this request", b.Type))
		}
		if err := json.Unmarshal(rawRels, &rels); err != nil || rels == nil {
			return berr(ptr+"/relationships", CodeRelationshipInvalid, titleRelationshipInvalid, "'relationships' must be an object")
		}
	}
	for _, name := range sortedKeys(rels) {
		rs, ok := b.Relationships[name]
		if !ok {
			return berr(ptr+"/relationships/"+name, CodeRelationshipUnknown, titleRelationshipUnknown, fmt.Sprintf("'%s' is not a relationship on the resource '%s'", name, b.Type))
		}
		if err := checkRelationship(ptr+"/relationships/"+name, rels[name], rs); err != nil {
			return err
		}
	}
	if !hasAttrs && b.AttributesRequired {
		return berr(ptr+"/attributes", CodeAttributeRequired, titleAttributeRequired, "'attributes' is required for this request")
	}
	if !hasRels && b.RelationshipsRequired {
		return berr(ptr+"/relationships", CodeRelationshipRequired, titleRelationshipRequired, "'relationships' is required for this request")
	}
	for _, name := range b.RequiredAttributes {
		if raw, ok := attrs[name]; !ok || isNull(raw) {
			return berr(ptr+"/attributes/"+name, CodeAttributeRequired, titleAttributeRequired, fmt.Sprintf("You must provide a value for the attribute '%s' with this request", name))
		}
	}
	for _, name := range b.RequiredRelationships {
		if _, ok := rels[name]; !ok {
			return berr(ptr+"/relationships/"+name, CodeRelationshipRequired, titleRelationshipRequired, fmt.Sprintf("You must provide a value for the relationship '%s' with this request", name))
		}
	}
	return nil
}

func checkRelationship(ptr string, raw json.RawMessage, rs RelSchema) error {
	var rel map[string]json.RawMessage
	if err := json.Unmarshal(raw, &rel); err != nil || rel == nil {
		return berr(ptr, CodeRelationshipInvalid, titleRelationshipInvalid, "A relationship must be an object with 'data'")
	}
	for _, k := range sortedKeys(rel) {
		if k != "data" {
			return berr(ptr+"/"+k, CodeRelationshipInvalid, titleRelationshipInvalid, fmt.Sprintf("'%s' is not allowed in a relationship", k))
		}
	}
	d, ok := rel["data"]
	if !ok || isNull(d) {
		if rs.DataRequired || ok {
			return berr(ptr+"/data", CodeRelationshipRequired, titleRelationshipRequired, "The relationship requires 'data'")
		}
		return nil
	}
	if rs.Many {
		var items []json.RawMessage
		if err := json.Unmarshal(d, &items); err != nil {
			return berr(ptr+"/data", CodeRelationshipInvalid, titleRelationshipInvalid, "The relationship 'data' must be an array")
		}
		for i, it := range items {
			if err := checkIdentifier(ptr+"/data/"+strconv.Itoa(i), it, rs.Type, CodeRelationshipInvalid, titleRelationshipInvalid); err != nil {
				return err
			}
		}
		return nil
	}
	return checkIdentifier(ptr+"/data", d, rs.Type, CodeRelationshipInvalid, titleRelationshipInvalid)
}

var (
	dateRe   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	emailRe  = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	numberRe = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// checkValue returns "" when raw satisfies f, else the end of a sentence
// explaining why (the caller prefixes the attribute name).
func checkValue(raw json.RawMessage, f Field) string {
	if isNull(raw) {
		if f.Nullable {
			return ""
		}
		return "can not be null"
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "is not valid JSON"
	}
	return checkAny(v, f)
}

func checkAny(v any, f Field) string {
	switch f.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			return "must be a string"
		}
		if len(f.Enum) > 0 && !hasString(f.Enum, s) {
			return fmt.Sprintf("has an invalid value '%s'", s)
		}
		return checkFormat(s, f.Format)
	case "boolean":
		if _, ok := v.(bool); !ok {
			return "must be a boolean"
		}
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return "must be an integer"
		}
		if _, err := n.Int64(); err != nil {
			return "must be an integer"
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return "must be a number"
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return "must be an array"
		}
		if f.Items != nil {
			for i, it := range items {
				if it == nil {
					return fmt.Sprintf("has a null element at index %d", i)
				}
				if d := checkAny(it, *f.Items); d != "" {
					return fmt.Sprintf("element %d %s", i, d)
				}
			}
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return "must be an object"
		}
	}
	return ""
}

func checkFormat(s, format string) string {
	switch format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return "must be an ISO 8601 date-time"
		}
	case "date":
		if !dateRe.MatchString(s) {
			return "must be a date (YYYY-MM-DD)"
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return "must be a valid date"
		}
	case "uri":
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "must be an absolute URI"
		}
	case "email":
		if !emailRe.MatchString(s) {
			return "must be an email address"
		}
	case "number":
		if !numberRe.MatchString(s) {
			return "must be a decimal number"
		}
	}
	return ""
}

// inlineIDRe is Apple's convention for inline-created resource ids.
var inlineIDRe = regexp.MustCompile(`^\$\{[^{}]+\}$`)

func checkIncluded(raw json.RawMessage, data map[string]json.RawMessage, b *BodySchema) error {
	if len(b.Included) == 0 {
		return berr("/included", CodeIncludedInvalid, titleIncludedInvalid, "This request does not accept included resources")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return berr("/included", CodeIncludedInvalid, titleIncludedInvalid, "'included' must be an array")
	}
	// Ids referenced from data.relationships, by type.
	referenced := map[string]bool{}
	var rels map[string]struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(data["relationships"], &rels)
	for _, r := range rels {
		var many []struct{ Type, ID string }
		var one struct{ Type, ID string }
		if json.Unmarshal(r.Data, &many) == nil {
			for _, m := range many {
				referenced[m.Type+"/"+m.ID] = true
			}
		} else if json.Unmarshal(r.Data, &one) == nil {
			referenced[one.Type+"/"+one.ID] = true
		}
	}
	seen := map[string]bool{}
	for i, it := range items {
		ptr := "/included/" + strconv.Itoa(i)
		var res map[string]json.RawMessage
		if err := json.Unmarshal(it, &res); err != nil || res == nil {
			return berr(ptr, CodeIncludedInvalid, titleIncludedInvalid, "An included resource must be an object")
		}
		var typ, id string
		_ = json.Unmarshal(res["type"], &typ)
		ib, ok := b.Included[typ]
		if !ok {
			return berr(ptr+"/type", CodeIncludedInvalid, titleIncludedInvalid, fmt.Sprintf("'%s' can not be created inline with this request", typ))
		}
		if err := checkResource(ptr, res, ib); err != nil {
			if be, ok := err.(*BodyError); ok {
				be.Code = CodeIncludedInvalid
				be.Title = titleIncludedInvalid
			}
			return err
		}
		_ = json.Unmarshal(res["id"], &id)
		if !inlineIDRe.MatchString(id) {
			return berr(ptr+"/id", CodeIncludedInvalid, titleIncludedInvalid, "An inline-created resource needs a local id of the form '${local-id}'")
		}
		if seen[typ+"/"+id] {
			return berr(ptr+"/id", CodeIncludedInvalid, titleIncludedInvalid, fmt.Sprintf("The local id '%s' is used more than once", id))
		}
		seen[typ+"/"+id] = true
		if !referenced[typ+"/"+id] {
			return berr(ptr+"/id", CodeIncludedInvalid, titleIncludedInvalid, fmt.Sprintf("The included resource '%s' is not referenced by a relationship of the primary data", id))
		}
	}
	return nil
}
