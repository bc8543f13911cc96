package staffui_test

import (
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/stafftest"
)

// TestStaffErrorPagesInStaffLayout: a signed-in user's 403 and 404 stay
// in the staff pages (their menu, their language), not the public site.
func TestStaffErrorPagesInStaffLayout(t *testing.T) {
	env := servertest.Start(t)
	h := stafftest.SignIn(t, env, "handler")
	for _, p := range []struct {
		path   string
		status int
	}{{"/staff/cases/no-such-case", 404}, {"/staff/users", 403}} {
		body := expect(t, h.Get(p.path), p.status, "")
		if !strings.Contains(body, `class="staff"`) || !strings.Contains(body, `action="/staff/signout"`) {
			t.Errorf("%s: not in the staff layout:\n%.600s", p.path, body)
		}
	}
}
