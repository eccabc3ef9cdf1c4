package catalog_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
)

func TestIgnoreRepo(t *testing.T) {
	s := seedDigestOrg(t)
	ctx := context.Background()
	got, err := s.IgnoreRepo(ctx, "ACME/misc/scratch/", " experiment ", "U123")
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != "acme/misc/scratch" || got.Reason != "experiment" || got.By != "U123" || !got.At.Equal(digestNow()) {
		t.Errorf("ignored: got %+v", got)
	}
	d, err := s.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Coverage.Ignored != 1 || d.Coverage.NoDescriptor != 4 || d.Coverage.Active != 11 {
		t.Errorf("coverage: got %+v, want one ignored and out of the active", d.Coverage)
	}
	for _, g := range d.Uncatalogued {
		for _, r := range g.Repos {
			if r.Path == "acme/misc/scratch" {
				t.Errorf("an ignored repo is still listed as uncatalogued")
			}
		}
	}
	ignored, err := s.IgnoredRepos(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ignored) != 1 || ignored[0].Path != "acme/misc/scratch" || ignored[0].WebURL == "" {
		t.Errorf("ignored repos: got %+v", ignored)
	}
	log, err := s.AuditLog(ctx, "acme/misc/scratch", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "repo.ignore" || log[0].Actor != "U123" || log[0].Detail["reason"] != "experiment" {
		t.Errorf("audit log: got %+v", log)
	}

	errTests := []struct {
		name         string
		path, reason string
		want         error
	}{
		{"no reason", "acme/misc/tmpl", "  ", catalog.ErrInvalid},
		{"unknown repo", "acme/nowhere", "why not", catalog.ErrNotFound},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.IgnoreRepo(ctx, tt.path, tt.reason, "U1"); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}

	back, err := s.UnignoreRepo(ctx, "acme/misc/scratch", "U456")
	if err != nil || back.Reason != "experiment" {
		t.Fatalf("unignore: got %+v, %v", back, err)
	}
	if _, err := s.UnignoreRepo(ctx, "acme/misc/scratch", "U456"); !errors.Is(err, catalog.ErrInvalid) {
		t.Errorf("unignore twice: got %v, want ErrInvalid", err)
	}
	if _, err := s.UnignoreRepo(ctx, "acme/nowhere", "U456"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("unignore unknown: got %v, want ErrNotFound", err)
	}
	if ignored, _ := s.IgnoredRepos(ctx); len(ignored) != 0 {
		t.Errorf("after unignore: got %+v, want none", ignored)
	}
	log, _ = s.AuditLog(ctx, "acme/misc/scratch", 10)
	if len(log) != 2 || log[0].Action != "repo.unignore" || log[0].Actor != "U456" {
		t.Errorf("audit log after unignore: got %+v", log)
	}
	// A sync of the repo keeps it ignored.
	if _, err := s.IgnoreRepo(ctx, "acme/misc/scratch", "sandbox", "U1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRepo(ctx, catalog.RepoSnapshot{Repo: catalog.Repo{GitLabID: 114, Path: "acme/misc/scratch", LastActivityAt: digestNow()}, DescriptorStatus: catalog.DescriptorMissing}); err != nil {
		t.Fatal(err)
	}
	if ignored, _ := s.IgnoredRepos(ctx); len(ignored) != 1 || ignored[0].Reason != "sandbox" {
		t.Errorf("after a sync: got %+v, want the repo still ignored", ignored)
	}
}
