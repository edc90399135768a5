package asc

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

// The OpenAPI spec, loaded once for the enum and conformance tests.
var (
	specOnce sync.Once
	specDoc  map[string]any
	specPath string
	specErr  error
)

// loadSpec returns the parsed spec (vendored under ascspec/testdata, or
// $ASC_OPENAPI_SPEC).
func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	specOnce.Do(func() {
		specPath, specErr = ascspec.FindFile()
		if specErr != nil {
			return
		}
		var r io.ReadCloser
		if r, specErr = ascspec.Open(specPath); specErr != nil {
			return
		}
		defer r.Close()
		specErr = json.NewDecoder(r).Decode(&specDoc)
	})
	if specErr != nil {
		t.Fatalf("loading OpenAPI spec (%s): %v", specPath, specErr)
	}
	return specDoc
}

// specGet walks keys through nested maps, resolving $ref on the way.
func specGet(spec map[string]any, node any, keys ...string) any {
	for _, k := range keys {
		node = specResolve(spec, node)
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return specResolve(spec, node)
}

// specResolve follows a local $ref.
func specResolve(spec map[string]any, node any) any {
	for i := 0; i < 16; i++ {
		m, ok := node.(map[string]any)
		if !ok {
			return node
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return node
		}
		var cur any = spec
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		node = cur
	}
	return node
}

// enumOf returns node's enum (or its items' enum), sorted.
func enumOf(spec map[string]any, node any) []string {
	m, _ := specResolve(spec, node).(map[string]any)
	if m == nil {
		return nil
	}
	e, ok := m["enum"].([]any)
	if !ok {
		if items := m["items"]; items != nil {
			return enumOf(spec, items)
		}
		return nil
	}
	out := make([]string, 0, len(e))
	for _, v := range e {
		s, _ := v.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func sortedStrs[T ~string](xs ...T) []string {
	out := strs(xs)
	sort.Strings(out)
	return out
}
