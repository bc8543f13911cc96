package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/servertest"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/store/storetest"
)

func runCLI(args ...string) (int, string) {
	var out, errb bytes.Buffer
	code := Run(args, strings.NewReader(""), &out, &errb)
	return code, out.String() + errb.String()
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBackupRestoreRoundTrip: `gehoord backup` copies the embedded
// database while the server runs and takes reports; `gehoord restore`
// puts it into an empty data folder holding the desk's key; the restored
// desk finds every case by its receipt, and the references it hands out
// never repeat one handed out after the backup was taken.
func TestBackupRestoreRoundTrip(t *testing.T) {
	dataA := t.TempDir()
	envA := opsEnv(dataA, nil)
	srvA := serveFor(t, envA)
	type filed struct{ ref, receipt string }
	var before []filed
	for i := range 3 {
		ref, rc := report(t, srvA.URL, "Voor de backup "+string(rune('a'+i)))
		before = append(before, filed{ref, rc})
	}

	// Reports keep coming in while the backup runs.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var during []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ref, _, err := fileReport(srvA.URL, "Tijdens de backup")
			if err != nil {
				t.Errorf("report while backing up: %v", err)
				return
			}
			mu.Lock()
			during = append(during, ref)
			mu.Unlock()
		}
	}()
	file := filepath.Join(t.TempDir(), "desk.backup")
	setOpsEnv(t, envA)
	code, out := runCLI("backup", "--out", file)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", st, err)
	}
	if code, out := runCLI("backup", "--out", file); code == 0 || !strings.Contains(out, "exists") {
		t.Fatalf("a second backup over the first: %d %s", code, out)
	}
	// References handed out after the backup: the restored desk must
	// never give them again.
	after := slices.Clone(during)
	for range 3 {
		ref, _ := report(t, srvA.URL, "Na de backup")
		after = append(after, ref)
	}

	dataB := t.TempDir()
	copyFile(t, filepath.Join(dataA, seal.KeyFile), filepath.Join(dataB, seal.KeyFile))
	envB := opsEnv(dataB, nil)
	setOpsEnv(t, envB)
	if code, out := runCLI("restore", "--in", file); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	if code, out := runCLI("restore", "--in", file); code == 0 || !strings.Contains(out, "empty") {
		t.Fatalf("a restore over a restored database: %d %s", code, out)
	}
	srvB := serveFor(t, envB)
	for _, f := range before {
		code, body := status(t, srvB.URL, f.receipt)
		if code != 200 || !strings.Contains(body, f.ref) {
			t.Fatalf("restored desk does not find case %s by its receipt: %d %s", f.ref, code, body)
		}
	}
	all := append(slices.Clone(after), before[0].ref, before[1].ref, before[2].ref)
	for i := range 3 {
		ref, _ := report(t, srvB.URL, "Na het terugzetten "+string(rune('a'+i)))
		if slices.Contains(all, ref) {
			t.Fatalf("the restored desk handed out %s again (handed out before: %v)", ref, all)
		}
		all = append(all, ref)
	}
}

// TestRestoreRefusesWrongKeyWritingNoKey: a restore without the desk's
// key (none, another in the environment, another in the data folder) is
// refused before anything is written, and no key is made.
func TestRestoreRefusesWrongKeyWritingNoKey(t *testing.T) {
	ctx := context.Background()
	dataA := t.TempDir()
	if _, err := seal.LoadRing(dataA, ""); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{DataDir: dataA, Logger: quietLog(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "cases", bson.D{{Key: "_id", Value: "c1"}}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close(ctx)
	file := filepath.Join(t.TempDir(), "desk.backup")
	setOpsEnv(t, opsEnv(dataA, nil))
	if code, out := runCLI("backup", "--out", file); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	wantID := seal.KeyID(mustRing(t, dataA, "").Keys[0])

	nothingWritten := func(dir, keyBefore string) {
		t.Helper()
		b, _ := os.ReadFile(filepath.Join(dir, seal.KeyFile))
		if string(b) != keyBefore {
			t.Fatal("the refused restore wrote or changed the key file")
		}
		if _, err := os.Stat(filepath.Join(dir, "db")); err == nil {
			t.Fatal("the refused restore made the database folder")
		}
	}
	// No key at all.
	empty := t.TempDir()
	setOpsEnv(t, opsEnv(empty, nil))
	if code, out := runCLI("restore", "--in", file); code == 0 || !strings.Contains(out, wantID) || !strings.Contains(out, "No key was written") {
		t.Fatalf("restore without a key: %d %s", code, out)
	}
	nothingWritten(empty, "")
	// Another key in the environment.
	setOpsEnv(t, opsEnv(empty, map[string]string{"GEHOORD_SECRET_KEY": servertest.NewKey()}))
	if code, out := runCLI("restore", "--in", file); code == 0 || !strings.Contains(out, "refused") || !strings.Contains(out, wantID) {
		t.Fatalf("restore with another key: %d %s", code, out)
	}
	nothingWritten(empty, "")
	// Another key in the data folder.
	other := t.TempDir()
	if _, err := seal.LoadRing(other, ""); err != nil {
		t.Fatal(err)
	}
	keyBefore, _ := os.ReadFile(filepath.Join(other, seal.KeyFile))
	setOpsEnv(t, opsEnv(other, nil))
	if code, out := runCLI("restore", "--in", file); code == 0 || !strings.Contains(out, "refused") {
		t.Fatalf("restore with another key file: %d %s", code, out)
	}
	nothingWritten(other, string(keyBefore))
	// A cut-off backup is refused as such.
	b, _ := os.ReadFile(file)
	cut := filepath.Join(t.TempDir(), "cut.backup")
	if err := os.WriteFile(cut, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	copyFile(t, filepath.Join(dataA, seal.KeyFile), filepath.Join(good, seal.KeyFile))
	setOpsEnv(t, opsEnv(good, nil))
	if code, out := runCLI("restore", "--in", cut); code == 0 {
		t.Fatalf("a cut-off backup was restored: %s", out)
	}
}

func mustRing(t *testing.T, dir, env string) seal.Ring {
	t.Helper()
	r, err := seal.ReadRing(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestKeyRotationResumes: `gehoord keys rotate` re-seals every sealed
// value to a new key; stopped half-way it leaves both keys in the key
// file and resumes on the next run; `keys drop-old` refuses until the
// re-sealing is done and then leaves only the new key; every value names
// it, and the desk still opens cases and finds them by receipt (the
// receipt hash did not change).
func TestKeyRotationResumes(t *testing.T) {
	data := t.TempDir()
	env := opsEnv(data, nil)
	srv := serveFor(t, env)
	var receipts, refs []string
	for i := range 3 {
		ref, rc := report(t, srv.URL, "Te roteren "+string(rune('a'+i)))
		refs, receipts = append(refs, ref), append(receipts, rc)
	}
	srv.stop()
	oldID := seal.KeyID(mustRing(t, data, "").Keys[0])
	cfg, err := config.FromEnv(nil, env)
	if err != nil {
		t.Fatal(err)
	}

	// Refused while the server runs on the folder.
	srv2 := serveFor(t, env)
	if err := rotateKeys(context.Background(), cfg, io.Discard, io.Discard); err == nil {
		t.Fatal("rotation ran while the server holds the data folder")
	}
	if r := mustRing(t, data, ""); len(r.Keys) != 1 || seal.KeyID(r.Keys[0]) != oldID {
		t.Fatal("the refused rotation changed the key file")
	}
	srv2.stop()

	ctx, cancel := context.WithCancel(context.Background())
	afterReseal = func(n int) {
		if n == 2 {
			cancel() // interrupted, as by Ctrl-C
		}
	}
	t.Cleanup(func() { afterReseal = nil })
	if err := rotateKeys(ctx, cfg, io.Discard, io.Discard); err == nil {
		t.Fatal("the interrupted rotation reported success")
	}
	afterReseal = nil
	mid := mustRing(t, data, "")
	if len(mid.Keys) != 2 || seal.KeyID(mid.Keys[1]) != oldID {
		t.Fatalf("after the interruption the key file holds %d keys", len(mid.Keys))
	}
	newID := seal.KeyID(mid.Keys[0])
	if err := dropOldKeys(context.Background(), cfg, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("drop-old during an unfinished rotation: %v", err)
	}
	if r := mustRing(t, data, ""); len(r.Keys) != 2 {
		t.Fatal("the refused drop-old changed the key file")
	}
	var out bytes.Buffer
	if err := rotateKeys(context.Background(), cfg, &out, io.Discard); err != nil {
		t.Fatalf("resumed rotation: %v", err)
	}
	if !strings.Contains(out.String(), "Resuming") {
		t.Fatalf("the second run did not resume: %s", out.String())
	}
	// The old key stays (tablets may hold reports sealed to it) until
	// the operator drops it.
	if r := mustRing(t, data, ""); len(r.Keys) != 2 || seal.KeyID(r.Keys[0]) != newID {
		t.Fatalf("after the rotation the key file holds %d keys", len(r.Keys))
	}
	if err := dropOldKeys(context.Background(), cfg, io.Discard, io.Discard); err != nil {
		t.Fatalf("drop-old: %v", err)
	}
	final := mustRing(t, data, "")
	if len(final.Keys) != 1 || seal.KeyID(final.Keys[0]) != newID || final.ReceiptSalt == nil {
		t.Fatalf("after drop-old the key file holds %d keys", len(final.Keys))
	}

	// Every sealed value names the new key and opens with it alone.
	st, err := store.Open(context.Background(), store.Options{DataDir: data, Logger: quietLog(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.NewRing(final)
	if err != nil {
		t.Fatal(err)
	}
	checked := sealedWithOnly(t, st, sealer)
	_ = st.Close(context.Background())
	if checked < 9 { // 3 cases × description and about, 3 acknowledgements
		t.Fatalf("only %d sealed values found", checked)
	}
	srv3 := serveFor(t, env)
	for i, rc := range receipts {
		code, body := status(t, srv3.URL, rc)
		if code != 200 || !strings.Contains(body, refs[i]) {
			t.Fatalf("after rotation case %s: %d %s", refs[i], code, body)
		}
	}
}

// TestBackupMovesToMongoDBAndBack: a backup of the embedded database
// restores into a MongoDB database (here FerretDB through the official
// driver, as the MongoDB path is tested everywhere in this project), which
// is how a desk moves; a backup made there through the driver restores
// again, and the desk finds its case in both.
func TestBackupMovesToMongoDBAndBack(t *testing.T) {
	dataA := t.TempDir()
	srvA := serveFor(t, opsEnv(dataA, nil))
	ref, receipt := report(t, srvA.URL, "Verhuizen naar MongoDB")
	first := filepath.Join(t.TempDir(), "embedded.backup")
	setOpsEnv(t, opsEnv(dataA, nil))
	if code, out := runCLI("backup", "--out", first); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	key, err := os.ReadFile(filepath.Join(dataA, seal.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	uri, db := storetest.URI(t), storetest.DBName()
	mongo := opsEnv(t.TempDir(), map[string]string{"GEHOORD_MONGODB_URI": uri, "GEHOORD_DB_NAME": db, "GEHOORD_SECRET_KEY": string(key)})
	setOpsEnv(t, mongo)
	t.Cleanup(func() {
		if st, err := store.Open(context.Background(), store.Options{URI: uri, DBName: db}); err == nil {
			_ = st.DB.Drop(context.Background())
			_ = st.Close(context.Background())
		}
	})
	if code, out := runCLI("restore", "--in", first); code != 0 {
		t.Fatalf("restore into MongoDB: %d %s", code, out)
	}
	srvB := serveFor(t, mongo)
	if code, body := status(t, srvB.URL, receipt); code != 200 || !strings.Contains(body, ref) {
		t.Fatalf("on MongoDB: %d %s", code, body)
	}
	second := filepath.Join(t.TempDir(), "mongodb.backup")
	if code, out := runCLI("backup", "--out", second); code != 0 {
		t.Fatalf("backup through the driver: %d %s", code, out)
	}
	dataC := t.TempDir()
	copyFile(t, filepath.Join(dataA, seal.KeyFile), filepath.Join(dataC, seal.KeyFile))
	setOpsEnv(t, opsEnv(dataC, nil))
	if code, out := runCLI("restore", "--in", second); code != 0 {
		t.Fatalf("restore back into the embedded database: %d %s", code, out)
	}
	srvC := serveFor(t, opsEnv(dataC, nil))
	if code, body := status(t, srvC.URL, receipt); code != 200 || !strings.Contains(body, ref) {
		t.Fatalf("back on the embedded database: %d %s", code, body)
	}
}

// TestKeyRotationWithKeyInEnvironment: with GEHOORD_SECRET_KEY the first
// run only hands out the new ring; instances restarted with it keep
// serving while the second run re-seals; then the ring without the old key
// opens everything and finds every receipt.
func TestKeyRotationWithKeyInEnvironment(t *testing.T) {
	key, db := servertest.NewKey(), storetest.DBName()
	first := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: key})
	var refs, receipts []string
	for i := range 2 {
		ref, rc := report(t, first.URL, "Sleutel in de omgeving "+string(rune('a'+i)))
		refs, receipts = append(refs, ref), append(receipts, rc)
	}
	cfgFor := func(secret string) config.Config {
		cfg, err := config.FromEnv(nil, opsEnv(t.TempDir(), map[string]string{
			"GEHOORD_MONGODB_URI": storetest.URI(t), "GEHOORD_DB_NAME": db, "GEHOORD_SECRET_KEY": secret}))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	var out bytes.Buffer
	if err := rotateKeys(context.Background(), cfgFor(key), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	ringText := lines[len(lines)-1]
	ring, err := seal.ParseRing(ringText)
	if err != nil || len(ring.Keys) != 2 {
		t.Fatalf("the first run did not print a ring of two keys: %v\n%s", err, out.String())
	}
	oldKey, _ := seal.ParseRing(key)
	if seal.KeyID(ring.Keys[1]) != seal.KeyID(oldKey.Keys[0]) {
		t.Fatal("the printed ring does not keep the old key")
	}
	first.Stop()
	second := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: ringText})
	if err := rotateKeys(context.Background(), cfgFor(ringText), io.Discard, io.Discard); err != nil {
		t.Fatalf("re-seal with the instance running: %v", err)
	}
	for i, rc := range receipts {
		if code, body := status(t, second.URL, rc); code != 200 || !strings.Contains(body, refs[i]) {
			t.Fatalf("during the rotation: %d %s", code, body)
		}
	}
	out.Reset()
	if err := dropOldKeys(context.Background(), cfgFor(ringText), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(strings.TrimSpace(ring.CurrentOnly().Text()), "\n", ";"); !strings.Contains(out.String(), want) {
		t.Fatalf("drop-old does not hand out the ring without the old key:\n%s", out.String())
	}
	second.Stop()
	st, err := store.Open(context.Background(), store.Options{URI: storetest.URI(t), DBName: db})
	if err != nil {
		t.Fatal(err)
	}
	newOnly, err := seal.NewRing(ring.CurrentOnly())
	if err != nil {
		t.Fatal(err)
	}
	if n := sealedWithOnly(t, st, newOnly); n < 6 { // 2 cases × description and about, 2 acknowledgements
		t.Fatalf("only %d sealed values found", n)
	}
	_ = st.Close(context.Background())
	third := servertest.StartWith(t, servertest.Options{DBName: db, SecretKey: ring.CurrentOnly().Text()})
	for i, rc := range receipts {
		if code, body := status(t, third.URL, rc); code != 200 || !strings.Contains(body, refs[i]) {
			t.Fatalf("with the new key alone: %d %s", code, body)
		}
	}
}

// TestRotationKeepsOldKeyForUnknownSealedFields: a value sealed with the
// old key in a field the rotation does not know (added by a later
// change) keeps the old key in the ring, and the command names the place.
func TestRotationKeepsOldKeyForUnknownSealedFields(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	ring, err := seal.LoadRing(data, "")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := seal.NewRing(ring)
	st, err := store.Open(ctx, store.Options{DataDir: data, Logger: quietLog(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "cases", bson.D{{Key: "_id", Value: "c1"}, {Key: "description", Value: old.Seal("bekend veld", "case:c1:description")}}); err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "new_things", bson.D{{Key: "_id", Value: "n1"}, {Key: "secret", Value: old.Seal("onbekend veld", "thing:n1")}}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close(ctx)
	cfg, err := config.FromEnv(nil, opsEnv(data, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = rotateKeys(ctx, cfg, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "new_things.secret") {
		t.Fatalf("rotation with an unknown sealed field: %v", err)
	}
	err = dropOldKeys(ctx, cfg, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "new_things.secret") {
		t.Fatalf("drop-old with an unknown sealed field: %v", err)
	}
	if r := mustRing(t, data, ""); len(r.Keys) != 2 {
		t.Fatalf("the old key left the ring while a value still needs it (%d keys)", len(r.Keys))
	}
}

// sealedWithOnly checks that every value of every known sealed field names
// the sealer's current key and opens with it, and returns how many there
// were.
func sealedWithOnly(t *testing.T, st *store.Store, sealer *seal.Sealer) int {
	t.Helper()
	head := currentHead(sealer)
	checked := 0
	for _, f := range sealedFields {
		cur, err := st.C(f.coll).Find(context.Background(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		for cur.Next(context.Background()) {
			_, v, ok := cur.Current.Lookup(f.field).BinaryOK()
			if !ok || len(v) == 0 {
				continue
			}
			if !bytes.HasPrefix(v, head) {
				t.Errorf("%s.%s still sealed with another key", f.coll, f.field)
			}
			if _, err := sealer.Open(v, f.context(cur.Current)); err != nil {
				t.Errorf("%s.%s does not open with the new key: %v", f.coll, f.field, err)
			}
			checked++
		}
		_ = cur.Close(context.Background())
	}
	return checked
}

// TestServeRefusesDataWithoutKey: a data folder with a database but no
// key (restored with the key in the environment, then started without
// it) is refused at start, and no key is made: a new one would open
// nothing there and seal new cases with it.
func TestServeRefusesDataWithoutKey(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := store.Open(ctx, store.Options{DataDir: data, Logger: quietLog(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Insert(ctx, "cases", bson.D{{Key: "_id", Value: "c1"}}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close(ctx)
	cfg, err := config.FromEnv(nil, opsEnv(data, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = Serve(ctx, cfg, quietLog(io.Discard), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("serve on data without its key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, seal.KeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a key was made: %v", err)
	}
	setOpsEnv(t, opsEnv(data, nil))
	if code, out := runCLI("user", "add", "--email", "a@desk.test", "--role", "admin"); code == 0 || !strings.Contains(out, "no key") {
		t.Fatalf("user add on data without its key: %d %s", code, out)
	}
}
