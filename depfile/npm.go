package depfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxJSONNesting bounds the recursion into package-lock v1's nested
// "dependencies"; real lockfiles nest a few levels.
const maxJSONNesting = 128

// sectionScope maps package.json's dependency sections to Scope.
func sectionScope(section string) (string, bool) {
	switch section {
	case "dependencies":
		return "", true
	case "devDependencies":
		return "dev", true
	case "peerDependencies":
		return "peer", true
	case "optionalDependencies":
		return "optional", true
	}
	return "", false
}

// parsePackageJSON reads the dependency sections of package.json, with
// version ranges kept as written ("^1.2.6", "~4.2.0", "git+https://...").
func parsePackageJSON(file string, data []byte) ([]Dependency, error) {
	w := newJSONWalker(file, data)
	var deps []Dependency
	err := w.object("package.json", func(section string, _ int) error {
		scope, ok := sectionScope(section)
		if !ok {
			return w.skip()
		}
		return w.object(section, func(name string, line int) error {
			version, ok, err := w.str()
			if err != nil {
				return err
			}
			if !ok {
				return &Error{File: file, Line: line, Msg: fmt.Sprintf("%s: version of %q is not a string", section, name)}
			}
			deps = append(deps, Dependency{Ecosystem: NPM, Name: name, Version: version, Scope: scope, File: file, Line: line})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if err := w.end(); err != nil {
		return nil, err
	}
	return deps, nil
}

// parsePackageLock reads package-lock.json and npm-shrinkwrap.json: the
// "packages" map of lockfile v2 and v3 when there is one, else v1's nested
// "dependencies". Workspace folders and links are the repo's own code and
// are left out.
func parsePackageLock(file string, data []byte) ([]Dependency, error) {
	w := newJSONWalker(file, data)
	var v1, v2 []Dependency
	err := w.object("package-lock.json", func(key string, _ int) error {
		switch key {
		case "packages":
			return w.object(key, func(p string, line int) error {
				var (
					version, name string
					link          bool
					flags         = map[string]bool{}
				)
				err := w.object(p, func(k string, _ int) error {
					switch k {
					case "version":
						v, _, err := w.str()
						version = v
						return err
					case "name":
						v, _, err := w.str()
						name = v
						return err
					case "link":
						b, err := w.boolean()
						link = b
						return err
					case "dev", "devOptional", "optional", "peer":
						b, err := w.boolean()
						flags[k] = b
						return err
					}
					return w.skip()
				})
				if err != nil {
					return err
				}
				i := strings.LastIndex(p, "node_modules/")
				if i < 0 || link {
					return nil
				}
				if pkg := p[i+len("node_modules/"):]; pkg != "" {
					name = pkg
				}
				v2 = append(v2, Dependency{Ecosystem: NPM, Name: name, Version: version, Scope: lockScope(flags), File: file, Line: line})
				return nil
			})
		case "dependencies":
			return w.lockV1(&v1, 0)
		}
		return w.skip()
	})
	if err != nil {
		return nil, err
	}
	if err := w.end(); err != nil {
		return nil, err
	}
	if len(v2) > 0 {
		return v2, nil
	}
	return v1, nil
}

// lockV1 reads a lockfile v1 "dependencies" object, nested ones included,
// each package before those nested under it.
func (w *jsonWalker) lockV1(out *[]Dependency, depth int) error {
	if depth > maxJSONNesting {
		return w.errAt("dependencies nested too deeply")
	}
	return w.object("dependencies", func(name string, line int) error {
		at := len(*out)
		*out = append(*out, Dependency{Ecosystem: NPM, Name: name, File: w.file, Line: line})
		flags := map[string]bool{}
		var version string
		err := w.object(name, func(k string, _ int) error {
			switch k {
			case "version":
				v, _, err := w.str()
				version = v
				return err
			case "dev", "optional", "peer":
				b, err := w.boolean()
				flags[k] = b
				return err
			case "dependencies":
				return w.lockV1(out, depth+1)
			}
			return w.skip()
		})
		(*out)[at].Version = version
		(*out)[at].Scope = lockScope(flags)
		return err
	})
}

func lockScope(flags map[string]bool) string {
	switch {
	case flags["dev"] || flags["devOptional"]:
		return "dev"
	case flags["peer"]:
		return "peer"
	case flags["optional"]:
		return "optional"
	}
	return ""
}

// jsonWalker reads JSON token by token, keeping positions for errors and
// line numbers, and skipping what does not matter without building it.
type jsonWalker struct {
	file string
	data []byte
	dec  *json.Decoder
	idx  lineIndex
}

func newJSONWalker(file string, data []byte) *jsonWalker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &jsonWalker{file: file, data: data, dec: dec, idx: newLineIndex(data)}
}

func (w *jsonWalker) token() (json.Token, error) {
	t, err := w.dec.Token()
	if err != nil {
		return nil, w.wrap(err)
	}
	return t, nil
}

func (w *jsonWalker) wrap(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(w.data, int(se.Offset))
		return &Error{File: w.file, Line: line, Column: col, Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		line, col := lineCol(w.data, len(w.data))
		return &Error{File: w.file, Line: line, Column: col, Msg: "unexpected end of JSON"}
	}
	return w.errAt("invalid JSON: " + err.Error())
}

// errAt is an *Error at the decoder's position.
func (w *jsonWalker) errAt(msg string) error {
	line, col := lineCol(w.data, int(w.dec.InputOffset()))
	return &Error{File: w.file, Line: line, Column: col, Msg: msg}
}

// skipValue skips the rest of a value whose first token t was read.
func (w *jsonWalker) skipValue(t json.Token) error {
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	if d == '}' || d == ']' {
		return w.errAt(fmt.Sprintf("unexpected %q", rune(d)))
	}
	for depth := 1; depth > 0; {
		t, err := w.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
	}
	return nil
}

// skip skips the next value.
func (w *jsonWalker) skip() error {
	t, err := w.token()
	if err != nil {
		return err
	}
	return w.skipValue(t)
}

// object reads the next value, which must be an object (what names it in
// errors), calling fn with each key and its line; fn must read the key's
// value.
func (w *jsonWalker) object(what string, fn func(key string, line int) error) error {
	t, err := w.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return w.errAt(what + ": want a JSON object")
	}
	for {
		t, err := w.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok && d == '}' {
			return nil
		}
		key, ok := t.(string)
		if !ok {
			return w.errAt(what + ": want a key")
		}
		line := w.idx.line(max(int(w.dec.InputOffset())-1, 0))
		if err := fn(key, line); err != nil {
			return err
		}
	}
}

// str reads the next value, returning it when it is a string; any other
// value is skipped and reported with ok false.
func (w *jsonWalker) str() (s string, ok bool, err error) {
	t, err := w.token()
	if err != nil {
		return "", false, err
	}
	if s, ok := t.(string); ok {
		return s, true, nil
	}
	return "", false, w.skipValue(t)
}

// boolean reads the next value, true only when it is the literal true.
func (w *jsonWalker) boolean() (bool, error) {
	t, err := w.token()
	if err != nil {
		return false, err
	}
	if b, ok := t.(bool); ok {
		return b, nil
	}
	return false, w.skipValue(t)
}

// end checks that nothing follows the top-level value.
func (w *jsonWalker) end() error {
	_, err := w.dec.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return w.wrap(err)
	}
	return w.errAt("unexpected data after the top-level JSON value")
}
