package depfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	idx  LineIndex
}

func newJSONWalker(file string, data []byte) *jsonWalker {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &jsonWalker{file: file, data: data, dec: dec, idx: NewLineIndex(data)}
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
		line := w.idx.Line(max(int(w.dec.InputOffset())-1, 0))
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

// array reads the next value, which must be an array (what names it in
// errors), calling fn for each element; fn must read the element.
func (w *jsonWalker) array(what string, fn func() error) error {
	t, err := w.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return w.errAt(what + ": want a JSON array")
	}
	for w.dec.More() {
		if err := fn(); err != nil {
			return err
		}
	}
	t, err = w.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != ']' {
		return w.errAt(what + ": want ]")
	}
	return nil
}
