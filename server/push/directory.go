package push

import "context"

// Staff roles (as the staff package names them).
const (
	RoleAdmin       = "admin"
	RoleCoordinator = "coordinator"
	RoleHandler     = "handler"
	RoleOutreach    = "outreach"
)

// Person is a staff member who may be notified.
type Person struct {
	ID, Role, Lang string
	Disabled       bool
}

// Directory lists the active staff. The staff package is adapted to it
// where the server is wired (see StaffDirectory).
type Directory interface {
	Active(ctx context.Context) ([]Person, error)
}
