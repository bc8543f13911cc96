// Package problem writes RFC 9457 problem details for the JSON API.
package problem

import (
	"github.com/gofiber/fiber/v2"
)

// FieldError is one invalid field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail,omitempty"`
	Errors []FieldError `json:"errors,omitempty"`
}

// Write sends p as application/problem+json.
func Write(c *fiber.Ctx, p Problem) error {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	if p.Title == "" {
		p.Title = httpTitle(p.Status)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	b, err := c.App().Config().JSONEncoder(p)
	if err != nil {
		return err
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Send(b)
}

// New is a shorthand for a problem with a status and detail.
func New(c *fiber.Ctx, status int, detail string) error {
	return Write(c, Problem{Status: status, Title: httpTitle(status), Detail: detail})
}

func httpTitle(status int) string {
	if t := titles[status]; t != "" {
		return t
	}
	return "Error"
}

var titles = map[int]string{
	400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
	405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
	415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests",
	500: "Internal Server Error", 503: "Service Unavailable",
}
