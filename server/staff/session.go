package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
	"github.com/gehoord/gehoord/server/store"
)

// Session stages: a session is only "full" after both factors; before that
// it only lets the user finish signing in.
const (
	StageCode  = "code"  // password right, code next
	StageSetup = "setup" // password right, set up the second factor
	// StagePassword: the password an admin handed over was right; choose a
	// new one, then set up the second factor.
	StagePassword = "password"
	StageFull     = "full"
)

// preAuthLimit bounds how long a half-finished sign-in stays usable.
const preAuthLimit = 10 * time.Minute

// touchEvery limits writes: the last-seen time is stored at most this often.
const touchEvery = time.Minute

// ErrNoSession: the token is unknown, expired, or its user disabled.
var ErrNoSession = errors.New("staff: no valid session")

// Session is a server-side session; the cookie holds a random token and
// the database only its SHA-256, so a database dump cannot be replayed.
type Session struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Stage     string    `bson:"stage"`
	CSRF      string    `bson:"csrf"`
	CreatedAt time.Time `bson:"created_at"`
	SeenAt    time.Time `bson:"seen_at"`
	// TOTPPending is the second-factor secret this session is setting up,
	// sealed: only this session is shown it and may confirm it.
	TOTPPending []byte `bson:"totp_pending,omitempty"`
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("staff: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenID(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// StartSession makes a new session at stage and returns its token. A new
// token every time: the server never adopts a token a client brings, which
// is what rules out session fixation.
func (s *Service) StartSession(ctx context.Context, userID, stage string) (string, *Session, error) {
	token := randomToken()
	now := s.now().UTC()
	sess := &Session{ID: tokenID(token), UserID: userID, Stage: stage, CSRF: randomToken(), CreatedAt: now, SeenAt: now}
	if err := s.st.Insert(ctx, collectionSessions, sess); err != nil {
		return "", nil, fmt.Errorf("staff: start session: %w", err)
	}
	return token, sess, nil
}

// CompleteSignIn ends the half-finished session (if any) and starts a full
// one with a new token: the session id rotates at sign-in.
func (s *Service) CompleteSignIn(ctx context.Context, u *User, oldToken string) (string, *Session, error) {
	if oldToken != "" {
		_ = s.EndSession(ctx, oldToken)
	}
	token, sess, err := s.StartSession(ctx, u.ID, StageFull)
	if err != nil {
		return "", nil, err
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.SignIn})
	return token, sess, nil
}

// Session returns the session for token and its user; ErrNoSession when
// the token is unknown, idle for longer than the idle timeout, older than
// the absolute limit, or the user disabled. An expired session is deleted.
func (s *Service) Session(ctx context.Context, token string) (*Session, *User, error) {
	if token == "" || len(token) > 200 {
		return nil, nil, ErrNoSession
	}
	var sess Session
	id := tokenID(token)
	if err := s.st.C(collectionSessions).FindOne(ctx, bson.M{"_id": id}).Decode(&sess); err != nil {
		if errors.Is(store.NotFound(err), store.ErrNotFound) {
			return nil, nil, ErrNoSession
		}
		return nil, nil, fmt.Errorf("staff: session: %w", err)
	}
	now := s.now().UTC()
	absolute := s.absolute
	if sess.Stage != StageFull {
		absolute = preAuthLimit
	}
	if now.Sub(sess.SeenAt) > s.idle || now.Sub(sess.CreatedAt) > absolute {
		if _, err := s.st.Delete(ctx, collectionSessions, bson.M{"_id": id}); err != nil {
			s.log.Warn("staff: delete expired session", "err", err)
		}
		return nil, nil, ErrNoSession
	}
	u, err := s.Get(ctx, sess.UserID)
	if err != nil || u.Disabled {
		return nil, nil, ErrNoSession
	}
	if now.Sub(sess.SeenAt) > touchEvery {
		ok, err := s.st.Update(ctx, collectionSessions, bson.M{"_id": id}, bson.M{"$set": bson.M{"seen_at": now}})
		if err != nil {
			return nil, nil, fmt.Errorf("staff: touch session: %w", err)
		}
		if !ok {
			return nil, nil, ErrNoSession // signed out at this very moment
		}
		sess.SeenAt = now
	}
	return &sess, u, nil
}

// EndSession signs one session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if _, err := s.st.Delete(ctx, collectionSessions, bson.M{"_id": tokenID(token)}); err != nil {
		return fmt.Errorf("staff: end session: %w", err)
	}
	return nil
}

// EndAllSessions signs a user out everywhere.
func (s *Service) EndAllSessions(ctx context.Context, userID string) error {
	if _, err := s.st.DeleteAll(ctx, collectionSessions, bson.M{"user_id": userID}); err != nil {
		return fmt.Errorf("staff: end sessions: %w", err)
	}
	for _, f := range s.signedOut {
		if err := f(ctx, userID); err != nil {
			return fmt.Errorf("staff: after signing out everywhere: %w", err)
		}
	}
	return nil
}

// EndOtherSessions signs a user out everywhere but in the session of
// keepToken (she changed her password there).
func (s *Service) EndOtherSessions(ctx context.Context, userID, keepToken string) error {
	_, err := s.st.DeleteAll(ctx, collectionSessions, bson.M{"user_id": userID, "_id": bson.M{"$ne": tokenID(keepToken)}})
	if err != nil {
		return fmt.Errorf("staff: end other sessions: %w", err)
	}
	return nil
}

// SessionCount is how many sessions a user has (the account page shows it).
func (s *Service) SessionCount(ctx context.Context, userID string) (int64, error) {
	n, err := s.st.C(collectionSessions).CountDocuments(ctx, bson.M{"user_id": userID, "stage": StageFull})
	if err != nil {
		return 0, fmt.Errorf("staff: count sessions: %w", err)
	}
	return n, nil
}

// SweepSessions deletes sessions past the absolute limit (FerretDB has no
// TTL indexes); idle ones are deleted when next seen or here once old.
func (s *Service) SweepSessions(ctx context.Context) error {
	now := s.now().UTC()
	_, err := s.st.DeleteAll(ctx, collectionSessions, bson.M{"$or": bson.A{
		bson.M{"created_at": bson.M{"$lt": now.Add(-s.absolute)}},
		bson.M{"seen_at": bson.M{"$lt": now.Add(-s.idle)}},
	}})
	if err != nil {
		return fmt.Errorf("staff: sweep sessions: %w", err)
	}
	return nil
}
