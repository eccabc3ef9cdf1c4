package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/maven"
	"github.com/switchboard-dev/switchboard/standards"
)

func TestLoadMavenConfig(t *testing.T) {
	tests := []struct {
		value   string
		off     bool
		repos   []string
		wantErr string
	}{
		{"", false, nil, ""},
		{"off", true, nil, ""},
		{" OFF ", true, nil, ""},
		{"https://nexus.example.com/repository/maven-public/", false, []string{"https://nexus.example.com/repository/maven-public"}, ""},
		{"https://a.example/m2, https://repo.maven.apache.org/maven2", false, []string{"https://a.example/m2", "https://repo.maven.apache.org/maven2"}, ""},
		{"nexus.example.com", false, nil, "MAVEN_REPOSITORIES: maven repository 1"},
		{"https://a.example/m2,,https://b.example", false, nil, "MAVEN_REPOSITORIES: an empty entry"},
		{"https://a.example/m2?x=1", false, nil, "MAVEN_REPOSITORIES"},
	}
	for _, tt := range tests {
		c, err := loadMavenConfig(func(k string) string {
			if k == envMavenRepositories {
				return tt.value
			}
			return ""
		}, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: got %v, want an error containing %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.value, err)
			continue
		}
		var urls []string
		for _, r := range c.Repos {
			urls = append(urls, r.URL)
		}
		if c.Off != tt.off || strings.Join(urls, " ") != strings.Join(tt.repos, " ") {
			t.Errorf("%q: got off %v repos %v, want %v %v", tt.value, c.Off, urls, tt.off, tt.repos)
		}
	}
}

// TestMavenConfigFromStandards: the standards file's repositories are
// used unless MAVEN_REPOSITORIES is set; their credentials come from the
// variables they name, and a variable named but unset or empty is an
// error naming it, never showing any credential's value.
func TestMavenConfigFromStandards(t *testing.T) {
	std := &standards.Standards{Dependencies: standards.Dependencies{Maven: standards.Maven{Repositories: []standards.MavenRepository{
		{URL: "https://nexus.example.com/m2/", TokenEnv: "NEXUS_TOKEN", UsernameEnv: "NEXUS_USER"},
		{URL: "https://artifactory.example.com/maven", TokenEnv: "AF_TOKEN"},
		{URL: "https://repo.maven.apache.org/maven2"},
	}}}}
	secrets := map[string]string{"NEXUS_TOKEN": "nx-s3cret", "NEXUS_USER": "ci", "AF_TOKEN": "af-s3cret"}
	tests := []struct {
		name    string
		env     map[string]string
		std     *standards.Standards
		want    []maven.RemoteRepo
		off     bool
		wantErr []string
	}{
		{"from the standards file", nil, std, []maven.RemoteRepo{
			{URL: "https://nexus.example.com/m2", Token: "nx-s3cret", Username: "ci"},
			{URL: "https://artifactory.example.com/maven", Token: "af-s3cret"},
			{URL: "https://repo.maven.apache.org/maven2"},
		}, false, nil},
		{"no standards file: Maven Central", nil, nil, nil, false, nil},
		{"MAVEN_REPOSITORIES replaces them", map[string]string{envMavenRepositories: "https://mirror.example.com/m2"}, std,
			[]maven.RemoteRepo{{URL: "https://mirror.example.com/m2"}}, false, nil},
		{"off", map[string]string{envMavenRepositories: "off"}, std, nil, true, nil},
		{"a token unset", map[string]string{"AF_TOKEN": ""}, std, nil, false,
			[]string{"dependencies.maven.repositories[1] (https://artifactory.example.com/maven)", "AF_TOKEN", "not set or empty"}},
		{"a token blank, a user unset", map[string]string{"NEXUS_TOKEN": "  ", "NEXUS_USER": ""}, std, nil, false,
			[]string{"NEXUS_TOKEN", "NEXUS_USER", "repositories[0]"}},
		{"credentials in the URL", nil, &standards.Standards{Dependencies: standards.Dependencies{Maven: standards.Maven{Repositories: []standards.MavenRepository{
			{URL: "https://ci:inline-s3cret@nexus.example.com/m2"}}}}}, nil, false, []string{"credentials in the URL", "token_env"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range secrets {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			c, err := loadMavenConfig(func(k string) string { return env[k] }, tt.std)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("got %+v, want an error", c)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				for _, s := range []string{"nx-s3cret", "af-s3cret", "inline-s3cret"} {
					if strings.Contains(err.Error(), s) {
						t.Errorf("error %q shows a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Off != tt.off || !slices.Equal(c.Repos, tt.want) {
				t.Errorf("got off %v repos %+v, want %v %+v", c.Off, c.Repos, tt.off, tt.want)
			}
		})
	}
}

// TestMavenCredentialsMissingBeforeDatabase: serve and sync stop with exit
// 2, naming the variable, when the standards file names a credential's
// variable that is not set, before they touch the database.
func TestMavenCredentialsMissingBeforeDatabase(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "standards.yaml")
	yaml := "dependencies:\n  maven:\n    repositories:\n      - url: https://nexus.example.com/m2\n        token_env: NEXUS_TOKEN\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"DATABASE_URL":       "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=1",
		"SWITCHBOARD_CONFIG": cfg, "GITLAB_URL": "https://gitlab.example.com", "GITLAB_TOKEN": "glpat-x",
		envMavenRepositories: "",
	}
	tests := []struct {
		name string
		run  func(ctx context.Context, env *Env) int
	}{
		{"serve", func(ctx context.Context, env *Env) int { return runServe(ctx, nil, env) }},
		{"sync", func(ctx context.Context, env *Env) int { return run(ctx, []string{"sync"}, env) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			env, _, stderr := testEnv(t, vars)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if code := tt.run(ctx, env); code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr.String(), "NEXUS_TOKEN") || !strings.Contains(stderr.String(), "not set") {
				t.Errorf("stderr does not name NEXUS_TOKEN:\n%s", stderr)
			}
			if strings.Contains(stderr.String(), "127.0.0.1:1") || strings.Contains(stderr.String(), "migrat") {
				t.Errorf("touched the database before finding the configuration error:\n%s", stderr)
			}
		})
	}
}
