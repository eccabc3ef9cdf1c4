module sbomcompare

go 1.26.3

require (
	github.com/CycloneDX/cyclonedx-go v0.12.0
	github.com/package-url/packageurl-go v0.1.5
	github.com/spdx/tools-golang v0.5.7
	github.com/switchboard-dev/switchboard v0.0.0
)

require (
	github.com/BurntSushi/toml v1.6.0 // indirect
	github.com/anchore/go-struct-converter v0.1.0 // indirect
	golang.org/x/mod v0.43.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

replace github.com/switchboard-dev/switchboard => ../../..
