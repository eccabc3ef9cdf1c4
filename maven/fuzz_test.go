package maven_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/maven"
)

// dirRepo is a Repository over a folder in the repository layout, without
// HTTP (for the fuzzer's speed).
type dirRepo struct{ fsys fs.FS }

func (d dirRepo) FetchPOM(_ context.Context, c maven.Coord) ([]byte, error) {
	data, err := fs.ReadFile(d.fsys, c.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, maven.ErrNotFound
	}
	return data, err
}

func (d dirRepo) Versions(_ context.Context, g, a string) ([]string, error) {
	entries, err := fs.ReadDir(d.fsys, strings.ReplaceAll(g, ".", "/")+"/"+a)
	if err != nil {
		return nil, maven.ErrNotFound
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out, nil
}

// FuzzResolve: any pom.xml, with a parent of any content beside it,
// resolves to a result or a *maven.Error, never a panic; a POM cut short
// is an error.
func FuzzResolve(f *testing.F) {
	for _, p := range fixturePOMs {
		data, err := os.ReadFile("testdata/projects/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, []byte{})
	}
	parent, _ := os.ReadFile("testdata/projects/multimodule/pom.xml")
	child, _ := os.ReadFile("testdata/projects/multimodule/service/pom.xml")
	f.Add(child, parent)
	r := &maven.Resolver{Repo: dirRepo{os.DirFS("testdata/repo")}}
	f.Fuzz(func(t *testing.T, pom, parent []byte) {
		ws := maven.Files{"m/pom.xml": pom, "pom.xml": parent}
		res, err := r.Resolve(context.Background(), ws, "m/pom.xml")
		if err != nil {
			var e *maven.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %T %v, want a *maven.Error", err, err)
			}
			return
		}
		if res == nil {
			t.Fatal("nil result without an error")
		}
		if i := strings.Index(string(pom), "</project>"); i > 0 && strings.Contains(string(pom), "<project") {
			if _, err := r.Resolve(context.Background(), maven.Files{"pom.xml": pom[:i]}, "pom.xml"); err == nil {
				t.Fatalf("a POM cut before </project> resolved")
			}
		}
	})
}
