package public

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/gehoord/gehoord/server/cases"
)

// FuzzFormBody: any body posted to the intake form is parsed into a
// report and validated without panicking, and what goes back to her on
// the page (echo) is never longer than its field may be.
func FuzzFormBody(f *testing.F) {
	f.Add([]byte("kind=complaint&category=police&description=Hij+hield+mijn+paspoort+vast&wish=advice&identity_mode=anonymous&reporter=self"))
	f.Add([]byte("description=%00%E2%80%AE&name=%FF%FE&about=" + "%E6%88%91"))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var args fasthttp.Args
		args.ParseBytes(body)
		form := map[string]string{}
		for _, k := range formFields {
			form[k] = string(args.Peek(k))
		}
		for k, v := range echo(form) {
			max := cases.MaxShort
			if k == "description" {
				max = cases.MaxDescription
			}
			if n := utf8.RuneCountInString(v); n > max {
				t.Fatalf("field %s echoed with %d characters", k, n)
			}
		}
		in := InputFromForm(form, "nl")
		in.Normalize()
		_ = in.Validate(now)
	})
}
