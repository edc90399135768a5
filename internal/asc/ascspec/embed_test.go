package ascspec_test

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

// TestEmbeddedUpToDate regenerates ops.json from the full spec in memory and
// requires byte equality with the committed file, so drift fails.
func TestEmbeddedUpToDate(t *testing.T) {
	s := full(t)
	want, err := ascspec.GenerateEmbedded(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("ops.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("ops.json is stale (%d bytes, regenerated %d); run: go generate ./internal/asc/ascspec", len(got), len(want))
	}
}

func TestEmbeddedHoldsExactlyServed(t *testing.T) {
	emb := ascspec.Embedded()
	ops := emb.Operations()
	if len(ops) != len(ascspec.Served) {
		t.Fatalf("embedded has %d operations, Served lists %d", len(ops), len(ascspec.Served))
	}
	for _, k := range ascspec.Served {
		if _, ok := emb.Operation(k.Method, concrete(k.Path)); !ok {
			t.Errorf("embedded lacks %s %s", k.Method, k.Path)
		}
	}
	if emb.Version() != "4.4.1" {
		t.Fatalf("embedded version = %q", emb.Version())
	}
}

// concrete turns a template into a concrete path.
func concrete(p string) string {
	return strings.ReplaceAll(p, "{id}", "ID-1")
}

// TestEmbeddedMatchesFull: the subset answers like the full spec for every
// served operation, enum and resource it keeps.
func TestEmbeddedMatchesFull(t *testing.T) {
	f := full(t)
	emb := ascspec.Embedded()
	for _, k := range ascspec.Served {
		t.Run(k.Method+" "+k.Path, func(t *testing.T) {
			fo, ok1 := f.Operation(k.Method, concrete(k.Path))
			eo, ok2 := emb.Operation(k.Method, concrete(k.Path))
			if !ok1 || !ok2 {
				t.Fatalf("full %v, embedded %v", ok1, ok2)
			}
			if !reflect.DeepEqual(fo, eo) {
				t.Fatalf("operations differ:\nfull     %+v\nembedded %+v", fo, eo)
			}
			ft, _ := f.MatchPath(concrete(k.Path))
			et, _ := emb.MatchPath(concrete(k.Path))
			if ft != et || !reflect.DeepEqual(f.Methods(ft), emb.Methods(et)) {
				t.Fatalf("path match differs: %s %v vs %s %v", ft, f.Methods(ft), et, emb.Methods(et))
			}
			if fo.Response != nil && fo.Response.Schema != "" {
				fr, _ := f.Resource(fo.Response.Schema)
				er, ok := emb.Resource(fo.Response.Schema)
				if !ok || !reflect.DeepEqual(fr, er) {
					t.Fatalf("resource %s differs", fo.Response.Schema)
				}
			}
		})
	}
	for _, name := range ascspec.EmbeddedEnums {
		if !reflect.DeepEqual(f.Enum(name), emb.Enum(name)) {
			t.Errorf("enum %s differs", name)
		}
	}
	for _, k := range ascspec.EmbeddedSchemaEnums {
		if !reflect.DeepEqual(f.SchemaEnum(k.Schema, k.Path), emb.SchemaEnum(k.Schema, k.Path)) {
			t.Errorf("schema enum %s %s differs", k.Schema, k.Path)
		}
	}
}

func TestEmbeddedIsCompact(t *testing.T) {
	info, err := os.Stat("ops.json")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 400_000 {
		t.Fatalf("ops.json is %d bytes; the subset should stay compact", info.Size())
	}
}
