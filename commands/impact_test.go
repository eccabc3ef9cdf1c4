package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
)

func TestImpact(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	repo := func(id int64, path, svc, team, version, file string, files ...string) {
		t.Helper()
		snap := catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: id, Path: path, WebURL: "https://gitlab/" + path},
			Files:            files,
			DescriptorStatus: catalog.DescriptorMissing,
		}
		if version != "-" {
			snap.Dependencies = []catalog.Dependency{{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: version, File: file}}
		}
		if svc != "" {
			snap.DescriptorStatus = catalog.DescriptorOK
			snap.Entities = []manifest.Entity{{Kind: manifest.KindComponent, Name: svc, Namespace: "default", Owner: "group:" + team}}
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	repo(1, "acme/payments/gateway", "payment-gateway", "payments", "2.14.1", "pom.xml", "pom.xml", "src/main/resources/log4j2.xml")
	repo(2, "acme/search/api", "search-api", "search", "2.17.1", "build.gradle", "build.gradle")
	repo(3, "acme/data/old-etl", "", "", "2.11.2", "etl/pom.xml", "etl/pom.xml", "etl/log4j2.xml")
	repo(4, "acme/data/managed", "", "", "", "pom.xml", "pom.xml")
	repo(5, "acme/web/shop", "shop", "web", "-", "", "package.json")

	r := commands.NewRouter(nil, 0)
	r.Register(commands.Impact(s))
	tests := []struct {
		text    string
		want    []string
		notWant []string
	}{
		{"log4j-core", []string{"log4j-core: 4 repos, 2 services, 2 teams", "Team payments", "payment-gateway", "2.14.1", "Team search", "owner unknown", "acme/data/old-etl"}, []string{"shop"}},
		{"log4j-core <2.17.1", []string{"log4j-core <2.17.1: 2 repos, 1 services, 1 teams", "payment-gateway", "acme/data/old-etl", "Version not known", "acme/data/managed"}, []string{"search-api"}},
		{"log4j-core >= 2.17.1", []string{"1 repos", "search-api"}, []string{"payment-gateway"}},
		{"file:log4j2.xml", []string{"2 repos", "src/main/resources/log4j2.xml", "etl/log4j2.xml"}, nil},
		{"log4j-core <=banana", []string{"is not a version constraint"}, nil},
		{"left-pad", []string{"no repo found"}, nil},
		{"", []string{"Usage"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			resp, err := r.Dispatch(ctx, commands.Request{Command: "/impact", Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}
