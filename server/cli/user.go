package cli

import (
	"context"
	"errors"
	"io"
)

// userCmd is filled in by the staff room (gehoord user add).
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("user: not available yet")
}
