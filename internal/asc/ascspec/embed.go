package ascspec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

//go:generate go run ./gen -out ops.json

//go:embed ops.json
var embeddedOps []byte

// Key names one operation: an HTTP method and a spec path template.
type Key struct {
	Method string `json:"method"`
	Path   string `json:"path"`
}

// Served lists the operations the simulator (internal/asc/ascsim) serves; it
// is exactly the operation set of the embedded subset. ascsim's tests require
// its routes to equal this list.
var Served = []Key{
	{"GET", "/v1/apps"},
	{"GET", "/v1/apps/{id}"},
	{"GET", "/v1/apps/{id}/appStoreVersions"},
	{"GET", "/v1/apps/{id}/reviewSubmissions"},
	{"GET", "/v1/apps/{id}/appAvailabilityV2"},
	{"GET", "/v1/apps/{id}/inAppPurchasesV2"},
	{"GET", "/v1/appStoreVersions/{id}"},
	{"PATCH", "/v1/appStoreVersions/{id}"},
	{"POST", "/v1/appStoreVersions"},
	{"PATCH", "/v1/appStoreVersions/{id}/relationships/build"},
	{"GET", "/v1/appStoreVersions/{id}/build"},
	{"GET", "/v1/appStoreVersions/{id}/appStoreVersionLocalizations"},
	{"GET", "/v1/appStoreVersions/{id}/appStoreVersionPhasedRelease"},
	{"PATCH", "/v1/appStoreVersionLocalizations/{id}"},
	{"POST", "/v1/appStoreVersionLocalizations"},
	{"GET", "/v1/builds"},
	{"GET", "/v1/builds/{id}"},
	{"PATCH", "/v1/builds/{id}"},
	{"GET", "/v1/buildUploads/{id}"},
	{"GET", "/v1/reviewSubmissions"},
	{"POST", "/v1/reviewSubmissions"},
	{"GET", "/v1/reviewSubmissions/{id}"},
	{"PATCH", "/v1/reviewSubmissions/{id}"},
	{"GET", "/v1/reviewSubmissions/{id}/items"},
	{"POST", "/v1/reviewSubmissionItems"},
	{"POST", "/v1/appStoreVersionReleaseRequests"},
	{"POST", "/v1/appStoreVersionPhasedReleases"},
	{"PATCH", "/v1/appStoreVersionPhasedReleases/{id}"},
	{"DELETE", "/v1/appStoreVersionPhasedReleases/{id}"},
	{"GET", "/v1/territories"},
	{"GET", "/v2/appAvailabilities/{id}"},
	{"GET", "/v2/appAvailabilities/{id}/territoryAvailabilities"},
	{"POST", "/v2/appAvailabilities"},
	{"POST", "/v1/inAppPurchaseSubmissions"},
	{"POST", "/v1/webhooks"},
	// TestFlight (internal/asc beta*.go).
	{"GET", "/v1/betaGroups"},
	{"GET", "/v1/betaGroups/{id}"},
	{"GET", "/v1/betaGroups/{id}/betaTesters"},
	{"GET", "/v1/betaGroups/{id}/relationships/builds"},
	{"POST", "/v1/betaGroups/{id}/relationships/builds"},
	{"DELETE", "/v1/betaGroups/{id}/relationships/builds"},
	{"GET", "/v1/betaGroups/{id}/relationships/betaTesters"},
	{"POST", "/v1/betaGroups/{id}/relationships/betaTesters"},
	{"DELETE", "/v1/betaGroups/{id}/relationships/betaTesters"},
	{"POST", "/v1/builds/{id}/relationships/betaGroups"},
	{"DELETE", "/v1/builds/{id}/relationships/betaGroups"},
	{"GET", "/v1/builds/{id}/buildBetaDetail"},
	{"PATCH", "/v1/buildBetaDetails/{id}"},
	{"GET", "/v1/betaBuildLocalizations"},
	{"POST", "/v1/betaBuildLocalizations"},
	{"PATCH", "/v1/betaBuildLocalizations/{id}"},
	{"GET", "/v1/betaAppReviewSubmissions"},
	{"GET", "/v1/betaAppReviewSubmissions/{id}"},
	{"POST", "/v1/betaAppReviewSubmissions"},
	{"GET", "/v1/betaTesters"},
	{"GET", "/v1/betaTesters/{id}"},
	{"POST", "/v1/betaTesters"},
	{"GET", "/v1/betaAppLocalizations"},
}

// EmbeddedEnums are the component enums kept in the embedded subset.
var EmbeddedEnums = []string{
	"AppStoreVersionState",
	"AppVersionState",
	"BuildUploadState",
	"InAppPurchaseState",
	"InAppPurchaseType",
	"PhasedReleaseState",
	"Platform",
	"TerritoryCode",
	"WebhookEventType",
	"InternalBetaState",
	"ExternalBetaState",
	"BetaReviewState",
	"BetaTesterState",
	"BetaInviteType",
}

// SchemaPath names an inline enum: a component schema and a dotted property
// path inside it, as SchemaEnum takes them.
type SchemaPath struct {
	Schema string
	Path   string
}

// EmbeddedSchemaEnums are the inline enums kept in the embedded subset.
var EmbeddedSchemaEnums = []SchemaPath{
	{"ReviewSubmission", "attributes.state"},
	{"ReviewSubmissionItem", "attributes.state"},
	{"Build", "attributes.processingState"},
	{"Build", "attributes.buildAudienceType"},
	{"AppStoreVersion", "attributes.releaseType"},
	{"AppStoreVersion", "attributes.reviewType"},
	{"BuildUpload", "attributes.state.state"},
	{"TerritoryAvailability", "attributes.contentStatuses"},
}

// embeddedExtraResources are response schemas the simulator renders only as
// included resources (not as the primary data of a served operation).
var embeddedExtraResources = []string{"PrereleaseVersion"}

var (
	embeddedOnce sync.Once
	embeddedSpec *Spec
)

// Embedded returns the compact subset compiled into the binary (ops.json). It
// panics if ops.json is corrupt, which the package tests rule out.
func Embedded() *Spec {
	embeddedOnce.Do(func() {
		var d specData
		if err := json.Unmarshal(embeddedOps, &d); err != nil {
			panic(fmt.Sprintf("ascspec: decoding embedded ops.json: %v", err))
		}
		embeddedSpec = newSpec(d)
	})
	return embeddedSpec
}

// GenerateEmbedded builds the ops.json bytes from a full spec: the Served
// operations, the response resources they render, EmbeddedEnums and
// EmbeddedSchemaEnums. The output is deterministic.
func GenerateEmbedded(full *Spec) ([]byte, error) {
	d := specData{
		Version:     full.Version(),
		Enums:       map[string][]string{},
		SchemaEnums: map[string]map[string][]string{},
		Resources:   map[string]*Resource{},
		Paths:       map[string][]string{},
	}
	want := map[string]bool{}
	for _, k := range Served {
		op, ok := full.ops[k.Method+" "+k.Path]
		if !ok {
			return nil, fmt.Errorf("served operation %s %s: not in spec %s", k.Method, k.Path, full.Version())
		}
		d.Operations = append(d.Operations, op)
		if op.Response != nil && op.Response.Schema != "" {
			want[op.Response.Schema] = true
		}
	}
	for _, name := range embeddedExtraResources {
		want[name] = true
	}
	for name := range want {
		r, ok := full.data.Resources[name]
		if !ok {
			return nil, fmt.Errorf("resource schema %s: not in spec", name)
		}
		d.Resources[name] = r
	}
	// Keep every path template (with its methods) that has the same shape as a
	// served one, so matching a concrete path picks the same template as the
	// full spec would, and wrong-method answers stay accurate.
	for p, methods := range full.data.Paths {
		for _, k := range Served {
			if sameShape(p, k.Path) {
				d.Paths[p] = methods
				break
			}
		}
	}
	for _, name := range EmbeddedEnums {
		v := full.Enum(name)
		if v == nil {
			return nil, fmt.Errorf("enum %s: not in spec", name)
		}
		d.Enums[name] = v
	}
	for _, k := range EmbeddedSchemaEnums {
		v := full.SchemaEnum(k.Schema, k.Path)
		if v == nil {
			return nil, fmt.Errorf("schema enum %s %s: not in spec", k.Schema, k.Path)
		}
		if d.SchemaEnums[k.Schema] == nil {
			d.SchemaEnums[k.Schema] = map[string][]string{}
		}
		d.SchemaEnums[k.Schema][k.Path] = v
	}
	sort.Slice(d.Operations, func(i, j int) bool {
		a, b := d.Operations[i], d.Operations[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encoding embedded spec: %w", err)
	}
	return buf.Bytes(), nil
}

// sameShape reports whether two path templates could match the same concrete
// path (same segment count and every literal pair equal).
func sameShape(a, b string) bool {
	as, bs := splitPath(a), splitPath(b)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		al := !isParam(as[i])
		bl := !isParam(bs[i])
		if al && bl && as[i] != bs[i] {
			return false
		}
	}
	return true
}

func isParam(seg string) bool {
	return len(seg) > 1 && seg[0] == '{' && seg[len(seg)-1] == '}'
}
