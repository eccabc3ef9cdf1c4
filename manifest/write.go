package manifest

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// BackstageYAML writes a Component entity as a Backstage catalog-info.yaml
// that Parse reads back to the same entity: what /service add commits to a
// repo. Only the fields a service registration sets are written.
func BackstageYAML(e Entity) []byte {
	type link struct {
		URL   string `yaml:"url"`
		Title string `yaml:"title,omitempty"`
		Type  string `yaml:"type,omitempty"`
	}
	type metadata struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace,omitempty"`
		Title       string            `yaml:"title,omitempty"`
		Description string            `yaml:"description,omitempty"`
		Tags        []string          `yaml:"tags,omitempty"`
		Annotations map[string]string `yaml:"annotations,omitempty"`
		Links       []link            `yaml:"links,omitempty"`
	}
	type spec struct {
		Type      string `yaml:"type"`
		Lifecycle string `yaml:"lifecycle"`
		Owner     string `yaml:"owner"`
		System    string `yaml:"system,omitempty"`
		Tier      string `yaml:"tier,omitempty"`
		Language  string `yaml:"language,omitempty"`
		Framework string `yaml:"framework,omitempty"`
	}
	doc := struct {
		APIVersion string   `yaml:"apiVersion"`
		Kind       string   `yaml:"kind"`
		Metadata   metadata `yaml:"metadata"`
		Spec       spec     `yaml:"spec"`
	}{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       KindComponent,
		Metadata: metadata{
			Name: e.Name, Title: e.Title, Description: e.Description, Tags: e.Tags, Annotations: e.Annotations,
		},
		Spec: spec{Type: e.Type, Lifecycle: e.Lifecycle, Owner: e.Owner, System: e.System, Tier: e.Tier, Language: e.Language, Framework: e.Framework},
	}
	if e.Namespace != "" && e.Namespace != DefaultNamespace {
		doc.Metadata.Namespace = e.Namespace
	}
	for _, l := range e.Links.All() {
		doc.Metadata.Links = append(doc.Metadata.Links, link{URL: l.URL, Title: l.Title, Type: l.Type})
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	_ = enc.Encode(doc) // a struct of strings always encodes
	_ = enc.Close()
	return buf.Bytes()
}
