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

// DownloadFaultKind selects how a download (a GET of a result file) fails.
type DownloadFaultKind int

// Kinds of download faults.
const (
	DownloadCut    DownloadFaultKind = iota // HTTP 200, the full Content-Length, then the connection drops halfway
	DownloadStatus                          // answer Status (0 means 503) with the error JSON
	DownloadHTML                            // HTTP 200 with an HTML page instead of the image
)

var downloadFaultNames = []string{"cut", "status", "html"}

func (k DownloadFaultKind) String() string {
	return faultKindName(int(k), downloadFaultNames, "DownloadFaultKind")
}

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
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" {
		s.count(&s.counts.DownloadsWithAuthorization)
	}
	head := r.Method == http.MethodHead
	if head {
		s.count(&s.counts.ImageHeads)
	}
	prompt, width, height, index, status, message := s.lookUpFile(r.PathValue("file"))
	if status != http.StatusOK {
		writeError(w, status, message)
		return
	}
	var fault DownloadFault
	faulted := false
	s.mu.Lock()
	if !head {
		fault, faulted = take(s, &s.set.FailNextDownloads, &s.set.FailNextDownloads.N)
	}
	minBytes := s.set.MinImageBytes
	s.mu.Unlock()
	if faulted && s.serveDownloadFault(w, fault) {
		return
	}
	body, err := RenderPNG(prompt, width, height, index)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	file := paddedPNG{png: body, seed: sha256.Sum256(body), min: minBytes}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.FormatInt(file.size(), 10))
	w.WriteHeader(http.StatusOK)
	if head {
		return
	}
	s.count(&s.counts.ImageDownloads)
	if faulted && fault.Kind == DownloadCut {
		_, _ = io.CopyN(w, file.reader(), file.size()/2)
		_ = http.NewResponseController(w).Flush()
		abortConnection(w)
		return
	}
	_, _ = io.Copy(w, file.reader())
}

// lookUpFile finds what a file name names, or the status and message that refuse it. Expiry is
// decided from the server's own record of the task.
func (s *Server) lookUpFile(name string) (prompt string, width, height, index, status int, message string) {
	id, i, ok := parseResultFileName(name)
	if !ok {
		return "", 0, 0, 0, http.StatusNotFound, "file not found"
	}
	now := s.now()
	s.mu.Lock()
	t, found := s.tasks[id]
	var snapshot task
	if found {
		snapshot = *t
	}
	lifetime, scale := s.set.URLLifetime, s.set.ImageScale
	s.mu.Unlock()
	switch {
	case !found || i >= snapshot.rec.N || !snapshot.done(now) || snapshot.outcome.Status != apimart.StatusCompleted:
		return "", 0, 0, 0, http.StatusNotFound, "file not found"
	case now.After(snapshot.rec.CompletedAt.Add(lifetime)):
		return "", 0, 0, 0, http.StatusForbidden, "the file URL has expired"
	}
	width, height = Dimensions(snapshot.rec, scale)
	return snapshot.rec.Prompt, width, height, int(i), http.StatusOK, ""
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
	stem, ok := strings.CutSuffix(name, ".png")
	id, digits, found := strings.Cut(stem, "-")
	if !ok || !found {
		return "", 0, false
	}
	index, err := strconv.ParseInt(digits, 10, 64)
	return id, index, err == nil && index >= 0
}

// paddedPNG is a PNG, grown to at least min bytes by a private ancillary chunk ("zpAd") of
// pseudo-random bytes inserted before IEND. The padding is streamed, so a 20 MB file costs the
// server no 20 MB of memory, and it is a function of the image, so every download of one URL
// has the same bytes.
type paddedPNG struct {
	png  []byte
	seed [32]byte
	min  int64
}

// pngChunkOverhead is a chunk's length, type and CRC; iendChunk is the last chunk of every PNG.
const (
	pngChunkOverhead = 12
	iendChunk        = 12
)

func (p paddedPNG) paddingLength() int64 {
	if p.min <= int64(len(p.png)) {
		return -1 // no chunk at all
	}
	return max(0, p.min-int64(len(p.png))-pngChunkOverhead)
}

func (p paddedPNG) size() int64 {
	if n := p.paddingLength(); n >= 0 {
		return int64(len(p.png)) + pngChunkOverhead + n
	}
	return int64(len(p.png))
}

func (p paddedPNG) reader() io.Reader {
	n := p.paddingLength()
	if n < 0 {
		return bytes.NewReader(p.png)
	}
	body, end := p.png[:len(p.png)-iendChunk], p.png[len(p.png)-iendChunk:]
	header := binary.BigEndian.AppendUint32(nil, uint32(n))
	header = append(header, "zpAd"...)
	crc := crc32.NewIEEE()
	crc.Write(header[4:])
	data := io.TeeReader(io.LimitReader(rand.NewChaCha8(p.seed), n), crc)
	trailer := &lazyReader{make: func() io.Reader {
		return io.MultiReader(bytes.NewReader(binary.BigEndian.AppendUint32(nil, crc.Sum32())), bytes.NewReader(end))
	}}
	return io.MultiReader(bytes.NewReader(body), bytes.NewReader(header), data, trailer)
}

// lazyReader builds its reader on first use: the CRC after the padding is known only once the
// padding has been read.
type lazyReader struct {
	make func() io.Reader
	r    io.Reader
}

func (l *lazyReader) Read(b []byte) (int, error) {
	if l.r == nil {
		l.r = l.make()
	}
	return l.r.Read(b)
}
