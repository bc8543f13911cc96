package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/gehoord/gehoord/server/web/api"
	"github.com/gehoord/gehoord/server/web/helpui"
	"github.com/gehoord/gehoord/server/web/public"
)

// Body limits per route. fasthttp reads a whole body before any handler
// runs, so a handler's own check comes too late: 64 posts of 15 MB took
// gigabytes. These limits are applied when the request's header has been
// read: a larger Content-Length is refused before one byte of the body is
// read, a chunked body as soon as it passes the limit.
const (
	// SyncBodyLimit is the outreach sync's own limit (500 reports; the
	// appui handler checks the same figure).
	SyncBodyLimit = 8 << 20
	// importBodyLimit is the social-map CSV plus its multipart wrapping.
	importBodyLimit = helpui.MaxImportBytes + 64<<10
)

// BodyLimit is the largest body a request to method and path may send:
// the outreach sync and the CSV import their own, the JSON API 64 KiB, and
// everything else (the public forms, the staff's forms) 128 KiB, which the
// longest valid report takes even in Thai or Chinese, percent-encoded.
func BodyLimit(method, path []byte) int {
	if !bytes.Equal(method, []byte(fiber.MethodPost)) && !bytes.Equal(method, []byte(fiber.MethodPut)) &&
		!bytes.Equal(method, []byte(fiber.MethodPatch)) && !bytes.Equal(method, []byte(fiber.MethodDelete)) {
		// GET and HEAD carry no body worth reading.
		return 4 << 10
	}
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	switch {
	case bytes.Equal(path, []byte("/api/v1/outreach/sync")):
		return SyncBodyLimit
	case bytes.Equal(path, []byte("/staff/socialmap/import")):
		return importBodyLimit
	case bytes.HasPrefix(path, []byte("/api/")):
		return api.MaxBody
	}
	return public.MaxFormBody
}

// limitBodies installs BodyLimit in the HTTP server: on the header, and on
// "Expect: 100-continue", which is answered 413 instead of 100 when the
// announced body is too large, so the client never sends it.
func limitBodies(app *fiber.App) {
	l := &bodyLimiter{chunked: map[*fasthttp.RequestHeader]string{}}
	s := app.Server()
	s.HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		limit := BodyLimit(h.Method(), h.RequestURI())
		if h.ContentLength() == -1 {
			l.remember(h)
		}
		return fasthttp.RequestConfig{MaxRequestBodySize: limit}
	}
	s.ExpectHandler = func(ctx *fasthttp.RequestCtx) int {
		h := &ctx.Request.Header
		if h.ContentLength() > BodyLimit(h.Method(), h.RequestURI()) {
			return fiber.StatusRequestEntityTooLarge
		}
		return fasthttp.StatusContinue
	}
	answer := s.ErrorHandler // Fiber's: it calls our errorHandler
	s.ErrorHandler = func(ctx *fasthttp.RequestCtx, err error) {
		l.restore(&ctx.Request.Header)
		answer(ctx, err)
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			lingerAfter(ctx)
		}
	}
	app.Use(func(c *fiber.Ctx) error {
		l.forget(&c.Request().Header)
		return c.Next()
	})
}

// bodyLimiter remembers the address of chunked requests while their body
// is read: fasthttp clears the request when a chunked body runs over, and
// the 413 must still be problem+json on the API and a page in her language
// elsewhere. Chunked posts are rare (browsers send forms with a length).
type bodyLimiter struct {
	mu      sync.Mutex
	n       atomic.Int32
	chunked map[*fasthttp.RequestHeader]string
}

func (l *bodyLimiter) remember(h *fasthttp.RequestHeader) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.chunked) > 4096 {
		// Connections that ended mid-body leave entries: start afresh.
		clear(l.chunked)
	}
	l.chunked[h] = string(h.RequestURI())
	l.n.Store(int32(len(l.chunked)))
}

func (l *bodyLimiter) take(h *fasthttp.RequestHeader) (string, bool) {
	if l.n.Load() == 0 {
		return "", false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	uri, ok := l.chunked[h]
	delete(l.chunked, h)
	l.n.Store(int32(len(l.chunked)))
	return uri, ok
}

func (l *bodyLimiter) forget(h *fasthttp.RequestHeader) { l.take(h) }

// restore gives a request that fasthttp cleared its address back.
func (l *bodyLimiter) restore(h *fasthttp.RequestHeader) {
	if uri, ok := l.take(h); ok {
		h.SetRequestURI(uri)
	}
}

// Lingering after a refused body: the client is usually still sending it,
// and closing a connection with unread data makes the kernel reset it, so
// the client would see "connection reset" instead of the 413. As net/http
// does, the answer is sent, the sending side closed, and what the client
// still sends is read and thrown away for a short while (never kept).
const (
	lingerBytes = 2 << 20
	lingerTime  = time.Second
)

func lingerAfter(ctx *fasthttp.RequestCtx) {
	conn := ctx.Conn()
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		return
	}
	ctx.SetConnectionClose()
	w := bufio.NewWriter(conn)
	_ = conn.SetWriteDeadline(time.Now().Add(lingerTime))
	if ctx.Response.Write(w) != nil || w.Flush() != nil {
		return
	}
	// fasthttp writes the response again after this returns; that write
	// goes nowhere once the sending side is closed.
	_ = cw.CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, conn, lingerBytes)
}
