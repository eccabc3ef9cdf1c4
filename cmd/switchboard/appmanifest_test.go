package main

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestSlackAppManifestListsEveryCommand keeps the Slack app manifest and
// the router in step: a command the bot answers but Slack does not know
// could never be typed.
func TestSlackAppManifestListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			SlashCommands []struct {
				Command     string `yaml:"command"`
				Description string `yaml:"description"`
				UsageHint   string `yaml:"usage_hint"`
			} `yaml:"slash_commands"`
		} `yaml:"features"`
		Settings struct {
			SocketMode bool `yaml:"socket_mode_enabled"`
		} `yaml:"settings"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest is not valid YAML: %v", err)
	}
	inManifest := map[string]bool{}
	for _, c := range m.Features.SlashCommands {
		if c.Description == "" || len(c.Description) > 100 {
			t.Errorf("%s: description must be 1-100 chars", c.Command)
		}
		inManifest[c.Command] = true
	}
	for _, c := range newRouter(deps{}).Commands() {
		if c.Name == "/help" {
			continue
		}
		if !inManifest[c.Name] {
			t.Errorf("command %s is served but missing from slack-app-manifest.yaml", c.Name)
		}
	}
}
