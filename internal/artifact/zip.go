package artifact

import (
	"archive/zip"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"
)

// ZipEpoch is the modification time of every file in a zip written by
// WriteZip: the earliest time the zip format can hold.
var ZipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// ZipFile is one file of a zip.
type ZipFile struct {
	Name string
	Mode fs.FileMode // permission bits; 0 means 0644
	Data []byte
}

// WriteZip writes files as a zip whose bytes depend only on the names, modes
// and contents: entries sorted by name, every timestamp ZipEpoch, Unix
// permission bits as given, deflate at the default level.
func WriteZip(w io.Writer, files []ZipFile) error {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b ZipFile) int { return cmp.Compare(a.Name, b.Name) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Name == sorted[i-1].Name {
			return fmt.Errorf("zip: duplicate file %q", sorted[i].Name)
		}
	}
	zw := zip.NewWriter(w)
	for _, f := range sorted {
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: ZipEpoch}
		h.SetMode(mode)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip %s: %w", f.Name, err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return fmt.Errorf("zip %s: %w", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	return nil
}
