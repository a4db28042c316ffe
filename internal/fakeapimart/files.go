package fakeapimart

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// DownloadFaultKind selects how a download (a GET of a result file) fails; its value is its
// name in the control JSON.
type DownloadFaultKind string

// Kinds of download faults. An empty kind is DownloadCut.
const (
	DownloadCut    DownloadFaultKind = "cut"    // HTTP 200, the full Content-Length, then the connection drops halfway
	DownloadStatus DownloadFaultKind = "status" // answer Status (0 means 503) with the error JSON
	DownloadHTML   DownloadFaultKind = "html"   // HTTP 200 with an HTML page instead of the image
)

// DownloadFault makes the next N downloads of any result file fail. HEAD requests are answered
// normally and leave the faults queued.
type DownloadFault struct {
	N      int               `json:"n"`
	Kind   DownloadFaultKind `json:"kind"`
	Status int               `json:"status"` // for DownloadStatus
}

// resultFilePrefix is where result files are served, as the API's file hosts serve them.
const resultFilePrefix = "/f/image/"

// ResultURL is where the server at origin serves result number index of a task: the file's
// name, with no query string; the server alone decides when it expires.
func ResultURL(origin, taskID string, index int64) string {
	return fmt.Sprintf("%s%s%s-%d.png", origin, resultFilePrefix, taskID, index)
}

// handleFile serves result files, as a CDN would: no auth, and 403 once the URL has expired.
// Expiry is decided from the server's own record of the task.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.count(&s.counts.DownloadsWithAuthorization)
	}
	head := r.Method == http.MethodHead
	if head {
		s.count(&s.counts.ImageHeads)
	}
	id, index, ok := parseResultFileName(r.PathValue("file"))
	t, found, set := s.lookupTask(id)
	now := set.Now()
	switch {
	case !ok || !found || index >= t.rec.N || !t.done(now) || t.outcome.Status != apimart.StatusCompleted:
		writeError(w, http.StatusNotFound, "file not found")
		return
	case now.After(t.rec.CompletedAt.Add(set.URLLifetime)):
		writeError(w, http.StatusForbidden, "the file URL has expired")
		return
	}
	fault, faulted := DownloadFault{}, false
	if !head {
		s.mu.Lock()
		fault, faulted = take(s, &s.set.FailNextDownloads, &s.set.FailNextDownloads.N)
		s.mu.Unlock()
	}
	if faulted && s.serveDownloadFault(w, fault) {
		return
	}
	width, height := Dimensions(t.rec, set.ImageScale)
	png, err := RenderPNG(t.rec.Prompt, width, height, int(index))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	size, body := padPNG(png, set.MinImageBytes)
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if head {
		return
	}
	s.count(&s.counts.ImageDownloads)
	if faulted && fault.Kind == DownloadCut {
		_, _ = io.CopyN(w, body, size/2)
		_ = http.NewResponseController(w).Flush()
		abortConnection(w)
		return
	}
	_, _ = io.Copy(w, body)
}

// serveDownloadFault answers the fault and reports true, or reports false when the file
// should follow (and be cut).
func (s *Server) serveDownloadFault(w http.ResponseWriter, f DownloadFault) bool {
	switch f.Kind {
	case DownloadCut:
		return false
	case DownloadHTML:
		writeBody(w, http.StatusOK, "text/html", []byte("<html><head><title>Loading</title></head><body>Please wait while we check your browser.</body></html>\n"))
	default:
		s.serveFault(w, s.faultStatus(f.Status, http.StatusServiceUnavailable), 0)
	}
	return true
}

// parseResultFileName reads the "<task>-<index>.png" of ResultURL.
func parseResultFileName(name string) (string, int64, bool) {
	stem, isPNG := strings.CutSuffix(name, ".png")
	id, digits, _ := strings.Cut(stem, "-") // without "-", digits is empty and does not parse
	index, err := strconv.ParseInt(digits, 10, 64)
	return id, index, isPNG && err == nil && index >= 0
}

// pngChunkOverhead is a chunk's length, type and CRC; IEND, the last chunk of every PNG, is
// that alone.
const pngChunkOverhead = 12

// padPNG grows a PNG to at least minBytes with a private ancillary chunk ("zpAd") of
// pseudo-random bytes inserted before IEND, and returns its size and its bytes. The padding is
// streamed, so a 20 MB file costs the server no 20 MB of memory, and it is a function of the
// image, so every download of one URL has the same bytes; that also lets the chunk's CRC, which
// the PNG puts after the padding, be taken from a first pass over the same bytes.
func padPNG(png []byte, minBytes int64) (int64, io.Reader) {
	if minBytes <= int64(len(png)) {
		return int64(len(png)), bytes.NewReader(png)
	}
	n := max(0, minBytes-int64(len(png))-pngChunkOverhead)
	body, end := png[:len(png)-pngChunkOverhead], png[len(png)-pngChunkOverhead:]
	header := append(binary.BigEndian.AppendUint32(nil, uint32(n)), "zpAd"...)
	padding := func() io.Reader { return io.LimitReader(rand.NewChaCha8(sha256.Sum256(png)), n) }
	crc := crc32.NewIEEE()
	crc.Write(header[4:])
	_, _ = io.Copy(crc, padding())
	return int64(len(png)) + pngChunkOverhead + n,
		io.MultiReader(bytes.NewReader(body), bytes.NewReader(header), padding(), bytes.NewReader(crc.Sum(nil)), bytes.NewReader(end))
}
