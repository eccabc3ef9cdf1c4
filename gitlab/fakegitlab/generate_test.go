package fakegitlab_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := fakegitlab.Generate(120, 7), fakegitlab.Generate(120, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate(120, 7) twice: got two different orgs, want the same")
	}
	c := fakegitlab.Generate(120, 8)
	if reflect.DeepEqual(a.Projects[len(a.Projects)-1], c.Projects[len(c.Projects)-1]) {
		t.Error("Generate with seeds 7 and 8: got the same last project, want different ones")
	}
}

func TestGenerateSmall(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		if got := len(fakegitlab.Generate(n, 1).Projects); got != n {
			t.Errorf("Generate(%d, 1): got %d projects, want %d", n, got, n)
		}
	}
}

func TestGenerateCheckoutAPI(t *testing.T) {
	org := fakegitlab.Generate(40, 1)
	var p *fakegitlab.Project
	for _, q := range org.Projects {
		if q.Path == "payments/checkout-api" {
			p = q
		}
	}
	if p == nil {
		t.Fatal("payments/checkout-api: got no such project, want one")
	}
	var doc struct {
		Kind     string
		Metadata struct{ Name string }
		Spec     struct{ Owner, Lifecycle, Type string }
	}
	if err := yaml.Unmarshal(p.Files["catalog-info.yaml"], &doc); err != nil {
		t.Fatalf("catalog-info.yaml: got %v, want valid YAML", err)
	}
	if doc.Kind != "Component" || doc.Metadata.Name != "checkout-api" || doc.Spec.Owner != "group:payments" {
		t.Errorf("descriptor: got kind %q name %q owner %q, want Component checkout-api group:payments", doc.Kind, doc.Metadata.Name, doc.Spec.Owner)
	}
	deps, err := depfile.Parse("pom.xml", p.Files["pom.xml"])
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range deps {
		if d.Name == "org.apache.logging.log4j:log4j-core" && d.Version == "2.14.1" {
			found = true
		}
	}
	if !found {
		t.Errorf("pom.xml: got %v, want log4j-core 2.14.1", deps)
	}
	if _, ok := p.Files["src/main/resources/log4j2.xml"]; !ok {
		t.Error("src/main/resources/log4j2.xml: got none, want one")
	}
}

// yamlDocs decodes every document of a YAML stream.
func yamlDocs(data []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var docs []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, err
		}
		docs = append(docs, d)
	}
}

func TestGenerateMix(t *testing.T) {
	org := fakegitlab.Generate(400, 1)
	kinds := map[string]int{}
	log4j := map[string]int{}
	var archived, forks int
	frontends := map[string]bool{}
	for _, p := range org.Projects {
		desc, l := fakegitlab.Describe(*p)
		kinds[desc]++
		log4j[l]++
		if p.Archived {
			archived++
		}
		if p.ForkedFrom != "" {
			forks++
		}
		if p.Slug() == "frontend" {
			frontends[p.Namespace()] = true
		}
		if n := len(p.Files); n < 10 || n > 220 {
			t.Errorf("%s: got %d files, want 10 to 200 or so", p.Path, n)
		}
		for path, data := range p.Files {
			if depfile.IsDependencyFile(path) {
				if _, err := depfile.Parse(path, data); err != nil {
					t.Errorf("%s: got %v, want a dependency file that parses", p.Path, err)
				}
			}
		}
		for _, name := range []string{"catalog-info.yaml", "opslevel.yml"} {
			data, ok := p.Files[name]
			if !ok {
				continue
			}
			docs, err := yamlDocs(data)
			switch {
			case desc == fakegitlab.DescBackstageSyntaxError && err == nil:
				t.Errorf("%s %s: got valid YAML, want a syntax error", p.Path, name)
			case desc != fakegitlab.DescBackstageSyntaxError && err != nil:
				t.Errorf("%s %s: got %v, want valid YAML", p.Path, name, err)
			case desc == fakegitlab.DescMonorepo && len(docs) < 3:
				t.Errorf("%s %s: got %d documents, want a system and two components or more", p.Path, name, len(docs))
			case desc == fakegitlab.DescTemplate && !strings.Contains(string(data), "${{ values.name }}"):
				t.Errorf("%s %s: got no ${{ values.name }}, want a template", p.Path, name)
			}
		}
	}
	for _, k := range []string{fakegitlab.DescBackstage, fakegitlab.DescOpsLevel, fakegitlab.DescNone, fakegitlab.DescBackstageNoOwner,
		fakegitlab.DescBackstageBadName, fakegitlab.DescBackstageSyntaxError, fakegitlab.DescOpsLevelNoOwner, fakegitlab.DescTemplate, fakegitlab.DescMonorepo} {
		if kinds[k] == 0 {
			t.Errorf("descriptor kind %s: got none, want some (kinds %v)", k, kinds)
		}
	}
	for _, v := range []string{"2.14.1", "2.17.1", "2.11.2"} {
		if log4j[v] == 0 {
			t.Errorf("log4j-core %s: got no project, want some (%v)", v, log4j)
		}
	}
	if archived == 0 || forks < 2 {
		t.Errorf("got %d archived and %d forks, want some of each", archived, forks)
	}
	if len(frontends) < 3 {
		t.Errorf("groups with a frontend project: got %v, want 3 or more", frontends)
	}
	if len(org.Groups) < 6 {
		t.Errorf("groups: got %d, want 6 or more", len(org.Groups))
	}
	for _, g := range org.Groups {
		if len(g.Members) == 0 {
			t.Errorf("group %s: got no members, want some", g.Path)
		}
		for _, m := range g.Members {
			if m.Username == "" || m.Name == "" || !strings.HasSuffix(m.Email, "@example.com") {
				t.Errorf("group %s: got member %+v, want username, name and email", g.Path, m)
			}
		}
	}
}

func BenchmarkGenerate6000(b *testing.B) {
	for b.Loop() {
		fakegitlab.Generate(6000, 1)
	}
}
