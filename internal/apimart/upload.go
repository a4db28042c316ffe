package apimart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// MaxUploadBytes is the largest file POST /v1/uploads/images accepts: 20 MB.
const MaxUploadBytes = 20 << 20

// sniffBytes is how much of a file DetectUploadType looks at.
const sniffBytes = 512

// uploadContentTypes are the formats the upload endpoint takes, judged by content, not by name.
var uploadContentTypes = []string{"image/jpeg", "image/png", "image/webp", "image/gif"}

// DetectUploadType reads the content type from a file's first bytes (512 are enough) and reports
// whether the upload endpoint accepts it.
func DetectUploadType(head []byte) (string, bool) {
	contentType := http.DetectContentType(head)
	return contentType, slices.Contains(uploadContentTypes, contentType)
}

// Upload is the answer of POST /v1/uploads/images.
type Upload struct {
	URL         string
	Filename    string
	ContentType string
	Bytes       int64
	CreatedAt   time.Time // zero when not reported
}

// UploadRejectedError is a 400 or 413 answer to an upload: the server refused the file itself
// (no file field, a format it does not take, or too large), so sending it again cannot help.
type UploadRejectedError struct {
	Filename string
	// TooLarge is set for a 413.
	TooLarge bool
	Err      *APIError
}

func (e *UploadRejectedError) Error() string {
	reason := "refused"
	if e.TooLarge {
		reason = fmt.Sprintf("refused as too large (the limit is %d MB)", MaxUploadBytes>>20)
	}
	return fmt.Sprintf("the upload of %q was %s: %v", e.Filename, reason, e.Err)
}

func (e *UploadRejectedError) Unwrap() error { return e.Err }

// AmbiguousUploadError is returned when an upload failed after the file may have reached the
// server. The file may be stored; it was not sent again, so that it is not stored twice.
type AmbiguousUploadError struct {
	Filename string
	Err      error
}

func (e *AmbiguousUploadError) Error() string {
	return fmt.Sprintf("the upload of %q failed after it may have reached the server, so the file may have been stored; it was not retried to avoid storing it twice: %v", e.Filename, e.Err)
}

func (e *AmbiguousUploadError) Unwrap() error { return e.Err }

// UploadImage stores an image with POST /v1/uploads/images and returns its URL. An upload is
// free but not idempotent, so it is retried only when the server certainly stored nothing: no
// connection was made, or it answered 408, 429 or 503. content is streamed from its start on
// every attempt and never held in memory whole; filename is the name the server is told.
func (c *Client) UploadImage(ctx context.Context, filename string, content io.ReadSeeker) (*Upload, error) {
	body, err := newMultipartFile(filename, content)
	if err != nil {
		return nil, err
	}
	upload, _, err := create(ctx, c, request{
		kind: kindUpload, method: http.MethodPost, url: c.endpoint("v1", "uploads", "images"),
		header: http.Header{"Content-Type": {body.contentType}}, body: body.reader,
	}, decodeUpload, fmt.Sprintf("upload of %q not sent, so nothing was stored", filename),
		func(err error) error { return &AmbiguousUploadError{Filename: filename, Err: err} })
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusBadRequest || apiErr.StatusCode == http.StatusRequestEntityTooLarge):
		return nil, &UploadRejectedError{Filename: filename, TooLarge: apiErr.StatusCode == http.StatusRequestEntityTooLarge, Err: apiErr}
	case err != nil:
		return nil, err
	}
	upload.URL = c.redact(upload.URL)
	return upload, nil
}

// multipartFile is a multipart/form-data body with one "file" field. Only the small parts around
// the file are kept in memory; the file itself is read from content on every attempt.
type multipartFile struct {
	prefix, suffix []byte
	content        io.ReadSeeker
	size           int64
	contentType    string
}

func newMultipartFile(filename string, content io.ReadSeeker) (*multipartFile, error) {
	size, err := content.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("reading the size of %q: %w", filename, err)
	}
	if size > MaxUploadBytes {
		return nil, fmt.Errorf("%q has %d bytes; the upload endpoint takes at most %d MB, so it was not sent", filename, size, MaxUploadBytes>>20)
	}
	head, err := readHead(content)
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", filename, err)
	}
	partType, _ := DetectUploadType(head)

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part := textproto.MIMEHeader{}
	part.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": filename}))
	part.Set("Content-Type", partType)
	if _, err := w.CreatePart(part); err != nil {
		return nil, fmt.Errorf("encoding the upload of %q: %w", filename, err)
	}
	prefix := bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encoding the upload of %q: %w", filename, err)
	}
	return &multipartFile{prefix: prefix, suffix: buf.Bytes(), content: content, size: size, contentType: w.FormDataContentType()}, nil
}

func readHead(content io.ReadSeeker) ([]byte, error) {
	if _, err := content.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(content, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}

// reader is the request body: it rewinds the file for each attempt, and its length gives the
// request a Content-Length instead of a chunked body.
func (m *multipartFile) reader() (io.Reader, int64, error) {
	if _, err := m.content.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	body := io.MultiReader(bytes.NewReader(m.prefix), io.LimitReader(m.content, m.size), bytes.NewReader(m.suffix))
	return body, int64(len(m.prefix)) + m.size + int64(len(m.suffix)), nil
}

// uploadBody is the answer of an upload, bare as documented or inside a data envelope.
type uploadBody struct {
	URL         flexString `json:"url"`
	Filename    flexString `json:"filename"`
	ContentType flexString `json:"content_type"`
	Bytes       flexNumber `json:"bytes"`
	CreatedAt   flexNumber `json:"created_at"`
}

// decodeUpload reads the answer to a 2xx upload. It returns an *APIError when the answer says it
// failed.
func decodeUpload(status int, body []byte) (*Upload, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, unexpected("the upload answer is not JSON", body)
	}
	var u uploadBody
	_ = json.Unmarshal(body, &u)
	if u.URL == "" && len(env.Data) > 0 {
		_ = json.Unmarshal(env.Data, &u)
	}
	if strings.TrimSpace(string(u.URL)) == "" {
		if apiErr := env.failure(status, body); apiErr != nil {
			return nil, apiErr
		}
		return nil, unexpected("the upload answer has no url", body)
	}
	return &Upload{
		URL:         string(u.URL),
		Filename:    string(u.Filename),
		ContentType: string(u.ContentType),
		Bytes:       int64(u.Bytes),
		CreatedAt:   u.CreatedAt.unixTime(),
	}, nil
}
