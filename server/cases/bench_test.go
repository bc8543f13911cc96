package cases

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/i18n"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// benchService is a service on a fresh database holding n cases as the
// desk would have them after a few years: most closed, a few hundred open.
func benchService(b *testing.B, n int) *Service {
	b.Helper()
	st := storetest.New(b)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sl, err := seal.New(key)
	if err != nil {
		b.Fatal(err)
	}
	svc := NewService(Config{Store: st, Sealer: sl, Texts: i18n.Default()})
	if err := svc.EnsureIndexes(b.Context()); err != nil {
		b.Fatal(err)
	}
	if err := st.EnsureIndexes(b.Context(), ThemeIndexes()...); err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().Add(-3 * 365 * 24 * time.Hour)
	desc := strings.Repeat("Ik werk al jaren en de bank sloot mijn rekening zonder reden. ", 12)
	docs := make([]any, 0, n)
	for i := 0; i < n; i++ {
		id := uuid.NewString()
		at := start.Add(time.Duration(i) * 3 * 365 * 24 * time.Hour / time.Duration(n))
		state := StateClosed
		if i >= n-n/25 { // the newest 4% are open
			state = []State{StateReceived, StateTriage, StateListening, StateAdvice, StateReplyReceived}[i%5]
		}
		rh := make([]byte, 16)
		_, _ = rand.Read(rh)
		c := &Case{ID: id, ClientID: id, ReceiptHash: rh, Reference: fmt.Sprintf("GH-%d-%04d", at.Year(), i),
			CreatedAt: at, UpdatedAt: at, LastActivity: at,
			Kind: "complaint", Category: Categories[i%len(Categories)].ID, Group: "business", Municipality: "0363",
			Wish: "handle", IdentityMode: "named", Language: PublicLanguages[i%len(PublicLanguages)], Channel: string(ChannelWeb),
			State: state, Deadlines: ComputeDeadlines(at), Themes: []string{}, Priority: i % 3 / 2,
			Description: sl.Seal(desc, sealCtx(id, "description")),
			About:       sl.Seal(fmt.Sprintf("Bank %d", i%40), sealCtx(id, "about")),
			Name:        sl.Seal("Anna", sealCtx(id, "name")),
			Contact:     sl.Seal("06-12345678", sealCtx(id, "contact")),
		}
		if state == StateClosed {
			c.ClosedAt, c.Outcome = at.Add(30*24*time.Hour), OutcomeResolved
		}
		docs = append(docs, c)
	}
	if err := st.InsertAll(b.Context(), collectionCases, docs); err != nil {
		b.Fatal(err)
	}
	return svc
}

func BenchmarkInboxRaw(b *testing.B) {
	svc := benchService(b, 10000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := svc.Inbox(b.Context(), InboxFilter{}); err != nil {
			b.Fatal(err)
		}
	}
}
