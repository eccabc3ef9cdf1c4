package maven

import (
	"context"
	"io/fs"
)

// skippedDirs are folders whose pom.xml files are not the repository's
// modules: build output, other people's code, test fixtures under src/.
var skippedDirs = map[string]bool{"target": true, "node_modules": true, ".git": true, "src": true, "vendor": true}

// workspaceIndex maps the coordinates of the workspace's modules to their
// pom.xml paths: a dependency on a sibling module resolves to it, as in a
// reactor build, before any repository is asked.
func (l *loader) workspaceIndex() map[Coord]string {
	l.wsOnce.Do(func() {
		l.wsIndex = map[Coord]string{}
		if l.ws == nil {
			return
		}
		_ = fs.WalkDir(l.ws, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // an unreadable folder is skipped
			}
			if d.IsDir() {
				if p != "." && skippedDirs[d.Name()] {
					return fs.SkipDir
				}
				return nil
			}
			if d.Name() != "pom.xml" {
				return nil
			}
			if c, ok := l.wsCoord(p); ok {
				if _, dup := l.wsIndex[c]; !dup {
					l.wsIndex[c] = p
				}
			}
			return nil
		})
	})
	return l.wsIndex
}

// wsCoord is the coordinate of the workspace POM at p, its properties
// taken from its parents in the workspace (${revision} and the like).
func (l *loader) wsCoord(p string) (Coord, bool) {
	pp, readErr, err := l.wsPOM(p)
	if readErr != nil || err != nil {
		return Coord{}, false
	}
	c := pp.coord()
	props := interpolator{}
	chain := []*pom{pp}
	cur, curPath := pp, p
	for range 16 {
		if cur.Parent == nil || cur.Parent.RelativePath == "" {
			break
		}
		if c.GroupID == "" {
			c.GroupID = cur.Parent.GroupID
		}
		if c.Version == "" {
			c.Version = cur.Parent.Version
		}
		pp := parentPath(curPath, cur.Parent.RelativePath)
		parent, readErr, err := l.wsPOM(pp)
		if readErr != nil || err != nil {
			break
		}
		chain = append(chain, parent)
		cur, curPath = parent, pp
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].Properties {
			props[k] = v
		}
	}
	c.GroupID, c.Version = props.expand(c.GroupID), props.expand(c.Version)
	return c, c.valid()
}

// workspaceModel returns the POM of the workspace module c and its path;
// false when the workspace has none.
func (l *loader) workspaceModel(_ context.Context, c Coord) (*pom, string, bool) {
	p, ok := l.workspaceIndex()[c]
	if !ok {
		return nil, "", false
	}
	pp, readErr, err := l.wsPOM(p)
	if readErr != nil || err != nil {
		return nil, "", false
	}
	return pp, p, true
}

// wsPOM returns the workspace POM at p, read and parsed once per path:
// readErr is fs.ReadFile's error, err parsePOM's. Callers share the *pom
// and must not change it.
func (l *loader) wsPOM(p string) (pp *pom, readErr, err error) {
	f, err := once(context.Background(), &l.mu, l.wsPOMs, p, func() (wsFile, error) {
		data, err := fs.ReadFile(l.ws, p)
		if err != nil {
			return wsFile{readErr: err}, nil
		}
		pp, err := parsePOM(p, data)
		return wsFile{pom: pp}, err
	})
	return f.pom, f.readErr, err
}
