package sampleorg

// SBOMRepoPath is the sample organisation's SBOM-only Gradle repo: a
// service of the Data team whose build.gradle names its dependencies
// without versions (they come from the Acme platform BOM, whose version
// is a Gradle property, and from Spring Boot's plugin), so that reading
// the script cannot tell what is resolved; the CycloneDX SBOM committed
// beside it (cyclonedx-gradle-plugin's bom.json) can: log4j-core 2.14.1,
// transitive through com.acme.platform:acme-metrics-client 3.2.0 and
// acme-logging 3.2.0, and Spring Framework 5.3.12 through
// spring-boot-starter-web 2.5.6.
const SBOMRepoPath = "acme/data/metrics-exporter"

// sbomDescriptor is the repo's Backstage descriptor.
const sbomDescriptor = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: metrics-exporter
  description: "Exports the data platform's job metrics to Prometheus."
  annotations:
    gitlab.com/project-slug: acme/data/metrics-exporter
spec:
  type: service
  lifecycle: production
  owner: group:data
  tier: "3"
  language: java
  framework: spring-boot
`

// SBOMRepo returns the SBOM-only Gradle repo (SBOMRepoPath) as GitLabOrg
// adds a repo: its path, its files (the descriptor, build.gradle,
// gradle.properties, settings.gradle, the committed bom.json and a source
// file, from testdata/acme/data/metrics-exporter), and false for not
// archived: add(SBOMRepo()).
func SBOMRepo() (path string, files map[string][]byte, archived bool) {
	files = map[string][]byte{
		"catalog-info.yaml": []byte(sbomDescriptor),
		"docs/index.md":     []byte("# metrics-exporter\n"),
	}
	if err := addFixture(files, SBOMRepoPath); err != nil {
		panic(err) // the embedded files are the binary's own: a bug
	}
	return SBOMRepoPath, files, false
}
