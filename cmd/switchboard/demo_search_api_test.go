package main

import (
	"context"
	"strings"
	"testing"
)

// TestDemoSearchProvidedAPI: through the demo's real sync of the sample
// organisation (descriptors read from the fake GitLab, relations stored,
// the search document refreshed by migration 027's triggers), /search
// finds permissions by the API it provides, and says so.
func TestDemoSearchProvidedAPI(t *testing.T) {
	env, out, errb := testEnv(t, map[string]string{})
	if code := run(context.Background(), []string{"demo", "--run", "/search permissions-api"}, env); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errb)
	}
	got := out.String()
	if !strings.Contains(got, `api: "permissions-api"`) {
		t.Errorf("/search permissions-api does not say the API matched:\n%s", got)
	}
}
