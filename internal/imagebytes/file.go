package imagebytes

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Spool is a temporary file that measures what is written to it, so that an image can be
// received once, judged, and only then published (renamed into place or uploaded).
type Spool struct {
	file  *os.File
	meter *Meter
	w     io.Writer
}

// NewSpool creates the temporary file in dir (the system's temporary directory when dir is empty)
// with a name made from pattern as os.CreateTemp makes it. Writes past limit bytes fail; 0 means
// no limit.
func NewSpool(dir, pattern string, limit int64) (*Spool, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, fmt.Errorf("creating a temporary file: %w", err)
	}
	meter := NewMeter(limit)
	// The meter goes first: a write past the limit then reaches neither.
	return &Spool{file: f, meter: meter, w: io.MultiWriter(meter, f)}, nil
}

func (s *Spool) Write(p []byte) (int, error) { return s.w.Write(p) }

// Facts reads the header of what was written and joins it with its hash and size. It leaves the
// file at its start, ready to be read again (for an upload).
func (s *Spool) Facts() (Facts, error) {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return Facts{}, err
	}
	header, err := Header(s.file)
	if err != nil {
		return Facts{}, err
	}
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return Facts{}, err
	}
	return s.meter.facts(header), nil
}

// File is the temporary file, for a caller that publishes it.
func (s *Spool) File() *os.File { return s.file }

// Discard closes and removes the temporary file; after a rename it removes nothing.
func (s *Spool) Discard() {
	s.file.Close()
	os.Remove(s.file.Name())
}

// ReadFile measures the file at path in one streaming pass; a missing file is fs.ErrNotExist.
func ReadFile(path string, limit int64) (Facts, error) {
	f, err := os.Open(path)
	if err != nil {
		return Facts{}, err
	}
	defer f.Close()
	facts, err := Measure(f, limit)
	if err != nil {
		return Facts{}, fmt.Errorf("reading %s: %w", path, err)
	}
	return facts, nil
}

// ErrNotRegular marks a path that is a directory or a special file.
var ErrNotRegular = errors.New("not a regular file")

// OpenReference opens a file that is to be sent as an image and judges it in one streaming pass:
// a regular file of at most limit bytes whose content is one of Formats. It returns the file back
// at its start, so that what is sent is what was hashed. The errors are fs.ErrNotExist,
// ErrNotRegular, *TooLargeError (found by the size, before a byte is read), ErrNotAnImage, or a
// read error.
func OpenReference(path string, limit int64) (*os.File, Facts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Facts{}, err
	}
	facts, err := measureReference(f, limit)
	if err != nil {
		f.Close()
		return nil, Facts{}, err
	}
	return f, facts, nil
}

func measureReference(f *os.File, limit int64) (Facts, error) {
	info, err := f.Stat()
	switch {
	case err != nil:
		return Facts{}, err
	case !info.Mode().IsRegular():
		return Facts{}, fmt.Errorf("%s: %w", f.Name(), ErrNotRegular)
	case info.Size() > limit:
		return Facts{}, &TooLargeError{Limit: limit}
	}
	facts, err := Measure(f, limit)
	if err != nil {
		return Facts{}, err
	}
	_, err = f.Seek(0, io.SeekStart)
	return facts, err
}

// DriftKind is how stored bytes differ from the image recorded.
type DriftKind int

const (
	Intact DriftKind = iota
	Missing
	NotRegular
	SizeDiffers
	HashDiffers
)

// Drift is what a check of stored bytes found; Bytes and SHA256 are what is there now, as far
// as the check looked (the size is compared first, so a file of another size is not hashed).
type Drift struct {
	Kind   DriftKind
	Bytes  int64
	SHA256 string
}

// Intact reports whether the bytes are the image recorded.
func (d Drift) Intact() bool { return d.Kind == Intact }

// String completes "the file at X …" or "the object … ".
func (d Drift) String() string {
	switch d.Kind {
	case Intact:
		return "is intact"
	case Missing:
		return "is missing"
	case NotRegular:
		return "is not a regular file"
	case SizeDiffers:
		return fmt.Sprintf("has changed: it has %d bytes instead of the recorded size", d.Bytes)
	case HashDiffers:
		if d.SHA256 == "" {
			return "has changed: it no longer carries the recorded SHA-256"
		}
		return fmt.Sprintf("has changed: its SHA-256 is now %s", d.SHA256)
	}
	return fmt.Sprintf("drift kind %d", int(d.Kind))
}

// Compare judges bytes of the given size and SHA-256 against the image recorded; an empty sha256
// means the stored copy does not say its hash.
func Compare(size int64, sha256 string, want Facts) Drift {
	switch {
	case size != want.Bytes:
		return Drift{Kind: SizeDiffers, Bytes: size}
	case sha256 != want.SHA256:
		return Drift{Kind: HashDiffers, Bytes: size, SHA256: sha256}
	}
	return Drift{Kind: Intact, Bytes: size, SHA256: sha256}
}

// CheckFile says how the file at path differs from the image recorded.
func CheckFile(path string, want Facts) (Drift, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Drift{Kind: Missing}, nil
	case err != nil:
		return Drift{}, err
	case !info.Mode().IsRegular():
		return Drift{Kind: NotRegular}, nil
	case info.Size() != want.Bytes:
		return Compare(info.Size(), "", want), nil
	}
	sum, err := hashFile(path)
	if err != nil {
		return Drift{}, err
	}
	return Compare(info.Size(), sum, want), nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	meter := NewMeter(0)
	if _, err := io.Copy(meter, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return meter.SHA256(), nil
}
