package staffui_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// dom parses a page so tests can assert its structure with selectors
// rather than by matching markup text.
func dom(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse page: %v", err)
	}
	return d
}

// count says how many elements of body match the selector.
func count(t *testing.T, body, selector string) int {
	t.Helper()
	return dom(t, body).Find(selector).Length()
}
