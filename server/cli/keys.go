package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/config"
	"github.com/gehoord/gehoord/server/seal"
	"github.com/gehoord/gehoord/server/store"
)

// sealedField is one sealed field of a collection and the context it was
// sealed under, computed from its document. Every Seal call of the server
// has its field here (a new one needs its line); a field missing here is
// found by the check at the end of a rotation (its values still name the
// old key), and drop-old then refuses.
type sealedField struct {
	coll, field string
	context     func(d bson.Raw) string
}

func str(d bson.Raw, key string) string { s, _ := d.Lookup(key).StringValueOK(); return s }

func byID(prefix, suffix string) func(bson.Raw) string {
	return func(d bson.Raw) string { return prefix + str(d, "_id") + suffix }
}

var sealedFields = []sealedField{
	{"cases", "description", byID("case:", ":description")},
	{"cases", "about", byID("case:", ":about")},
	{"cases", "name", byID("case:", ":name")},
	{"cases", "contact", byID("case:", ":contact")},
	{"case_events", "body", func(d bson.Raw) string { return "case:" + str(d, "case_id") + ":event:" + str(d, "_id") }},
	{"themes", "title_sealed", byID("theme:", ":title")},
	{"themes", "org_name_sealed", byID("theme:", ":org_name")},
	{"themes", "note", byID("theme:", ":note")},
	{"themes", "summary_sealed", byID("theme:", ":summary")},
	{"outreach_rounds", "place_sealed", byID("round:", ":place")},
	{"staff_users", "totp_secret", byID("staff:", ":totp")},
	{"staff_users", "totp_pending", byID("staff:", ":totp_pending")},
	{"sessions", "totp_pending", func(d bson.Raw) string { return "staff:" + str(d, "user_id") + ":totp_pending:" + str(d, "_id") }},
	{"push_keys", "private", func(bson.Raw) string { return "push:vapid" }},
	{"push_subscriptions", "endpoint", byID("push:sub:", ":endpoint")},
	{"push_subscriptions", "p256dh", byID("push:sub:", ":p256dh")},
	{"push_subscriptions", "auth", byID("push:sub:", ":auth")},
	{"push_subscriptions", "label", byID("push:sub:", ":label")},
	{"public_views", "data", byID("view:", "")},
}

// afterReseal, when set (tests), is called after each document is
// re-sealed: a test stops the rotation there to try resuming it.
var afterReseal func(n int)

const keysUsage = `usage:
  gehoord keys rotate      re-seal every sealed value to a new key; run it again to resume an interrupted rotation
  gehoord keys drop-old    remove the old key from the ring, once nothing needs it any more
With the key in the data folder, stop the server first (the commands refuse
while it runs). With GEHOORD_SECRET_KEY, the first run of rotate prints the
new key ring to set on every instance; restart them with it, then run it
again.`

//lint:ignore ST1005 the usage is shown as it is, full sentences included
var errKeysUsage = errors.New(keysUsage)

// keysCmd runs `gehoord keys rotate|drop-old`.
func keysCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "rotate" && args[0] != "drop-old") {
		return errKeysUsage
	}
	cfg, err := config.FromEnv(nil, nil)
	if err != nil {
		return err
	}
	if args[0] == "drop-old" {
		return dropOldKeys(ctx, cfg, stdout, stderr)
	}
	return rotateKeys(ctx, cfg, stdout, stderr)
}

// rotateKeys: a rotation is under way while the ring holds old keys. The
// first run adds a new current key (kept by the old ones, which still
// open what they sealed); every run re-seals what is not sealed with the
// current key (a value already re-sealed is skipped, so an interrupted
// run resumes where it stopped). The old key stays in the ring when the
// database is done: tablets may still hold reports sealed to its desk key
// (seal.Desk), to be sent at their next sync, and only the operator knows
// when none is left; `gehoord keys drop-old` then removes it.
func rotateKeys(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	ring, err := seal.ReadRing(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return noKeyError(cfg, err)
	}
	fromEnv := strings.TrimSpace(cfg.SecretKey) != ""
	if fromEnv && len(ring.Keys) == 1 {
		// The command cannot change the instances' environment: hand
		// over the new ring, to be set everywhere before re-sealing.
		next, err := ring.Rotated()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "A new key (id %s) is ready. Set GEHOORD_SECRET_KEY on every instance to this value (it is\n"+
			"the secret: keep it as you keep the key now), restart them, then run `gehoord keys rotate` again with it:\n\n%s\n",
			seal.KeyID(next.Keys[0]), strings.ReplaceAll(strings.TrimSpace(next.Text()), "\n", ";"))
		return nil
	}
	// Opened before the key file changes: with the embedded database this
	// refuses while the server runs (it holds the data folder's lock).
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: quietLog(stderr)})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	if cfg.MongoURI != "" && !fromEnv {
		fmt.Fprintln(stdout, "Key in the data folder with MongoDB: every other instance must be stopped until it has the new key file.")
	}
	if len(ring.Keys) == 1 {
		next, err := ring.Rotated()
		if err != nil {
			return err
		}
		if err := seal.WriteRing(cfg.DataDir, next); err != nil {
			return err
		}
		ring = next
		fmt.Fprintf(stdout, "New key %s written to %s; the old key %s stays until every value is re-sealed.\n",
			seal.KeyID(ring.Keys[0]), seal.KeyFile, seal.KeyID(ring.Keys[1]))
	} else {
		fmt.Fprintf(stdout, "Resuming the rotation to key %s.\n", seal.KeyID(ring.Keys[0]))
	}
	sealer, err := seal.NewRing(ring)
	if err != nil {
		return err
	}
	n, err := reseal(ctx, st, sealer)
	if err != nil {
		return fmt.Errorf("keys rotate: stopped after re-sealing %d documents: %w (run it again to go on)", n, err)
	}
	left, err := underOldKeys(ctx, st, sealer)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("keys rotate: values sealed with an old key remain in %s, which the rotation does not know; "+
			"the old key stays in the ring", strings.Join(left, ", "))
	}
	fmt.Fprintf(stdout, "Re-sealed %d documents: everything in the database is sealed with key %s.\n"+
		"The old key %s stays in the ring: tablets may still hold reports sealed to it, and backups made before\n"+
		"need it. When every tablet has synced since (Staff → Tablets), run `gehoord keys drop-old`.\n",
		n, sealer.CurrentKeyID(), strings.Join(sealer.KeyIDs()[1:], ", "))
	return nil
}

// dropOldKeys removes the old keys from the ring, after checking that no
// value in the database still needs them.
func dropOldKeys(ctx context.Context, cfg config.Config, stdout, stderr io.Writer) error {
	ring, err := seal.ReadRing(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		return noKeyError(cfg, err)
	}
	if len(ring.Keys) == 1 {
		fmt.Fprintln(stdout, "The ring holds one key: nothing to drop.")
		return nil
	}
	sealer, err := seal.NewRing(ring)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, DBName: cfg.DBName, DataDir: cfg.DataDir, Logger: quietLog(stderr)})
	if err != nil {
		return err
	}
	defer st.Close(context.Background())
	pending, err := notResealed(ctx, st, sealer)
	if err != nil {
		return err
	}
	left, err := underOldKeys(ctx, st, sealer)
	if err != nil {
		return err
	}
	if pending > 0 || len(left) > 0 {
		return fmt.Errorf("keys drop-old: refused: %d documents are not re-sealed yet%s; run `gehoord keys rotate` first",
			pending, strings.Join(append([]string{""}, left...), ", "))
	}
	old := strings.Join(sealer.KeyIDs()[1:], ", ")
	if strings.TrimSpace(cfg.SecretKey) != "" {
		fmt.Fprintf(stdout, "Nothing in the database needs the old key %s. Set GEHOORD_SECRET_KEY on every instance to\n"+
			"this value and restart them:\n\n%s\n", old, strings.ReplaceAll(strings.TrimSpace(ring.CurrentOnly().Text()), "\n", ";"))
		return nil
	}
	if err := seal.WriteRing(cfg.DataDir, ring.CurrentOnly()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s now holds only key %s. Backups made before the rotation still need the old key %s:\n"+
		"keep a copy of the old key file with them until they expire.\n", seal.KeyFile, sealer.CurrentKeyID(), old)
	return nil
}

// notResealed counts the documents with a known sealed field not sealed
// with the current key.
func notResealed(ctx context.Context, st *store.Store, s *seal.Sealer) (int, error) {
	byColl := map[string][]sealedField{}
	for _, f := range sealedFields {
		byColl[f.coll] = append(byColl[f.coll], f)
	}
	n := 0
	for coll, fields := range byColl {
		cur, err := st.C(coll).Find(ctx, bson.D{})
		if err != nil {
			return 0, err
		}
		for cur.Next(ctx) {
			if needsReseal(cur.Current, fields, s) {
				n++
			}
		}
		err = cur.Err()
		_ = cur.Close(ctx)
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// reseal re-seals every known sealed field to the current key, one
// document at a time through the store's write route (Change: read,
// decide, write, with no other writer in between).
func reseal(ctx context.Context, st *store.Store, s *seal.Sealer) (int, error) {
	byColl := map[string][]sealedField{}
	var colls []string
	for _, f := range sealedFields {
		if byColl[f.coll] == nil {
			colls = append(colls, f.coll)
		}
		byColl[f.coll] = append(byColl[f.coll], f)
	}
	n := 0
	for _, coll := range colls {
		fields := byColl[coll]
		var ids []any
		cur, err := st.C(coll).Find(ctx, bson.D{})
		if err != nil {
			return n, err
		}
		for cur.Next(ctx) {
			if needsReseal(cur.Current, fields, s) {
				if id, ok := cur.Current.Lookup("_id").StringValueOK(); ok {
					ids = append(ids, id)
				} else {
					ids = append(ids, cur.Current.Lookup("_id"))
				}
			}
		}
		err = cur.Err()
		_ = cur.Close(ctx)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := ctx.Err(); err != nil {
				return n, err
			}
			changed, err := st.Change(ctx, coll, id, func(d bson.Raw) (any, error) {
				set := bson.D{}
				for _, f := range fields {
					_, v, ok := d.Lookup(f.field).BinaryOK()
					if !ok || len(v) == 0 {
						continue
					}
					re, changed, err := s.Reseal(v, f.context(d))
					if err != nil {
						return nil, fmt.Errorf("%s.%s of one document does not open with the ring: %w", coll, f.field, err)
					}
					if changed {
						set = append(set, bson.E{Key: f.field, Value: re})
					}
				}
				if len(set) == 0 {
					return nil, nil
				}
				return bson.D{{Key: "$set", Value: set}}, nil
			})
			if err != nil {
				return n, err
			}
			if changed {
				n++
				if afterReseal != nil {
					afterReseal(n)
				}
			}
		}
	}
	return n, nil
}

// needsReseal is a cheap look: a value that does not start with the
// current key's id is not sealed with it (Reseal decides for sure).
func needsReseal(d bson.Raw, fields []sealedField, s *seal.Sealer) bool {
	head := currentHead(s)
	for _, f := range fields {
		if _, v, ok := d.Lookup(f.field).BinaryOK(); ok && len(v) > 0 && !bytes.HasPrefix(v, head) {
			return true
		}
	}
	return false
}

func currentHead(s *seal.Sealer) []byte {
	return slices.Concat([]byte{seal.HeaderMagic}, s.CurrentKeyIDBytes())
}

// underOldKeys lists the collection.field places, in every collection,
// holding a value whose header names an old key of the ring: sealed by a
// field the table above lacks.
func underOldKeys(ctx context.Context, st *store.Store, s *seal.Sealer) ([]string, error) {
	var olds [][]byte
	for _, id := range s.OldKeyIDBytes() {
		olds = append(olds, slices.Concat([]byte{seal.HeaderMagic}, id))
	}
	names, err := st.DB.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	found := map[string]bool{}
	var walk func(coll, path string, d bson.Raw)
	walk = func(coll, path string, d bson.Raw) {
		elems, _ := d.Elements()
		for _, e := range elems {
			p := path + e.Key()
			if _, v, ok := e.Value().BinaryOK(); ok {
				for _, o := range olds {
					if bytes.HasPrefix(v, o) {
						found[coll+"."+p] = true
					}
				}
			} else if sub, ok := e.Value().DocumentOK(); ok {
				walk(coll, p+".", sub)
			} else if arr, ok := e.Value().ArrayOK(); ok {
				walk(coll, p+".", bson.Raw(arr))
			}
		}
	}
	for _, name := range names {
		cur, err := st.C(name).Find(ctx, bson.D{})
		if err != nil {
			return nil, err
		}
		for cur.Next(ctx) {
			walk(name, "", cur.Current)
		}
		err = cur.Err()
		_ = cur.Close(ctx)
		if err != nil {
			return nil, err
		}
	}
	var out []string
	for k := range found {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}
