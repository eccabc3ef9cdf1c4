package advisories

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MaxRecordSize bounds one record's JSON: OSV records are a few kilobytes;
// the biggest (kernel CVEs with hundreds of commits) stay well below this.
const MaxRecordSize = 8 << 20

// Item is one record read by Read, or why it could not be.
type Item struct {
	// Source says where the record is: "GHSA-x.json", or
	// "all.zip!GHSA-x.json" for an entry of an archive.
	Source string
	// Record is the parsed record; nil when Err is set.
	Record *Record
	// Err is why the record could not be read (wraps ErrInvalidRecord when
	// the JSON is not a usable OSV record).
	Err error
}

// Read reads OSV records from each path: a JSON file of one record, a zip
// archive of records as osv.dev exports them (all.zip, <Ecosystem>/all.zip:
// one JSON file per record), or a directory searched for both. Each record
// (or the reason it could not be read) is given to fn as it is read; a
// malformed record, or a file or archive that cannot be opened, is an Item
// with Err set and does not stop the others. Read stops at the first error
// fn returns, and returns it.
func Read(paths []string, fn func(Item) error) error {
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			if err := fn(Item{Source: p, Err: err}); err != nil {
				return err
			}
			continue
		}
		if !fi.IsDir() {
			if err := readFile(p, fn); err != nil {
				return err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fn(Item{Source: path, Err: err})
			}
			if d.IsDir() || !isRecordFile(path) && !isArchive(path) {
				return nil
			}
			return readFile(path, fn)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func isRecordFile(p string) bool { return strings.EqualFold(filepath.Ext(p), ".json") }
func isArchive(p string) bool    { return strings.EqualFold(filepath.Ext(p), ".zip") }

// readFile reads one record file or one archive.
func readFile(p string, fn func(Item) error) error {
	if isArchive(p) {
		return readArchive(p, fn)
	}
	f, err := os.Open(p)
	if err != nil {
		return fn(Item{Source: p, Err: err})
	}
	defer f.Close()
	return fn(readRecord(p, f))
}

// readRecord reads one record of at most MaxRecordSize bytes from r.
func readRecord(source string, r io.Reader) Item {
	b, err := io.ReadAll(io.LimitReader(r, MaxRecordSize+1))
	if err != nil {
		return Item{Source: source, Err: fmt.Errorf("read: %w", err)}
	}
	if len(b) > MaxRecordSize {
		return Item{Source: source, Err: fmt.Errorf("%w: larger than %d bytes", ErrInvalidRecord, MaxRecordSize)}
	}
	rec, err := Parse(b)
	if err != nil {
		return Item{Source: source, Err: err}
	}
	return Item{Source: source, Record: rec}
}

// readArchive reads each .json entry of a zip archive.
func readArchive(p string, fn func(Item) error) error {
	z, err := zip.OpenReader(p)
	if err != nil {
		return fn(Item{Source: p, Err: fmt.Errorf("open archive: %w", err)})
	}
	defer z.Close()
	for _, f := range z.File {
		if f.FileInfo().IsDir() || !isRecordFile(f.Name) {
			continue
		}
		source := p + "!" + f.Name
		var it Item
		rc, err := f.Open()
		if err != nil {
			it = Item{Source: source, Err: fmt.Errorf("open archive entry: %w", err)}
		} else {
			it = readRecord(source, rc)
			rc.Close()
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
