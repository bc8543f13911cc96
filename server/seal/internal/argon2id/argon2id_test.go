package argon2id

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"
)

// The pooled memory must not change a single output byte: each case is
// compared with x/crypto's IDKey, one after another so every hash but the
// first works in memory a different hash left behind.
func TestSameAsXCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type params struct {
		time, memory uint32
		threads      uint8
		keyLen       uint32
	}
	cases := []params{
		{2, 19 * 1024, 1, 32}, // receipts and staff passwords
		{2, 19 * 1024, 1, 32},
		{1, 64, 1, 32},
		{3, 256, 2, 16},
		{1, 32, 4, 64},
		{4, 1024, 3, 32},
		{2, 19 * 1024, 1, 32},
	}
	for range 20 {
		cases = append(cases, params{1 + r.Uint32N(3), 8 + r.Uint32N(2048), uint8(1 + r.IntN(4)), 4 + r.Uint32N(80)})
	}
	for i, p := range cases {
		pw := make([]byte, r.IntN(40))
		salt := make([]byte, 8+r.IntN(24))
		for j := range pw {
			pw[j] = byte(r.Uint32())
		}
		for j := range salt {
			salt[j] = byte(r.Uint32())
		}
		want := argon2.IDKey(pw, salt, p.time, p.memory, p.threads, p.keyLen)
		got := Key(pw, salt, p.time, p.memory, p.threads, p.keyLen)
		if !bytes.Equal(got, want) {
			t.Errorf("case %d %+v: got %x, x/crypto %x", i, p, got, want)
		}
	}
}

// Vectors made with the reference implementation's command-line tool
// (github.com/P-H-C/phc-winner-argon2), as x/crypto's tests give them:
// password "password", salt "somesalt". The same outputs from this copy
// alone, with no x/crypto to compare against.
func TestReferenceVectors(t *testing.T) {
	for _, v := range []struct {
		time, memory uint32
		threads      uint8
		hash         string
	}{
		{1, 64, 1, "655ad15eac652dc59f7170a7332bf49b8469be1fdb9c28bb"},
		{2, 64, 1, "068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7"},
		{2, 64, 2, "350ac37222f436ccb5c0972f1ebd3bf6b958bf2071841362"},
	} {
		got := hex.EncodeToString(Key([]byte("password"), []byte("somesalt"), v.time, v.memory, v.threads, 24))
		if got != v.hash {
			t.Errorf("t=%d m=%d p=%d: got %s, want %s", v.time, v.memory, v.threads, got, v.hash)
		}
	}
}

// Hashes at once, as the server's hash gate lets them run, each in its own
// pooled memory: the same outputs as one at a time.
func TestConcurrentHashesKeepTheirMemory(t *testing.T) {
	salt := []byte("0123456789abcdef")
	want := make([][]byte, 8)
	for i := range want {
		want[i] = argon2.IDKey([]byte(fmt.Sprintf("GH-%04d", i)), salt, 2, 2048, 1, 32)
	}
	var wg sync.WaitGroup
	got := make([][]byte, len(want))
	for i := range want {
		wg.Go(func() { got[i] = Key([]byte(fmt.Sprintf("GH-%04d", i)), salt, 2, 2048, 1, 32) })
	}
	wg.Wait()
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("hash %d: got %x, want %x", i, got[i], want[i])
		}
	}
}

// go test -run '^$' -bench . -benchmem ./server/seal/internal/argon2id/
// Both at the receipt's parameters, on every core at once as under load.
func BenchmarkReceiptParams(b *testing.B) {
	salt := []byte("0123456789abcdef")
	for _, impl := range []struct {
		name string
		key  func(pw, salt []byte, t, m uint32, p uint8, l uint32) []byte
	}{{"pooled", Key}, {"x-crypto", argon2.IDKey}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				pw := []byte("GH-2026-ABCD-EFGH")
				for pb.Next() {
					impl.key(pw, salt, 2, 19*1024, 1, 32)
				}
			})
		})
	}
}
