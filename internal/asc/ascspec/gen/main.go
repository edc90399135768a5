// Command gen writes ascspec's embedded subset (ops.json) from the full App
// Store Connect OpenAPI spec. Run it through go generate in
// internal/asc/ascspec, or as `go run ./internal/asc/ascspec/gen` from the
// module root. The spec is found like ascspec.FindFile (ASC_OPENAPI_SPEC, else
// ../shared/asc-openapi.json beside the module root) unless -spec is given.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ascbot/ascbot/internal/asc/ascspec"
)

func main() {
	specPath := flag.String("spec", "", "path to asc-openapi.json (default: ascspec.FindFile)")
	out := flag.String("out", "", "output file (default: internal/asc/ascspec/ops.json under the module root)")
	flag.Parse()
	if err := run(*specPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(specPath, out string) error {
	if specPath == "" {
		p, err := ascspec.FindFile()
		if err != nil {
			return fmt.Errorf("finding spec: %w", err)
		}
		specPath = p
	}
	full, err := ascspec.LoadFile(specPath)
	if err != nil {
		return err
	}
	b, err := ascspec.GenerateEmbedded(full)
	if err != nil {
		return fmt.Errorf("generating subset: %w", err)
	}
	if out == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		out = filepath.Join(root, "internal", "asc", "ascspec", "ops.json")
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Printf("wrote %s (%d bytes, %d operations, spec %s)\n", out, len(b), len(ascspec.Served), full.Version())
	return nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working dir: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working dir")
		}
		dir = parent
	}
}
