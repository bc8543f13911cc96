package staffui

import (
	"github.com/gehoord/gehoord/server/fault"
	"github.com/gehoord/gehoord/server/web/problem"
)

// formRefusal is how a form shows a refusal itself: the fault's message
// and the status of its code (422 for a wrong field, 429 when rate
// limited). Anything else (not found, the server's failure) is not the
// form's to show: ok is false and the handler returns the error.
func formRefusal(err error) (status int, key string, ok bool) {
	f, ok := fault.As(err)
	if !ok || f.Key == "" || f.Code == fault.NotFound {
		return 0, "", false
	}
	if status = problem.Status(f.Code); status >= 500 {
		return 0, "", false
	}
	return status, f.Key, true
}
