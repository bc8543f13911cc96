package metrics

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

var (
	requests = NewCounter("gehoord_http_requests_total",
		"HTTP requests answered, by route group, method and status class.", "group", "method", "status")
	latency = NewHistogram("gehoord_http_request_duration_seconds",
		"Time to answer HTTP requests, by route group.", LatencyBuckets, "group")
	inFlight = NewGauge("gehoord_http_requests_in_flight", "HTTP requests being answered.")
)

// Requests counts every request and its latency by route group. Put it
// first (before recover), so panics and errors answered by the error
// handler are counted with their final status.
func Requests() fiber.Handler {
	g := inFlight.With()
	return func(c *fiber.Ctx) error {
		start := time.Now()
		g.Add(1)
		defer g.Add(-1)
		if err := c.Next(); err != nil {
			// Answer the error here, with the app's own error handler,
			// so the status counted is the one the client gets (a 503
			// from a full gate, a 413), as Fiber's logger does.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		group := Group(c.Path())
		requests.With(group, method(c.Method()), strconv.Itoa(c.Response().StatusCode()/100)+"xx").Inc()
		latency.With(group).Observe(time.Since(start).Seconds())
		return nil
	}
}

// method keeps the label set fixed: odd methods are "other".
func method(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return m
	}
	return "other"
}

// Group names the part of the desk a path belongs to, from a fixed set:
// a path itself never becomes a label (it could hold an id or anything a
// client sent).
func Group(path string) string {
	switch {
	case path == "/healthz":
		return "health"
	case strings.HasPrefix(path, "/api/v1/outreach/sync"):
		return "sync"
	case strings.HasPrefix(path, "/api/v1/outreach/"):
		return "outreach_api"
	case strings.HasPrefix(path, "/api/v1/reports"):
		return "reports_api"
	case strings.HasPrefix(path, "/api/v1/status"):
		return "status_api"
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case path == "/staff" || strings.HasPrefix(path, "/staff/"):
		return "staff"
	case path == "/app" || strings.HasPrefix(path, "/app/"):
		return "app"
	case strings.HasPrefix(path, "/assets/"):
		return "assets"
	}
	// Public pages are /<lang>/<page>…: the page names the group.
	rest := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(rest, '/'); i > 0 && i <= 8 {
		page := rest[i+1:]
		if j := strings.IndexByte(page, '/'); j >= 0 {
			page = page[:j]
		}
		switch page {
		case "report":
			return "public_report"
		case "status":
			return "public_status"
		}
	}
	return "public"
}
