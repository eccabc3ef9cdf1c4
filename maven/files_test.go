package maven_test

import (
	"testing"
	"testing/fstest"

	"github.com/switchboard-dev/switchboard/maven"
)

func TestFiles(t *testing.T) {
	f := maven.Files{"pom.xml": []byte("<project/>"), "a/pom.xml": []byte("x"), "a/b/pom.xml": []byte("y")}
	if err := fstest.TestFS(f, "pom.xml", "a/pom.xml", "a/b/pom.xml"); err != nil {
		t.Fatal(err)
	}
}
