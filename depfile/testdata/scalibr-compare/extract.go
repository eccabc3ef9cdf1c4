// Package scalibrcompare measures github.com/google/osv-scalibr's lockfile
// extractors against Switchboard's depfile on the lockfiles of
// depfile/testdata: the packages and versions each finds, what each says of
// direct and transitive dependencies, speed, and (run.sh) binary size and
// dependencies. It is a module of its own so that the comparison never
// adds osv-scalibr's extractors to Switchboard's build.
package scalibrcompare

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"path/filepath"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gomod"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradlelockfile"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/gradleversioncatalog"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	scalibrfs "github.com/google/osv-scalibr/fs"
)

// Package is what either library found: a name, a version, and what it
// says of the graph.
type Package struct {
	Name, Version string
	Line          int
	// Direct is true, false, or unknown (Known false).
	Direct, Known bool
	// Parents counts the packages said to require this one.
	Parents int
}

// Extractors returns scalibr's extractor for a file name.
func Extractor(name string) (filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{}
	switch path.Base(name) {
	case "package-lock.json":
		return packagelockjson.New(cfg)
	case "yarn.lock":
		return yarnlock.New(cfg)
	case "pnpm-lock.yaml":
		return pnpmlock.New(cfg)
	case "poetry.lock":
		return poetrylock.New(cfg)
	case "Pipfile.lock":
		return pipfilelock.New(cfg)
	case "uv.lock":
		return uvlock.New(cfg)
	case "Cargo.lock":
		return cargolock.New(cfg)
	case "Gemfile.lock":
		return gemfilelock.New(cfg)
	case "composer.lock":
		return composerlock.New(cfg)
	case "gradle.lockfile":
		return gradlelockfile.New(cfg)
	case "libs.versions.toml":
		return gradleversioncatalog.New(cfg)
	case "packages.lock.json":
		return packageslockjson.New(cfg)
	case "go.mod":
		return gomod.New(cfg)
	}
	return nil, fmt.Errorf("no scalibr extractor for %s", name)
}

// Scalibr extracts the file at root/rel with scalibr.
func Scalibr(ctx context.Context, ex filesystem.Extractor, root, rel string, data []byte) ([]Package, error) {
	in := &filesystem.ScanInput{FS: scalibrfs.DirFS(root), Path: filepath.ToSlash(rel), Root: root, Reader: bytes.NewReader(data)}
	inv, err := ex.Extract(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("scalibr %s: %w", rel, err)
	}
	out := make([]Package, 0, len(inv.Packages))
	for _, p := range inv.Packages {
		q := Package{Name: p.Name, Version: p.Version, Parents: len(p.ParentIDs)}
		if d := p.Location.Descriptor; d != nil && d.File != nil {
			q.Line = d.File.LineNumber
		}
		out = append(out, q)
	}
	return out, nil
}
