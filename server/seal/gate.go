package seal

import (
	"context"
	"runtime"
	"time"

	"github.com/gehoord/gehoord/server/gate"
	"github.com/gehoord/gehoord/server/seal/internal/argon2id"
)

// Hashes bounds the argon2id hashes that run at once, process-wide
// (receipts and staff passwords alike: they share the memory and cores).
// Each takes 19 MiB and a core for ~20 ms; unbounded, a few hundred
// parallel receipt lookups took gigabytes. With a slot per core they finish
// as fast as before, and the rest wait, or get gate.ErrBusy. The server
// sheds a flood before it gets here (at most a few dozen requests at once
// reach this queue, ~20 ms each per core), so the wait is a safety net
// for a slow or overloaded machine rather than the usual answer.
var Hashes = gate.New(max(runtime.NumCPU(), 2), 10*time.Second)

// IDKey is argon2id (x/crypto's IDKey, same output, reusing its memory
// between hashes: internal/argon2id) run through the Hashes gate.
func IDKey(ctx context.Context, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	release, err := Hashes.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return argon2id.Key(password, salt, time, memory, threads, keyLen), nil
}
