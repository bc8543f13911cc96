package socialmap_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/gehoord/gehoord/server/socialmap"
	"github.com/gehoord/gehoord/server/store/storetest"
)

// FuzzCSVImport: any file a coordinator uploads is read without panicking
// or failing the database: what cannot be taken comes back as a problem
// with a line number, never as an error.
func FuzzCSVImport(f *testing.F) {
	f.Add(socialmap.SampleCSV())
	f.Add([]byte("key;name;topics\nx;\"unclosed\n"))
	f.Add([]byte("\xef\xbb\xbfkey,name\n,=cmd|' /C calc'!A0\n"))
	s := socialmap.NewService(storetest.New(f))
	if err := s.EnsureIndexes(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		res, err := s.Import(context.Background(), bytes.NewReader(data))
		if err != nil {
			t.Fatalf("import failed as if the database had: %v", err)
		}
		for _, p := range res.Problems {
			if p.Line < 0 || p.Msg == "" {
				t.Fatalf("a problem without a line or message: %+v", p)
			}
		}
	})
}
