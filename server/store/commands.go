package store

import (
	"context"
	"sync"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/event"
)

// commandCounts counts the commands a store sends to the database, by
// name ("insert", "find", "update", "delete", …). On the embedded
// database each is parsed, turned into SQL and, for a write, a
// transaction with its own sync to disk: their number per request is
// what the database costs, and what grouping writes saves.
type commandCounts struct {
	byName sync.Map // command name → *atomic.Int64
}

func (cc *commandCounts) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		n, ok := cc.byName.Load(e.CommandName)
		if !ok {
			n, _ = cc.byName.LoadOrStore(e.CommandName, new(atomic.Int64))
		}
		n.(*atomic.Int64).Add(1)
	}}
}

// Commands is how many commands this store sent since it opened, by
// command name (the driver's own, such as hello and endSessions,
// included).
func (s *Store) Commands() map[string]int64 {
	out := map[string]int64{}
	s.commands.byName.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}
