package reposync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadmeParagraphRealREADMEs(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		// A heading, then the paragraph.
		{"prometheus.md", "Bedecke deinen Himmel, Zeus! A new kid is in town."},
		// An HTML logo, a badge, an advisory in a quote, then the paragraph,
		// its bold and line breaks folded.
		{"microservices-demo.md", "Online Boutique is a cloud-native microservices demo application. Online Boutique consists of a 10-tier microservices application. The application is a web-based e-commerce app where users can browse items, add them to the cart, and purchase them."},
		// "FIXME", reference-style badges, a list, <hr>; the link keeps its text.
		{"kubernetes.md", "Kubernetes is an open source system for managing containerized applications across multiple hosts, providing basic mechanisms for deployment, maintenance, and scaling of applications."},
		// reStructuredText: the first paragraph, before the first section.
		{"sphinx.rst", "This is the fork of Sphinx documentation generator, see http://sphinx-doc.org/. In this version implemented proposal from https://github.com/sphinx-doc/issues/759."},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "readme", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := ReadmeParagraph(tt.file, b); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestReadmeParagraph(t *testing.T) {
	long := strings.Repeat("word ", 200)
	tests := []struct {
		name, file, content, want string
	}{
		{"empty", "README.md", "", ""},
		{"only a heading", "README.md", "# checkout-api\n", ""},
		{"sample org's", "README.md", "# acme/payments/checkout-api\n", ""},
		{"front matter", "README.md", "---\ntitle: Ledger service docs\nowner: payments\n---\n\nThe ledger records every money movement twice.\n", "The ledger records every money movement twice."},
		{"comment and badges", "README.md", "<!-- generated: do not edit -->\n[![pipeline](https://gitlab/x/badges/main/pipeline.svg)](https://gitlab/x) ![cov](https://x/c.svg)\n\nSends invoices to customers every night.\n", "Sends invoices to customers every night."},
		{"setext heading", "README.md", "Billing\n=======\n\nThe billing service charges cards.\n", "The billing service charges cards."},
		{"code first", "README.md", "```\nmake run\n```\n\nRuns the nightly settlement of card payments.\n", "Runs the nightly settlement of card payments."},
		{"table and list skipped", "README.md", "| a | b |\n|---|---|\n| 1 | 2 |\n\n- one two three four\n\nDoes the real work here today.\n", "Does the real work here today."},
		{"code span kept", "README.md", "Wraps `libfoo` for the rest of us.\n", "Wraps libfoo for the rest of us."},
		{"hostile markup is text", "README.md", "Pages <!channel> & @here about <script>alert(1)</script> things.\n", "Pages <!channel> & @here about alert(1) things."}, // kept as text: renderers escape it,
		{"plain README", "README", "payments\n\nKeeps the books of every payment we take.\n", "Keeps the books of every payment we take."},
		{"txt", "readme.txt", "Title\n-----\n\n  indented literal block here\n\nThe first real paragraph of text.\n", "The first real paragraph of text."},
		{"rst directive", "README.rst", ".. image:: https://x/badge.svg\n   :target: https://x\n\nTalks to the card processors for us.\n", "Talks to the card processors for us."},
		{"cut", "README.md", long, strings.TrimSpace(long[:ReadmeMaxLen-1]) + "…"},
		{"invalid UTF-8", "README.md", "Stores \xff\xfe the receipts of every order.\n", "Stores \uFFFD the receipts of every order."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ReadmeParagraph(tt.file, []byte(tt.content))
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if len(got) > ReadmeMaxLen+len("…") {
				t.Errorf("%d bytes, over the cap", len(got))
			}
		})
	}
}

func TestPickReadme(t *testing.T) {
	tests := []struct {
		tree []string
		want string
	}{
		{[]string{"main.go", "README.md", "README"}, "README.md"},
		{[]string{"readme.rst", "docs/README.md"}, "readme.rst"},
		{[]string{"README", "readme.txt"}, "README"},
		{[]string{"docs/README.md", "main.go"}, ""},
		{nil, ""},
		{[]string{"Readme.MD"}, "Readme.MD"},
		{[]string{"README-dev.md", "README.md"}, "README.md"},
	}
	for _, tt := range tests {
		if got := pickReadme(tt.tree); got != tt.want {
			t.Errorf("pickReadme(%q) = %q, want %q", tt.tree, got, tt.want)
		}
	}
}
