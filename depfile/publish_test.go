package depfile_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

func TestPublishes(t *testing.T) {
	tests := []struct {
		name, path, data string
		want             depfile.Published
		ok               bool
	}{
		{"pom", "lib/pom.xml", "<project>\n  <groupId>example.acme</groupId>\n  <artifactId>acme-logging</artifactId>\n</project>\n",
			depfile.Published{Ecosystem: "maven", Name: "example.acme:acme-logging", File: "lib/pom.xml", Line: 3}, true},
		{"pom inherits its groupId", "pom.xml", "<project>\n <parent>\n  <groupId>example.acme</groupId>\n  <artifactId>java-parent</artifactId>\n </parent>\n <artifactId>audit</artifactId>\n <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId></dependency></dependencies>\n</project>",
			depfile.Published{Ecosystem: "maven", Name: "example.acme:audit", File: "pom.xml", Line: 6}, true},
		{"pom with a property coordinate", "pom.xml", "<project><groupId>${g}</groupId><artifactId>a</artifactId></project>", depfile.Published{}, false},
		{"malformed pom", "pom.xml", "<project><groupId>g</groupId>", depfile.Published{}, false},
		{"package.json", "web/package.json", "{\n  \"version\": \"1.0.0\",\n  \"name\": \"@acme/ui-kit\"\n}",
			depfile.Published{Ecosystem: "npm", Name: "@acme/ui-kit", File: "web/package.json", Line: 3}, true},
		{"workspace root", "package.json", `{"name": "acme-monorepo", "private": true, "workspaces": ["packages/*"]}`, depfile.Published{}, false},
		{"package.json without a name", "package.json", `{"dependencies": {"a": "1"}}`, depfile.Published{}, false},
		{"malformed package.json", "package.json", `{"name": `, depfile.Published{}, false},
		{"go.mod", "go.mod", "module example.acme/authclient\n\ngo 1.22\n",
			depfile.Published{Ecosystem: "go", Name: "example.acme/authclient", File: "go.mod", Line: 1}, true},
		{"go.mod without module", "go.mod", "go 1.22\n", depfile.Published{}, false},
		{"lockfile", "package-lock.json", `{"name": "x"}`, depfile.Published{}, false},
		{"vendored", "node_modules/x/package.json", `{"name": "x"}`, depfile.Published{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := depfile.Publishes(tt.path, []byte(tt.data))
			if got != tt.want || ok != tt.ok {
				t.Errorf("Publishes(%s) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
			}
		})
	}
}
