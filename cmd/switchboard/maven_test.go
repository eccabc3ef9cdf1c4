package main

import (
	"strings"
	"testing"
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
		})
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
