// Package imagebytes is the one place where image bytes are judged: their format by content, their
// SHA-256, their size in bytes and pixels, and the size limit. Reference images, saved files and
// stored objects all go through it. Everything streams, so memory does not grow with the image.
package imagebytes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	_ "image/gif" // the formats the API accepts, and the ones Header recognizes
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strings"
	"unicode"

	_ "golang.org/x/image/webp"
)

// Formats names the formats Header recognizes, which are the ones the API accepts, for messages
// and docs.
const Formats = "JPEG, PNG, WebP or GIF"

// quotedHead is how much of a body that is not an image an error quotes.
const quotedHead = 60

// Facts is what is known of one image's bytes.
type Facts struct {
	SHA256      string // hex
	Bytes       int64
	ContentType string // judged by content: image/png, image/jpeg, image/gif or image/webp
	Width       int
	Height      int
}

// ErrNotAnImage marks bytes that are none of Formats.
var ErrNotAnImage = errors.New("not an image")

// TooLargeError is a body above a size limit; it was not read past the limit.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("it has more than %d bytes (%d MB), the most allowed", e.Limit, e.Limit>>20)
}

// Meter hashes and counts what is written to it, and fails a write that would take it past its
// limit.
type Meter struct {
	sum   hash.Hash
	n     int64
	limit int64
	over  bool
}

// NewMeter returns a meter that fails past limit bytes; 0 means no limit.
func NewMeter(limit int64) *Meter {
	return &Meter{sum: sha256.New(), limit: limit}
}

func (m *Meter) Write(p []byte) (int, error) {
	if m.limit > 0 && m.n+int64(len(p)) > m.limit {
		m.over = true
		return 0, &TooLargeError{Limit: m.limit}
	}
	m.sum.Write(p)
	m.n += int64(len(p))
	return len(p), nil
}

// SHA256 is the hex digest of everything written so far.
func (m *Meter) SHA256() string { return hex.EncodeToString(m.sum.Sum(nil)) }

// Bytes is the count of everything written so far.
func (m *Meter) Bytes() int64 { return m.n }

// facts joins the meter's sums with the facts a header read found.
func (m *Meter) facts(header Facts) Facts {
	header.SHA256, header.Bytes = m.SHA256(), m.n
	return header
}

// Header reads the format and the pixel size from the start of r. Only the header is read.
func Header(r io.Reader) (Facts, error) {
	var start bytes.Buffer
	config, format, err := image.DecodeConfig(io.TeeReader(r, &limitedBuffer{&start}))
	if err != nil {
		return Facts{}, notAnImage(err, start.Bytes())
	}
	return Facts{ContentType: "image/" + format, Width: config.Width, Height: config.Height}, nil
}

// Measure reads r to its end once: the header as it passes, the hash and count of all of it.
func Measure(r io.Reader, limit int64) (Facts, error) {
	meter := NewMeter(limit)
	tee := io.TeeReader(r, meter)
	header, err := Header(tee)
	if meter.over {
		// The header reader buffers ahead, so a small image can reach the limit already here.
		return Facts{}, &TooLargeError{Limit: limit}
	}
	if err != nil {
		return Facts{}, err
	}
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return Facts{}, err
	}
	return meter.facts(header), nil
}

func notAnImage(cause error, start []byte) error {
	return fmt.Errorf("%w: no %s header (%v); the content starts with %s", ErrNotAnImage, Formats, cause, quoteStart(start))
}

// limitedBuffer keeps only the first quotedHead bytes written to it.
type limitedBuffer struct{ b *bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if keep := quotedHead - l.b.Len(); keep > 0 {
		l.b.Write(p[:min(keep, len(p))])
	}
	return len(p), nil
}

// quoteStart shows the first bytes of a body as one short line of text.
func quoteStart(b []byte) string {
	if len(b) == 0 {
		return "nothing (it is empty)"
	}
	text := strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return '.'
		}
		return r
	}, string(bytes.ToValidUTF8(b, []byte("."))))
	return fmt.Sprintf("%q", text)
}
