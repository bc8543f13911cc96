// Package hashbench times the receipt hash as the server makes it
// (seal.ReceiptHash, with a throw-away key), for the figures that set a
// throughput against the hash bound: the load generator and the sync
// benchmark.
package hashbench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gehoord/gehoord/server/seal"
)

// One is the median wall and CPU time of one receipt hash with nothing
// else running in this process: the bound is cores ÷ its wall time.
func One() (wall, cpu time.Duration) {
	s := sealer()
	var w, c []time.Duration
	for i := range 9 {
		t0, c0 := time.Now(), CPU()
		if _, err := s.ReceiptHash(context.Background(), fmt.Sprintf("GH-%016d", i)); err != nil {
			panic(err)
		}
		w, c = append(w, time.Since(t0)), append(c, CPU()-c0)
	}
	slices.Sort(w)
	slices.Sort(c)
	return w[len(w)/2], c[len(c)/2]
}

// AtOnce is how many receipt hashes a second the machine makes with n
// running at once (one per core), for d, and nothing else: a 19 MiB hash
// is bound by memory as much as by its core, so n cores make fewer than
// n times one. It is what a server that did nothing but hash could reach.
func AtOnce(n int, d time.Duration) float64 {
	s := sealer()
	var done atomic.Int64
	end := time.Now().Add(d)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for i := 0; time.Now().Before(end); i++ {
				if _, err := s.ReceiptHash(context.Background(), fmt.Sprintf("GH-%d-%016d", w, i)); err != nil {
					panic(err)
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(done.Load()) / time.Since(t0).Seconds()
}

// CPU is the CPU time (user and system) this process used so far: argon2
// may run its lane on a goroutine of its own, so a thread's time would
// miss it.
func CPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sealer() *seal.Sealer {
	s, err := seal.New(make([]byte, 32))
	if err != nil {
		panic(err)
	}
	return s
}
