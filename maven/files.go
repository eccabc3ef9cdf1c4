package maven

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Files is a workspace held in memory: repository paths ("pom.xml",
// "service/pom.xml") to contents. A sync that read a repository's pom.xml
// files at a commit passes them as Files. It implements fs.FS,
// fs.ReadFileFS and fs.ReadDirFS.
type Files map[string][]byte

// ReadFile returns the contents of name.
func (f Files) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	data, ok := f[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return bytes.Clone(data), nil
}

// Open opens a file or a folder (a prefix of some path).
func (f Files) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if data, ok := f[name]; ok {
		return &memFile{info: memInfo{name: path.Base(name), size: int64(len(data))}, r: bytes.NewReader(data)}, nil
	}
	entries, err := f.ReadDir(name)
	if err != nil {
		return nil, err
	}
	return &memFile{info: memInfo{name: path.Base(name), dir: true}, entries: entries}, nil
}

// ReadDir lists a folder.
func (f Files) ReadDir(name string) ([]fs.DirEntry, error) {
	prefix := name + "/"
	if name == "." {
		prefix = ""
	}
	seen := map[string]fs.DirEntry{}
	for p, data := range f {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok || rest == "" {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seen[rest[:i]] = fs.FileInfoToDirEntry(memInfo{name: rest[:i], dir: true})
		} else {
			seen[rest] = fs.FileInfoToDirEntry(memInfo{name: rest, size: int64(len(data))})
		}
	}
	if len(seen) == 0 && name != "." {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]fs.DirEntry, 0, len(seen))
	for _, e := range seen {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

type memFile struct {
	info    memInfo
	r       *bytes.Reader
	entries []fs.DirEntry
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }
func (m *memFile) Read(p []byte) (int, error) {
	if m.r == nil {
		return 0, &fs.PathError{Op: "read", Path: m.info.name, Err: fs.ErrInvalid}
	}
	return m.r.Read(p)
}

// ReadDir lists a folder opened with Open.
func (m *memFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		out := m.entries
		m.entries = nil
		return out, nil
	}
	if len(m.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(m.entries))
	out := m.entries[:n]
	m.entries = m.entries[n:]
	return out, nil
}
