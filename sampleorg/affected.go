package sampleorg

// The ground truth of the sample organisation: which repos each advisory
// of advisories/testdata affects, read from what the real package managers
// say of the repos' files (their outputs are kept in testdata/oracle/,
// how they were made in testdata/SOURCES.md), never from Switchboard's own
// parsers. /impact is held to it (cmd/switchboard/demo_impact_test.go).

// AffectedRepo is one sample repo an advisory affects, as the real package
// manager resolves the repo's dependency files.
type AffectedRepo struct {
	// Repo is the repo's GitLab path.
	Repo string
	// Package is the affected package as its ecosystem names it (Maven:
	// groupId:artifactId).
	Package string
	// Version is the version the repo resolves, as the file writes it.
	Version string
	// File is the dependency file the version is resolved from.
	File string
	// Direct says the repo declares the package itself (its version may
	// still come from a parent POM or an imported BOM).
	Direct bool
	// Via is the chain that brings a transitive package in, the repo's
	// direct dependency first, each step "name version" with the name as
	// Switchboard shows it (a Maven artifact without its group); empty
	// when Direct.
	Via []string
	// Archived marks a repo GitLab has archived: the catalog does not
	// sync archived repos, so /impact does not list it.
	Archived bool
	// Oracle is the real tool's output the row is read from, under
	// testdata/oracle/, or under testdata/acme/ for an SBOM committed in
	// the repo (the build's own account of what it resolved).
	Oracle string
}

// log4jCore are the repos whose resolved graph holds a log4j-core every
// Log4Shell advisory (GHSA-jfh8-c2jp-5v3q, GHSA-7rjr-3q55-vv33,
// GHSA-p6xc-xr62-6r2g, GHSA-8489-44mv-ggj8) affects: their ranges all hold
// 2.11.2 and 2.14.1 and none holds 2.17.1 (search-api and search-indexer,
// declared in build.gradle). Versions and paths: Maven 3.8.7's
// dependency:tree, offline, over the demo's Maven repository.
var log4jCore = []AffectedRepo{
	{Repo: "acme/identity/sso-bridge", Version: "2.11.2", Direct: true, Oracle: "acme/identity/sso-bridge/mvn-tree.txt"},
	{Repo: "acme/payments/payment-gateway", Version: "2.14.1", Direct: true, Oracle: "acme/payments/payment-gateway/mvn-tree.txt"},
	{Repo: "acme/payments/ledger", Version: "2.14.1", Direct: true, Oracle: "acme/payments/ledger/mvn-tree.txt"},
	{Repo: "acme/payments/payments-scripts", Version: "2.14.1", Direct: true, Oracle: "acme/payments/payments-scripts/mvn-tree.txt"},
	{Repo: "acme/legacy/old-billing", Version: "2.11.2", Direct: true, Archived: true, Oracle: "acme/legacy/old-billing/mvn-tree.txt"},
	// Only through Spring Boot's starter.
	{Repo: "acme/storefront/shipping-api", Version: "2.14.1", Via: []string{"spring-boot-starter-log4j2 2.6.1"}, Oracle: "acme/storefront/shipping-api/mvn-tree.txt"},
	// Declared without a version: 2.14.1 from example.acme:java-parent
	// 3.2.0, a parent POM in another repo (acme/platform/java-parent).
	{Repo: "acme/backoffice/invoice-service", Version: "2.14.1", Direct: true, Oracle: "acme/backoffice/invoice-service/mvn-tree.txt"},
	// Declared without a version: 2.14.1 from the imported log4j-bom.
	{Repo: "acme/identity/audit-trail", Version: "2.14.1", Direct: true, Oracle: "acme/identity/audit-trail/mvn-tree.txt"},
}

// sbomOracle is the SBOM-only Gradle repo's committed CycloneDX SBOM,
// under testdata/ (handwritten in cyclonedx-gradle-plugin's shape: no
// Gradle can run here; see depfile/testdata/sbom/SOURCES.md).
const sbomOracle = "acme/data/metrics-exporter/bom.json"

// Affected returns, by advisory id (the GHSA id of advisories/testdata),
// every sample repo the advisory affects, a row for each affected package
// it resolves. An advisory with no rows affects no sample repo: log4j 1.x,
// PyYAML (registry-janitor locks no PyYAML; the requirements.txt repos
// declare requests and fastapi only), nokogiri (email-sender's
// Gemfile.lock locks rails alone), regex (no Cargo.lock).
func Affected() map[string][]AffectedRepo {
	const log4jCorePkg = "org.apache.logging.log4j:log4j-core"
	core := func() []AffectedRepo {
		out := make([]AffectedRepo, 0, len(log4jCore)+1)
		for _, r := range log4jCore {
			r.Package, r.File = log4jCorePkg, "pom.xml"
			out = append(out, r)
		}
		// The SBOM-only Gradle repo (sbom.go): its committed CycloneDX
		// bom.json, dependencies from the build's root:
		// acme-metrics-client 3.2.0 > acme-logging 3.2.0 > log4j-core.
		return append(out, AffectedRepo{Repo: SBOMRepoPath, Package: log4jCorePkg, Version: "2.14.1", File: "bom.json",
			Via: []string{"acme-metrics-client 3.2.0", "acme-logging 3.2.0"}, Oracle: sbomOracle})
	}
	return map[string][]AffectedRepo{
		"GHSA-jfh8-c2jp-5v3q": core(), // CVE-2021-44228
		"GHSA-7rjr-3q55-vv33": core(), // CVE-2021-45046
		"GHSA-p6xc-xr62-6r2g": core(), // CVE-2021-45105
		"GHSA-8489-44mv-ggj8": core(), // CVE-2021-44832
		// minimist <1.2.6 (and <0.2.4).
		"GHSA-xvch-5gv4-984h": {
			// npm ls --all: notification-center > mkdirp@0.5.5 > minimist@1.2.5.
			{Repo: "acme/mobile/notification-center", Package: "minimist", Version: "1.2.5", File: "package-lock.json",
				Via: []string{"mkdirp 0.5.5"}, Oracle: "acme/mobile/notification-center/npm-ls.json"},
			// pnpm why minimist: mkdirp 0.5.1 > minimist 0.0.8.
			{Repo: "acme/storefront/label-printer", Package: "minimist", Version: "0.0.8", File: "pnpm-lock.yaml",
				Via: []string{"mkdirp 0.5.1"}, Oracle: "acme/storefront/label-printer/pnpm-why-minimist-lodash.txt"},
			// yarn (berry) why minimist -R: handlebars 4.0.14 > optimist
			// 0.6.1 > minimist 0.0.10 (its lodash is 4.18.1: not affected).
			{Repo: "acme/search/synonyms-editor", Package: "minimist", Version: "0.0.10", File: "yarn.lock",
				Via: []string{"handlebars 4.0.14", "optimist 0.6.1"}, Oracle: "acme/search/synonyms-editor/yarn-why-minimist-lodash.txt"},
		},
		// lodash <4.17.20. yarn why lodash: "@nestjs/swagger" depends on it.
		"GHSA-p6mc-m468-83gw": {
			{Repo: "acme/backoffice/partner-api", Package: "lodash", Version: "4.17.15", File: "yarn.lock",
				Via: []string{"@nestjs/swagger 4.5.12"}, Oracle: "acme/backoffice/partner-api/yarn-why-lodash.txt"},
		},
		// requests >=2.3.0 <2.31.0. poetry show --tree: docker 6.1.2 > requests.
		"GHSA-j8r2-6x86-q33q": {
			{Repo: "acme/platform/registry-janitor", Package: "requests", Version: "2.30.0", File: "poetry.lock",
				Via: []string{"docker 6.1.2"}, Oracle: "acme/platform/registry-janitor/poetry-show-tree.txt"},
		},
		// golang.org/x/net <0.17.0. go mod why -m: edge-certs >
		// golang.org/x/crypto/acme/autocert > golang.org/x/net/idna; go mod
		// graph: golang.org/x/crypto@v0.9.0 golang.org/x/net@v0.10.0. The
		// other Go services select x/net v0.20.0 (go list -m all).
		"GHSA-qppj-fm5r-hxr3": {
			{Repo: "acme/platform/edge-certs", Package: "golang.org/x/net", Version: "v0.10.0", File: "go.mod",
				Via: []string{"golang.org/x/crypto v0.9.0"}, Oracle: "acme/platform/edge-certs/go-mod-graph.txt"},
		},
		"GHSA-2qrg-x229-3v8q": nil, // log4j:log4j 1.x
		// Spring4Shell: spring-boot-starter-web <2.5.12, spring-webmvc and
		// spring-beans <5.3.18, all in the SBOM-only Gradle repo's
		// bom.json (dependencies from its root: spring-boot-starter-web
		// 2.5.6 > spring-webmvc 5.3.12; > spring-web 5.3.12 > spring-beans
		// 5.3.12).
		"GHSA-36p3-wjmg-h94x": {
			{Repo: SBOMRepoPath, Package: "org.springframework.boot:spring-boot-starter-web", Version: "2.5.6", File: "build.gradle",
				Direct: true, Oracle: sbomOracle},
			{Repo: SBOMRepoPath, Package: "org.springframework:spring-webmvc", Version: "5.3.12", File: "bom.json",
				Via: []string{"spring-boot-starter-web 2.5.6"}, Oracle: sbomOracle},
			{Repo: SBOMRepoPath, Package: "org.springframework:spring-beans", Version: "5.3.12", File: "bom.json",
				Via: []string{"spring-boot-starter-web 2.5.6", "spring-web 5.3.12"}, Oracle: sbomOracle},
		},
		"GHSA-8q59-q68h-6hv4": nil, // PyYAML
		"GHSA-crjr-9rc5-ghw8": nil, // nokogiri
		"GHSA-m5pq-gvj9-9vr8": nil, // regex (crates.io)
	}
}

// Judged returns, for every repo of GitLabOrg, how its part of the ground
// truth was established: the real tool's output under testdata/oracle/, or
// why no tool was run. A repo added to the organisation without an entry
// here fails the /impact test until its truth is written.
func Judged() map[string]string {
	m := map[string]string{}
	for _, r := range []string{
		"acme/data/events-pipeline", "acme/identity/audit-trail", "acme/identity/sso-bridge", "acme/identity/user-profile",
		"acme/legacy/old-billing", "acme/mobile/android-app", "acme/backoffice/invoice-service", "acme/payments/ledger",
		"acme/payments/payment-gateway", "acme/payments/payments-scripts", "acme/platform/java-parent", "acme/storefront/shipping-api",
	} {
		m[r] = r + "/mvn-tree.txt"
	}
	m["acme/mobile/notification-center"] = "acme/mobile/notification-center/npm-ls.json"
	m["acme/backoffice/partner-api"] = "acme/backoffice/partner-api/yarn-why-lodash.txt"
	m["acme/storefront/label-printer"] = "acme/storefront/label-printer/pnpm-why-minimist-lodash.txt"
	m["acme/search/synonyms-editor"] = "acme/search/synonyms-editor/yarn-why-minimist-lodash.txt"
	m["acme/platform/registry-janitor"] = "acme/platform/registry-janitor/poetry-show-tree.txt"
	m["acme/platform/edge-certs"] = "acme/platform/edge-certs/go-mod-graph.txt"
	// Every other go.mod requires the same two modules (addSources).
	for _, r := range []string{
		"acme/identity/auth-service", "acme/identity/permissions", "acme/payments/checkout-api", "acme/payments/pricing-engine",
		"acme/payments/refunds-worker", "acme/platform/deploy-bot", "acme/platform/logging-pipeline", "acme/platform/metrics-gateway",
		"acme/platform/service-mesh", "acme/search/crawler", "acme/search/synonyms", "acme/storefront/basket-service",
	} {
		m[r] = "acme/payments/checkout-api-go-list-m-all.txt"
	}
	for _, r := range []string{
		"acme/backoffice/backoffice-frontend", "acme/mobile/design-tokens", "acme/mobile/mobile-bff",
		"acme/storefront/product-pages", "acme/storefront/storefront-frontend",
	} {
		m[r] = "declared only: package.json (react ^18.2.0, log4js ^6.9.1), no lockfile to resolve"
	}
	for _, r := range []string{
		"acme/backoffice/inventory-sync", "acme/data/notebooks", "acme/data/reporting-api", "acme/data/warehouse-loader",
		"acme/payments/fraud-scoring", "acme/search/ranking-model",
	} {
		m[r] = "declared only: requirements.txt (requests==2.31.0, fastapi==0.110.0), no lock"
	}
	for _, r := range []string{"acme/search/search-api", "acme/search/search-indexer"} {
		m[r] = "declared only: build.gradle (log4j-core, log4j-api 2.17.1, jackson-databind 2.15.2), no lockfile"
	}
	m["acme/legacy/email-sender"] = "Gemfile.lock as written: rails 7.1.3 alone"
	for _, r := range []string{
		"acme/legacy/legacy-cron", "acme/mobile/ios-app", "acme/platform/ci-runners", "acme/platform/redis",
		"acme/platform/service-template", "acme/search/autocomplete",
	} {
		m[r] = "no dependency file"
	}
	m[SBOMRepoPath] = sbomOracle
	return m
}
