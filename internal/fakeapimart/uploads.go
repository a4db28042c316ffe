package fakeapimart

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// UploadURLLifetime is how long an uploaded file's URL works (doc §6: 72 hours).
const UploadURLLifetime = 72 * time.Hour

// maxUploadRequest bounds a whole upload request: the file limit plus room for the multipart
// framing, so that a file just under the limit is not refused for its headers.
const maxUploadRequest = apimart.MaxUploadBytes + 64<<10

var uploadTooLarge = fmt.Sprintf("file too large; the limit is %d MB", apimart.MaxUploadBytes>>20)

// UploadFault makes the next N uploads of an acceptable file fail.
type UploadFault struct {
	N int `json:"n"`
	// Status is the HTTP status answered, e.g. 429 or 503 (nothing stored) or 500, 502; 0 means 500.
	Status int `json:"status"`
	// RetryAfter, when > 0, is sent as Retry-After in whole seconds, rounded up.
	RetryAfter time.Duration `json:"retry_after"`
	// Store keeps the file before answering the error: an ambiguous failure.
	Store bool `json:"store"`
	// Reset stores the file, then closes the connection without any response.
	Reset bool `json:"reset"`
}

// UploadRecord is what the server knows about an uploaded file.
type UploadRecord struct {
	ID          string
	Owner       string // the API key that uploaded it
	Filename    string
	ContentType string
	Bytes       int64
	SHA256      string // hex digest of the content
	CreatedAt   time.Time
}

type upload struct {
	rec  UploadRecord
	body []byte
}

// Uploads returns every stored upload, in upload order.
func (s *Server) Uploads() []UploadRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.uploadRecs)
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, c call) {
	s.count(&s.counts.Uploads)
	filename, body, rerr := readUploadedFile(w, r)
	if rerr != nil {
		writeError(w, rerr.status, rerr.message)
		return
	}
	contentType, ok := apimart.DetectUploadType(body)
	if !ok {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unsupported file format %s; upload a JPEG, PNG, WebP or GIF image", contentType))
		return
	}
	s.mu.Lock()
	fault, faulted := take(s, &s.set.FailNextUploads, &s.set.FailNextUploads.N)
	s.mu.Unlock()
	if faulted && !fault.Store && !fault.Reset {
		s.serveFault(w, s.faultStatus(fault.Status, http.StatusInternalServerError), fault.RetryAfter)
		return
	}
	sum := sha256.Sum256(body)
	rec := UploadRecord{
		ID:          rand.Text(),
		Owner:       c.owner,
		Filename:    uploadFilename(filename, contentType),
		ContentType: contentType,
		Bytes:       int64(len(body)),
		SHA256:      hex.EncodeToString(sum[:]),
		CreatedAt:   s.now(),
	}
	s.mu.Lock()
	s.uploads[rec.ID] = &upload{rec: rec, body: body}
	s.uploadRecs = append(s.uploadRecs, rec)
	s.mu.Unlock()
	s.count(&s.counts.UploadsStored)
	switch {
	case faulted && fault.Reset:
		abortConnection(w)
	case faulted:
		s.serveFault(w, s.faultStatus(fault.Status, http.StatusInternalServerError), fault.RetryAfter)
	default:
		writeOK(w, map[string]any{
			// Where the file is served, like the API's upload.apimart.ai/f/image/... URLs.
			"url":          requestOrigin(r) + "/uploads/" + rec.ID + "/" + url.PathEscape(rec.Filename),
			"filename":     rec.Filename,
			"content_type": rec.ContentType,
			"bytes":        rec.Bytes,
			"created_at":   rec.CreatedAt.Unix(),
		})
	}
}

// readUploadedFile finds the multipart "file" field and reads it under the size limit.
func readUploadedFile(w http.ResponseWriter, r *http.Request) (string, []byte, *requestError) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadRequest)
	parts, err := r.MultipartReader()
	if err != nil {
		return "", nil, badRequest("the request must be multipart/form-data with a file field: %v", err)
	}
	for {
		part, err := parts.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return "", nil, badRequest("missing file field")
		case err != nil:
			return "", nil, readProblem(err, uploadTooLarge)
		case part.FormName() == "file":
			body, err := io.ReadAll(http.MaxBytesReader(w, part, apimart.MaxUploadBytes))
			if err != nil {
				return "", nil, readProblem(err, uploadTooLarge)
			}
			return part.FileName(), body, nil
		}
	}
}

// uploadFilename keeps the base of the name the client sent, or makes one up from the format.
func uploadFilename(sent, contentType string) string {
	name := path.Base(strings.ReplaceAll(sent, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		return "image." + strings.TrimPrefix(contentType, "image/")
	}
	return name
}

// handleUploadedFile serves an uploaded file back, without auth, until its URL expires.
func (s *Server) handleUploadedFile(w http.ResponseWriter, r *http.Request) {
	u := s.lookupUpload(r.PathValue("id"))
	switch {
	case u == nil || r.PathValue("file") != u.rec.Filename:
		writeError(w, http.StatusNotFound, "file not found")
	case s.now().After(u.rec.CreatedAt.Add(UploadURLLifetime)):
		writeError(w, http.StatusForbidden, "the file URL has expired")
	default:
		writeBody(w, http.StatusOK, u.rec.ContentType, u.body)
	}
}

// lookupUpload is the upload id, or nil.
func (s *Server) lookupUpload(id string) *upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.uploads[id]
}

// unknownUploadURL returns the first reference that points at this server's uploads but names no
// stored file, as the API's fetch of such a URL would fail.
func (s *Server) unknownUploadURL(origin string, urls []string) (string, bool) {
	for _, raw := range urls {
		rest, ours := strings.CutPrefix(raw, origin+"/uploads/")
		id, _, _ := strings.Cut(rest, "/")
		if ours && s.lookupUpload(id) == nil {
			return raw, true
		}
	}
	return "", false
}
