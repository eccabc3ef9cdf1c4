package standards

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-dev/switchboard/manifest"
)

// Rule names of the findings about a standards file.
const (
	// RuleConfigSyntax: the file is not valid YAML.
	RuleConfigSyntax = "config-syntax"
	// RuleConfigUnknownKey: a key the standards file does not have.
	RuleConfigUnknownKey = "config-unknown-key"
	// RuleConfigType: a value has the wrong type.
	RuleConfigType = "config-type"
	// RuleConfigValue: a value is invalid (bad regexp, cron, time zone, rule...).
	RuleConfigValue = "config-value"
	// RuleConfigDuplicate: a value is listed twice.
	RuleConfigDuplicate = "config-duplicate"
)

// maxFileSize is the largest standards file read.
const maxFileSize = 1 << 20

func topKeys() []string {
	return []string{"version", "lifecycles", "tiers", "languages", "frameworks", "databases", "naming",
		"required", "enforce", "gitlab", "digest", "paging", "campaigns", "api", "onboarding", "dependencies", "scorecard", "incidents"}
}

// decoder collects the findings of one standards file.
type decoder struct {
	path     string
	findings []manifest.Finding
}

func (d *decoder) add(rule string, sev manifest.Severity, n *yaml.Node, msg, fix string) {
	line, col := 1, 1
	if n != nil {
		line, col = max(n.Line, 1), max(n.Column, 1)
	}
	d.findings = append(d.findings, manifest.Finding{
		Path: d.path, Line: line, Col: col, Severity: sev, Rule: rule, Message: msg, Fix: fix,
	})
}

func (d *decoder) errorf(rule string, n *yaml.Node, fix, format string, args ...any) {
	d.add(rule, manifest.SeverityError, n, fmt.Sprintf(format, args...), fix)
}

func (d *decoder) warnf(rule string, n *yaml.Node, fix, format string, args ...any) {
	d.add(rule, manifest.SeverityWarning, n, fmt.Sprintf(format, args...), fix)
}

// decode reads data over base: sections present in data replace base's.
func decode(path string, data []byte, base *Standards) (*Standards, []manifest.Finding) {
	s, findings, _ := decodeSplit(path, data, base)
	return s, findings
}

// decodeSplit is decode that also returns, apart, the findings of the
// scorecard section (a subset of the findings).
func decodeSplit(path string, data []byte, base *Standards) (*Standards, []manifest.Finding, []manifest.Finding) {
	s, findings, score := decodeFile(path, data, base)
	sortFindings(findings)
	sortFindings(score)
	return s, findings, score
}

func sortFindings(findings []manifest.Finding) {
	slices.SortStableFunc(findings, func(a, b manifest.Finding) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// decodeFile reads data over base; it returns every finding, and those of
// the scorecard section apart, unsorted.
func decodeFile(path string, data []byte, base *Standards) (*Standards, []manifest.Finding, []manifest.Finding) {
	s := base
	if s.Enforce == nil {
		s.Enforce = map[string]manifest.Severity{}
	}
	d := &decoder{path: path}
	if len(data) > maxFileSize {
		d.errorf(RuleConfigValue, nil, "keep the standards file under 1 MiB", "file is larger than %d bytes: not read", maxFileSize)
		return s, d.findings, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		d.add(RuleConfigValue, manifest.SeverityInfo, nil, "the standards file is empty: the defaults apply", "")
		return s, d.findings, nil
	}
	if err != nil {
		d.syntaxError(data, err)
		return s, d.findings, nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.warnf(RuleConfigValue, &extra, "keep the standards in one document", "only the first YAML document of the standards file is read")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if isNull(root) {
		d.add(RuleConfigValue, manifest.SeverityInfo, root, "the standards file is empty: the defaults apply", "")
		return s, d.findings, nil
	}
	if kindOf(root) != yaml.MappingNode {
		d.errorf(RuleConfigType, root, "start with `version: 1` and the sections of the default file", "the standards file must be a mapping, got %s", typeName(root))
		return s, d.findings, nil
	}
	var scorecardPair *pair
	for _, p := range pairs(root) {
		switch key := keyText(p.key); key {
		case "scorecard":
			// Read last: its applies_to is checked against this file's
			// tiers and lifecycles, wherever they are.
			scorecardPair = &p
		case "version":
			if !isScalar(p.val) || strings.TrimSpace(value(p.val)) != "1" {
				d.errorf(RuleConfigValue, p.val, "write `version: 1`", "version must be 1, got %s", typeName(p.val))
			}
		case "lifecycles":
			s.Lifecycles = d.options(key, p.val)
		case "tiers":
			s.Tiers = d.options(key, p.val)
		case "languages":
			s.Languages = d.options(key, p.val)
		case "frameworks":
			s.Frameworks = d.options(key, p.val)
		case "databases":
			s.Databases = d.options(key, p.val)
		case "naming":
			d.naming(&s.Naming, p.val)
		case "required":
			s.Required = d.required(p.val)
		case "enforce":
			d.enforce(s.Enforce, p.val)
		case "gitlab":
			d.gitlab(&s.GitLab, p.val)
		case "digest":
			d.digest(&s.Digest, p.val)
		case "paging":
			d.section("paging", p.val, map[string]func(*yaml.Node){
				"allowed_usergroups": func(v *yaml.Node) { s.Paging.AllowedUsergroups = d.stringList("paging.allowed_usergroups", v) },
			})
		case "campaigns":
			d.section("campaigns", p.val, map[string]func(*yaml.Node){
				"allowed_usergroups": func(v *yaml.Node) {
					s.Campaigns.AllowedUsergroups = d.stringList("campaigns.allowed_usergroups", v)
				},
			})
		case "api":
			d.section("api", p.val, map[string]func(*yaml.Node){
				"token_admins_usergroups": func(v *yaml.Node) {
					s.API.TokenAdminsUsergroups = d.stringList("api.token_admins_usergroups", v)
				},
			})
		case "onboarding":
			d.section("onboarding", p.val, map[string]func(*yaml.Node){
				"checklist": func(v *yaml.Node) { s.Onboarding.Checklist = d.checklist(v) },
			})
		case "dependencies":
			d.dependencies(&s.Dependencies, p.val)
		case "incidents":
			d.incidents(&s.Incidents, p.val)
		default:
			d.unknownKey("", key, p.key, topKeys())
		}
	}
	var score []manifest.Finding
	if scorecardPair != nil {
		before := len(d.findings)
		d.scorecard(s, scorecardPair.key, scorecardPair.val)
		score = slices.Clone(d.findings[before:])
	}
	return s, d.findings, score
}

func (d *decoder) syntaxError(data []byte, err error) {
	line, col, msg := manifest.SyntaxErrorPos(data, err)
	d.add(RuleConfigSyntax, manifest.SeverityError, &yaml.Node{Line: line, Column: col}, "YAML syntax error: "+msg,
		"check the indentation and quoting near this line")
}

func (d *decoder) unknownKey(section, key string, n *yaml.Node, known []string) {
	p := key
	if section != "" {
		p = section + "." + key
	}
	fix := "remove it; known keys: " + strings.Join(known, ", ")
	msg := fmt.Sprintf("unknown key %s", clip(p))
	if m := manifest.DidYouMean(key, known); m != "" {
		msg += fmt.Sprintf(": did you mean %s?", m)
		fix = fmt.Sprintf("rename `%s` to `%s`", clip(key), m)
	}
	d.warnf(RuleConfigUnknownKey, n, fix, "%s", msg)
}

// section reads a mapping whose keys are handled by fields.
func (d *decoder) section(name string, v *yaml.Node, fields map[string]func(*yaml.Node)) {
	if isNull(v) {
		return
	}
	if kindOf(v) != yaml.MappingNode {
		d.errorf(RuleConfigType, v, "indent the section's keys under `"+name+":`", "%s must be a mapping, got %s", name, typeName(v))
		return
	}
	known := slices.Sorted(maps.Keys(fields))
	for _, p := range pairs(v) {
		key := keyText(p.key)
		if f, ok := fields[key]; ok {
			f(p.val)
			continue
		}
		d.unknownKey(name, key, p.key, known)
	}
}

// norm is how values are compared for duplicates: as manifest.Vocabulary does.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '.', '\t':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// options reads a list of values or {value, label, aliases}.
func (d *decoder) options(field string, v *yaml.Node) []Option {
	out := []Option{}
	if isNull(v) {
		return out
	}
	if kindOf(v) != yaml.SequenceNode {
		d.errorf(RuleConfigType, v, "write one `- value` per line", "%s must be a list, got %s", field, typeName(v))
		return out
	}
	type first struct {
		node   *yaml.Node
		option int
	}
	seen := map[string]first{}
	for i, it := range items(v) {
		ip := fmt.Sprintf("%s[%d]", field, i)
		var o Option
		var spellings []*yaml.Node
		switch {
		case isScalar(it):
			o.Value = strings.TrimSpace(value(it))
			spellings = append(spellings, it)
		case kindOf(it) == yaml.MappingNode:
			for _, p := range pairs(it) {
				switch key := keyText(p.key); key {
				case "value":
					o.Value = d.str(ip+".value", p.val)
					spellings = append(spellings, p.val)
				case "label":
					o.Label = d.str(ip+".label", p.val)
				case "aliases":
					for j, a := range d.list(ip+".aliases", p.val) {
						if s := d.scalar(fmt.Sprintf("%s.aliases[%d]", ip, j), a); s != "" {
							o.Aliases = append(o.Aliases, s)
							spellings = append(spellings, a)
						}
					}
				default:
					d.unknownKey(ip, key, p.key, []string{"value", "label", "aliases"})
				}
			}
		default:
			d.errorf(RuleConfigType, it, "write `- production` or `- {value: production, label: Production}`", "%s must be a value or a mapping, got %s", ip, typeName(it))
			continue
		}
		if o.Value == "" {
			d.errorf(RuleConfigValue, it, "give the entry a value", "%s has no value", ip)
			continue
		}
		// A spelling may repeat its own entry's value (tier-1, tier_1), not another's.
		for _, sp := range spellings {
			k := norm(value(sp))
			if f, dup := seen[k]; dup && f.option != i {
				d.warnf(RuleConfigDuplicate, sp, "remove the repeated value", "%s %q is listed twice (first at line %d)", field, clip(value(sp)), f.node.Line)
				continue
			}
			seen[k] = first{sp, i}
		}
		out = append(out, o)
	}
	return out
}

func (d *decoder) naming(n *Naming, v *yaml.Node) {
	d.section("naming", v, map[string]func(*yaml.Node){
		"pattern": func(v *yaml.Node) {
			n.Pattern = d.str("naming.pattern", v)
			n.re = nil
			if n.Pattern == "" {
				return
			}
			re, err := regexp.Compile(n.Pattern)
			if err != nil {
				d.errorf(RuleConfigValue, v, "fix the regular expression (Go RE2 syntax), e.g. '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'", "naming.pattern is not a valid regular expression: %v", err)
				return
			}
			n.re = re
		},
		"reserved": func(v *yaml.Node) { n.Reserved = d.stringList("naming.reserved", v) },
		"default_name": func(v *yaml.Node) {
			n.DefaultName = d.str("naming.default_name", v)
			d.nameTemplate(n.DefaultName, v)
		},
	})
}

var placeholderRe = regexp.MustCompile(`\{[^{}]*\}`)

// nameTemplate checks the placeholders of naming.default_name.
func (d *decoder) nameTemplate(tmpl string, v *yaml.Node) {
	if tmpl == "" {
		return
	}
	for _, ph := range placeholderRe.FindAllString(tmpl, -1) {
		switch ph {
		case "{team}", "{purpose}", "{name}":
		default:
			d.errorf(RuleConfigValue, v, "use {team} and {purpose}, e.g. '{team}-{purpose}'", "naming.default_name has an unknown placeholder %s", clip(ph))
		}
	}
	if !strings.Contains(tmpl, "{purpose}") && !strings.Contains(tmpl, "{name}") {
		d.warnf(RuleConfigValue, v, "use {team} and {purpose}, e.g. '{team}-{purpose}'", "naming.default_name has no {purpose}: every default name would be the same")
	}
}

func (d *decoder) required(v *yaml.Node) []string {
	out := []string{}
	known := manifest.RequiredFields()
	for i, it := range d.list("required", v) {
		s := d.scalar(fmt.Sprintf("required[%d]", i), it)
		if s == "" {
			continue
		}
		if !slices.Contains(known, s) {
			fix := "use one of: " + strings.Join(known, ", ")
			if m := manifest.DidYouMean(s, known); m != "" {
				fix = fmt.Sprintf("did you mean `%s`?", m)
			}
			d.errorf(RuleConfigValue, it, fix, "required field %q is not one Switchboard knows", clip(s))
			continue
		}
		if slices.Contains(out, s) {
			d.warnf(RuleConfigDuplicate, it, "remove the repeated value", "required field %q is listed twice", s)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) enforce(into map[string]manifest.Severity, v *yaml.Node) {
	if isNull(v) {
		return
	}
	if kindOf(v) != yaml.MappingNode {
		d.errorf(RuleConfigType, v, "write one `rule: severity` per line", "enforce must be a mapping of rule: severity, got %s", typeName(v))
		return
	}
	var names []string
	for _, r := range manifest.KnownRules() {
		names = append(names, r.Name)
	}
	for _, p := range pairs(v) {
		rule := keyText(p.key)
		info, ok := manifest.LookupRule(rule)
		if !ok {
			fix := "see `switchboard lint` findings for rule names, e.g. unknown-key, lifecycle, naming"
			if m := manifest.DidYouMean(rule, names); m != "" {
				fix = fmt.Sprintf("did you mean `%s`?", m)
			}
			d.errorf(RuleConfigValue, p.key, fix, "enforce: %q is not a rule Switchboard checks", clip(rule))
			continue
		}
		if !isScalar(p.val) {
			d.errorf(RuleConfigType, p.val, "write error, warning, info or off", "enforce.%s must be a severity, got %s", rule, typeName(p.val))
			continue
		}
		sev, err := manifest.ParseSeverity(value(p.val))
		if err != nil {
			d.errorf(RuleConfigValue, p.val, "write error, warning, info or off", "enforce.%s: %q is not a severity", rule, clip(value(p.val)))
			continue
		}
		if info.Fixed {
			d.warnf(RuleConfigValue, p.key, "remove the line", "enforce.%s: %s is one of Backstage's own rules and always an error; this setting is ignored", rule, rule)
			continue
		}
		into[rule] = sev
	}
}

func (d *decoder) gitlab(g *GitLab, v *yaml.Node) {
	d.section("gitlab", v, map[string]func(*yaml.Node){
		"groups":        func(v *yaml.Node) { g.Groups = d.stringList("gitlab.groups", v) },
		"skip_forks":    func(v *yaml.Node) { g.SkipForks = d.boolean("gitlab.skip_forks", v, g.SkipForks) },
		"skip_archived": func(v *yaml.Node) { g.SkipArchived = d.boolean("gitlab.skip_archived", v, g.SkipArchived) },
		"ignore": func(v *yaml.Node) {
			g.Ignore = d.stringList("gitlab.ignore", v)
			for i, it := range items(v) {
				if _, err := path.Match(value(it), ""); err != nil && isScalar(it) {
					d.errorf(RuleConfigValue, it, "fix the pattern: * matches within a group, group/** everything under it", "gitlab.ignore[%d] %q is not a valid pattern: %v", i, clip(value(it)), err)
				}
			}
		},
	})
}

func (d *decoder) digest(g *Digest, v *yaml.Node) {
	d.section("digest", v, map[string]func(*yaml.Node){
		"channel": func(v *yaml.Node) { g.Channel = strings.TrimPrefix(d.str("digest.channel", v), "#") },
		"schedule": func(v *yaml.Node) {
			g.Schedule = d.str("digest.schedule", v)
			if err := validCron(g.Schedule); err != nil {
				d.errorf(RuleConfigValue, v, `write five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"`, "digest.schedule %q is not a valid cron expression: %v", clip(g.Schedule), err)
			}
		},
		"timezone": func(v *yaml.Node) {
			g.Timezone = d.str("digest.timezone", v)
			if _, err := time.LoadLocation(g.Timezone); err != nil || g.Timezone == "Local" {
				fix := "use an IANA time zone such as UTC or Europe/Paris"
				d.errorf(RuleConfigValue, v, fix, "digest.timezone %q is not a time zone", clip(g.Timezone))
			}
		},
	})
}

func (d *decoder) dependencies(deps *Dependencies, v *yaml.Node) {
	d.section("dependencies", v, map[string]func(*yaml.Node){
		"maven": func(v *yaml.Node) {
			d.section("dependencies.maven", v, map[string]func(*yaml.Node){
				"repositories": func(v *yaml.Node) { deps.Maven.Repositories = d.mavenRepositories(v) },
			})
		},
		"sbom": func(v *yaml.Node) {
			d.section("dependencies.sbom", v, map[string]func(*yaml.Node){
				"job": func(v *yaml.Node) { deps.SBOM.Job = strings.TrimSpace(d.str("dependencies.sbom.job", v)) },
				"path": func(v *yaml.Node) {
					deps.SBOM.Path = strings.TrimSpace(d.str("dependencies.sbom.path", v))
					if p := deps.SBOM.Path; strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
						d.errorf(RuleConfigValue, v, "give the path inside the job's artifacts, e.g. build/reports/bom.json", "dependencies.sbom.path %q must be relative, without ..", clip(p))
					}
				},
			})
			if (deps.SBOM.Job == "") != (deps.SBOM.Path == "") {
				d.errorf(RuleConfigValue, v, "name both the job and the path of its SBOM, or neither", "dependencies.sbom needs both job and path")
			}
		},
	})
}

// envName matches the name of an environment variable.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// at records where field's value is.
func at(m map[string]position, field string, v *yaml.Node) map[string]position {
	if m == nil {
		m = map[string]position{}
	}
	m[field] = position{v.Line, v.Column}
	return m
}

func (d *decoder) mavenRepositories(v *yaml.Node) []MavenRepository {
	out := []MavenRepository{}
	for i, it := range d.list("dependencies.maven.repositories", v) {
		field := fmt.Sprintf("dependencies.maven.repositories[%d]", i)
		var r MavenRepository
		d.section(field, it, map[string]func(*yaml.Node){
			"url": func(v *yaml.Node) { r.URL = strings.TrimRight(strings.TrimSpace(d.str(field+".url", v)), "/") },
			"token_env": func(v *yaml.Node) {
				r.at = at(r.at, "token_env", v)
				r.TokenEnv = strings.TrimSpace(d.str(field+".token_env", v))
				if r.TokenEnv != "" && !envName.MatchString(r.TokenEnv) {
					d.errorf(RuleConfigValue, v, "name the environment variable that holds the token, e.g. NEXUS_TOKEN; never the token itself", "%s.token_env %q is not an environment variable's name", field, clip(r.TokenEnv))
				}
			},
			"username_env": func(v *yaml.Node) {
				r.at = at(r.at, "username_env", v)
				r.UsernameEnv = strings.TrimSpace(d.str(field+".username_env", v))
				if r.UsernameEnv != "" && !envName.MatchString(r.UsernameEnv) {
					d.errorf(RuleConfigValue, v, "name the environment variable that holds the user, e.g. NEXUS_USER", "%s.username_env %q is not an environment variable's name", field, clip(r.UsernameEnv))
				}
			},
		})
		u, err := url.Parse(r.URL)
		switch {
		case kindOf(it) != yaml.MappingNode:
			continue // reported by section
		case r.URL == "":
			d.errorf(RuleConfigValue, it, "add `url: https://…`", "%s has no url", field)
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
			d.errorf(RuleConfigValue, it, "write the repository's base URL, e.g. https://repo.maven.apache.org/maven2", "%s.url %q is not an http(s) URL without query", field, clip(r.URL))
		default:
			out = append(out, r)
		}
	}
	return out
}

func (d *decoder) checklist(v *yaml.Node) []ChecklistItem {
	out := []ChecklistItem{}
	for i, it := range d.list("onboarding.checklist", v) {
		ip := fmt.Sprintf("onboarding.checklist[%d]", i)
		var c ChecklistItem
		switch {
		case isScalar(it):
			c.Title = strings.TrimSpace(value(it))
		case kindOf(it) == yaml.MappingNode:
			for _, p := range pairs(it) {
				switch key := keyText(p.key); key {
				case "title":
					c.Title = d.str(ip+".title", p.val)
				case "url":
					c.URL = d.str(ip+".url", p.val)
					if u, err := url.Parse(c.URL); c.URL != "" && (err != nil || u.Scheme == "") {
						d.errorf(RuleConfigValue, p.val, "write the full address, e.g. https://wiki.example.com/onboarding", "%s.url %q is not an absolute URL", ip, clip(c.URL))
					}
				default:
					d.unknownKey(ip, key, p.key, []string{"title", "url"})
				}
			}
		default:
			d.errorf(RuleConfigType, it, "write `- title: ...`", "%s must be text or a mapping with title and url, got %s", ip, typeName(it))
			continue
		}
		if c.Title == "" {
			d.errorf(RuleConfigValue, it, "give the step a title", "%s has no title", ip)
			continue
		}
		out = append(out, c)
	}
	return out
}

// list returns the items of a list (null is empty), reporting anything else.
func (d *decoder) list(field string, v *yaml.Node) []*yaml.Node {
	if isNull(v) {
		return nil
	}
	if kindOf(v) != yaml.SequenceNode {
		d.errorf(RuleConfigType, v, "write one `- item` per line, or [a, b]", "%s must be a list, got %s", field, typeName(v))
		return nil
	}
	return items(v)
}

// stringList reads a list of text values, warning about duplicates.
func (d *decoder) stringList(field string, v *yaml.Node) []string {
	out := []string{}
	seen := map[string]*yaml.Node{}
	for i, it := range d.list(field, v) {
		s := d.scalar(fmt.Sprintf("%s[%d]", field, i), it)
		if s == "" {
			continue
		}
		if first, dup := seen[strings.ToLower(s)]; dup {
			d.warnf(RuleConfigDuplicate, it, "remove the repeated value", "%s %q is listed twice (first at line %d)", field, clip(s), first.Line)
			continue
		}
		seen[strings.ToLower(s)] = it
		out = append(out, s)
	}
	return out
}

// scalar reads a list item as text; numbers are accepted as text.
func (d *decoder) scalar(field string, v *yaml.Node) string {
	if !isScalar(v) {
		d.errorf(RuleConfigType, v, "write a single value", "%s must be text, got %s", field, typeName(v))
		return ""
	}
	return strings.TrimSpace(value(v))
}

// str reads a text field; null is "".
func (d *decoder) str(field string, v *yaml.Node) string {
	if isNull(v) {
		return ""
	}
	if !isString(v) {
		d.errorf(RuleConfigType, v, fmt.Sprintf("quote it: `%s: \"%s\"`", lastSegment(field), clip(value(v))), "%s must be text, got %s", field, typeName(v))
		return ""
	}
	return value(v)
}

// boolean reads true or false; anything else is reported and def kept.
func (d *decoder) boolean(field string, v *yaml.Node, def bool) bool {
	if n := resolve(v); n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b
		}
	}
	d.errorf(RuleConfigType, v, "write true or false", "%s must be true or false, got %s", field, typeName(v))
	return def
}

func lastSegment(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	cut := 60
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}
