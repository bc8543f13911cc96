package push

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/store"
)

// MaxDevices is how many subscriptions one user may have.
const MaxDevices = 20

// MaxLabel is the longest device label in characters.
const MaxLabel = 60

// Input is a browser PushSubscription (its toJSON()) plus what the page adds.
type Input struct {
	Endpoint       string `json:"endpoint"`
	ExpirationTime *int64 `json:"expirationTime,omitempty"`
	Keys           KeysIn `json:"keys"`
	Label          string `json:"label,omitempty"`
	Lang           string `json:"lang,omitempty"`
}

// KeysIn are the subscription's keys, base64url as browsers give them.
type KeysIn struct {
	P256dh string `json:"p256dh"`
	Auth   string `json:"auth"`
}

// Device is one subscription as its owner sees it.
type Device struct {
	ID        string
	Label     string
	Lang      string
	CreatedAt time.Time
	LastSent  time.Time
}

// subDoc is a subscription as stored; endpoint, keys and label are sealed,
// the endpoint's keyed hash is the unique key.
type subDoc struct {
	ID           string    `bson:"_id"`
	EndpointHash string    `bson:"endpoint_hash"`
	UserID       string    `bson:"user_id"`
	Endpoint     []byte    `bson:"endpoint"`
	P256dh       []byte    `bson:"p256dh"`
	Auth         []byte    `bson:"auth"`
	Label        []byte    `bson:"label"`
	Lang         string    `bson:"lang"`
	CreatedAt    time.Time `bson:"created_at"`
	LastSent     time.Time `bson:"last_sent"`
}

// subscription is a decoded subscription ready to send to.
type subscription struct {
	ID, UserID, Endpoint, P256dh, Auth, Lang string
}

func (s *Service) endpointHash(endpoint string) string {
	return hex.EncodeToString(s.seal.MAC("push-endpoint", endpoint))
}

func sealCtx(id, field string) string { return "push:sub:" + id + ":" + field }

// Validate checks a subscription and normalises its label and language.
func (s *Service) Validate(in *Input) error {
	in.Endpoint = strings.TrimSpace(in.Endpoint)
	u, err := url.Parse(in.Endpoint)
	if err != nil || u.Host == "" || len(in.Endpoint) > 2048 || u.User != nil {
		return errInvalidField("endpoint")
	}
	if u.Scheme != "https" && !(s.cfg.AllowHTTP && u.Scheme == "http") {
		return errInvalidField("endpoint")
	}
	if !s.hostAllowed(u.Hostname()) {
		return ErrHost
	}
	p, err := decodeKey(in.Keys.P256dh)
	if err != nil {
		return errInvalidField("keys.p256dh")
	}
	if _, err := ecdh.P256().NewPublicKey(p); err != nil {
		return errInvalidField("keys.p256dh")
	}
	a, err := decodeKey(in.Keys.Auth)
	if err != nil || len(a) != 16 {
		return errInvalidField("keys.auth")
	}
	in.Label = strings.Join(strings.Fields(in.Label), " ")
	if !utf8.ValidString(in.Label) {
		return errInvalidField("label")
	}
	if r := []rune(in.Label); len(r) > MaxLabel {
		in.Label = string(r[:MaxLabel])
	}
	in.Lang = NormLang(in.Lang)
	return nil
}

// NormLang keeps the staff languages, nl by default.
func NormLang(l string) string {
	if strings.HasPrefix(strings.ToLower(l), "en") {
		return "en"
	}
	return "nl"
}

func decodeKey(k string) ([]byte, error) {
	k = strings.TrimRight(strings.TrimSpace(k), "=")
	if b, err := base64.RawURLEncoding.DecodeString(k); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(k)
}

// Subscribe stores a device for the user; the same endpoint again updates
// it (and moves it to this user: the browser profile changed hands).
func (s *Service) Subscribe(ctx context.Context, userID string, in Input) (Device, error) {
	if userID == "" {
		return Device{}, fmt.Errorf("%w: no user", ErrInvalid)
	}
	if err := s.Validate(&in); err != nil {
		return Device{}, err
	}
	h := s.endpointHash(in.Endpoint)
	// The endpoint is unique (an index): the first request with it makes
	// the document, any other finds it and updates it under its own id.
	for range 5 {
		var old subDoc
		err := s.st.C(collSubs).FindOne(ctx, bson.M{"endpoint_hash": h}).Decode(&old)
		switch {
		case err == nil:
			ok, err := s.st.Update(ctx, collSubs, bson.M{"_id": old.ID, "endpoint_hash": h}, bson.M{"$set": s.subFields(old.ID, userID, in)})
			if err != nil {
				return Device{}, fmt.Errorf("push: store subscription: %w", err)
			}
			if !ok {
				continue // removed at this moment: start again
			}
			return Device{ID: old.ID, Label: in.Label, Lang: in.Lang, CreatedAt: old.CreatedAt, LastSent: old.LastSent}, nil
		case store.NotFound(err) != store.ErrNotFound:
			return Device{}, fmt.Errorf("push: find subscription: %w", err)
		}
		n, err := s.st.C(collSubs).CountDocuments(ctx, bson.M{"user_id": userID})
		if err != nil {
			return Device{}, fmt.Errorf("push: count devices: %w", err)
		}
		if n >= MaxDevices {
			return Device{}, ErrTooMany
		}
		id, now := uuid.NewString(), s.now().UTC()
		doc := s.subFields(id, userID, in)
		doc["_id"], doc["endpoint_hash"], doc["created_at"], doc["last_sent"] = id, h, now, time.Time{}
		err = s.st.Insert(ctx, collSubs, doc)
		if store.IsDuplicate(err) {
			continue // another request with this endpoint made it first: update that one
		}
		if err != nil {
			return Device{}, fmt.Errorf("push: store subscription: %w", err)
		}
		return Device{ID: id, Label: in.Label, Lang: in.Lang, CreatedAt: now}, nil
	}
	return Device{}, fmt.Errorf("push: store subscription: %w", store.ErrBusy)
}

// subFields are the fields of a subscription, sealed under its id.
func (s *Service) subFields(id, userID string, in Input) bson.M {
	return bson.M{
		"user_id":  userID,
		"endpoint": s.seal.Seal(in.Endpoint, sealCtx(id, "endpoint")),
		"p256dh":   s.seal.Seal(in.Keys.P256dh, sealCtx(id, "p256dh")),
		"auth":     s.seal.Seal(in.Keys.Auth, sealCtx(id, "auth")),
		"label":    s.seal.Seal(in.Label, sealCtx(id, "label")),
		"lang":     in.Lang,
	}
}

// Unsubscribe removes the user's subscription with this endpoint.
func (s *Service) Unsubscribe(ctx context.Context, userID, endpoint string) error {
	ok, err := s.st.Delete(ctx, collSubs, bson.M{"endpoint_hash": s.endpointHash(strings.TrimSpace(endpoint)), "user_id": userID})
	if err != nil {
		return fmt.Errorf("push: delete subscription: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// RemoveDevice removes one of the user's devices by id.
func (s *Service) RemoveDevice(ctx context.Context, userID, id string) error {
	ok, err := s.st.Delete(ctx, collSubs, bson.M{"_id": id, "user_id": userID})
	if err != nil {
		return fmt.Errorf("push: delete device: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// RemoveUser removes every device of a user (signing out everywhere,
// disabling a user).
func (s *Service) RemoveUser(ctx context.Context, userID string) error {
	if _, err := s.st.DeleteAll(ctx, collSubs, bson.M{"user_id": userID}); err != nil {
		return fmt.Errorf("push: delete devices: %w", err)
	}
	return nil
}

// Devices lists the user's devices, newest first.
func (s *Service) Devices(ctx context.Context, userID string) ([]Device, error) {
	cur, err := s.st.C(collSubs).Find(ctx, bson.M{"user_id": userID}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("push: list devices: %w", err)
	}
	var docs []subDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("push: list devices: %w", err)
	}
	out := make([]Device, 0, len(docs))
	for _, d := range docs {
		label, _ := s.seal.Open(d.Label, sealCtx(d.ID, "label"))
		out = append(out, Device{ID: d.ID, Label: label, Lang: d.Lang, CreatedAt: d.CreatedAt, LastSent: d.LastSent})
	}
	return out, nil
}

// subsOf returns the users' subscriptions (ids and languages only).
func (s *Service) subsOf(ctx context.Context, userIDs []string) ([]subDoc, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	cur, err := s.st.C(collSubs).Find(ctx, bson.M{"user_id": bson.M{"$in": userIDs}},
		options.Find().SetProjection(bson.M{"_id": 1, "user_id": 1, "lang": 1}))
	if err != nil {
		return nil, fmt.Errorf("push: find subscriptions: %w", err)
	}
	var docs []subDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("push: find subscriptions: %w", err)
	}
	return docs, nil
}

// load reads and opens one subscription for sending.
func (s *Service) load(ctx context.Context, id string) (*subscription, error) {
	var d subDoc
	if err := s.st.C(collSubs).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return nil, store.NotFound(err)
	}
	sub := &subscription{ID: d.ID, UserID: d.UserID, Lang: d.Lang}
	var err error
	if sub.Endpoint, err = s.seal.Open(d.Endpoint, sealCtx(d.ID, "endpoint")); err != nil {
		return nil, err
	}
	if sub.P256dh, err = s.seal.Open(d.P256dh, sealCtx(d.ID, "p256dh")); err != nil {
		return nil, err
	}
	if sub.Auth, err = s.seal.Open(d.Auth, sealCtx(d.ID, "auth")); err != nil {
		return nil, err
	}
	return sub, nil
}

func (s *Service) deleteSub(ctx context.Context, id string) error {
	_, err := s.st.Delete(ctx, collSubs, bson.M{"_id": id})
	return err
}
