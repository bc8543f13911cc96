package push

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/store"
)

// Payload is everything a notification carries: an event type, an opaque
// case id and the reader's language. Never a category, a word of the
// complaint, a name or a receipt: lock screens are public.
type Payload struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Lang string `json:"lang"`
}

// sendTimeout bounds one request to a push service; it is shorter than the
// default lease, so a job is never taken by a second sender while the
// first still waits for an answer.
const sendTimeout = 30 * time.Second

func (s *Service) senderLoop(ctx context.Context) {
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	lastClean := time.Time{}
	for {
		for ctx.Err() == nil {
			did, err := s.sendNext(ctx)
			if err != nil {
				s.log.Warn("push: sender", "err", err)
				break
			}
			if !did {
				break
			}
		}
		if time.Since(lastClean) > time.Hour {
			s.cleanup(ctx)
			lastClean = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// SendPending works the queue until no job is due, and returns how many
// jobs it took. The sender loop does this by itself; tests call it.
func (s *Service) SendPending(ctx context.Context) (int, error) {
	n := 0
	for {
		did, err := s.sendNext(ctx)
		if err != nil || !did {
			return n, err
		}
		n++
	}
}

// sendNext claims one due job and delivers it. A send in progress finishes
// even when the loop is being stopped, so a job is not left half done.
func (s *Service) sendNext(loopCtx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(loopCtx), sendTimeout+10*time.Second)
	defer cancel()
	j, err := s.claim(ctx)
	if err != nil || j == nil {
		return false, err
	}
	return true, s.deliver(ctx, j)
}

func (s *Service) deliver(ctx context.Context, j *jobDoc) error {
	if s.now().Sub(j.CreatedAt) > GiveUpAfter {
		s.log.Warn("push: gave up on a notification", "type", j.Type, "job_age", s.now().Sub(j.CreatedAt).Round(time.Minute).String(), "attempts", j.Attempts-1, "last_status", j.LastStatus)
		return s.finish(ctx, j, stateFailed, j.LastStatus, "expired")
	}
	sub, err := s.load(ctx, j.SubID)
	if errors.Is(err, store.ErrNotFound) {
		return s.finish(ctx, j, stateFailed, 0, "subscription gone")
	}
	if err != nil {
		return s.retry(ctx, j, 0, "read subscription", 0)
	}
	// Stored before the allow-list, or the list was narrowed since.
	host := hostOf(sub.Endpoint)
	if !s.hostAllowed(host) {
		s.log.Warn("push: a device's endpoint is not at an accepted push service; not sent (it must be turned on again)", "type", j.Type, "push_service", host)
		return s.finish(ctx, j, stateFailed, 0, "push service not accepted")
	}
	keys, err := s.vapid(ctx)
	if err != nil {
		return s.retry(ctx, j, 0, "keys", 0)
	}
	body, _ := json.Marshal(Payload{Type: j.Type, ID: j.CaseID, Lang: j.Lang})
	urgency := webpush.UrgencyNormal
	if j.Type == TypeCaseNew {
		urgency = webpush.UrgencyHigh
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	resp, err := webpush.SendNotificationWithContext(sctx, body,
		&webpush.Subscription{Endpoint: sub.Endpoint, Keys: webpush.Keys{Auth: sub.Auth, P256dh: sub.P256dh}},
		&webpush.Options{
			HTTPClient:      s.client.Load(),
			RecordSize:      RecordSize,
			Subscriber:      webpushSubscriber(s.subject),
			Topic:           topic(j),
			TTL:             int(TTL / time.Second),
			Urgency:         urgency,
			VAPIDPublicKey:  keys.Public,
			VAPIDPrivateKey: keys.Private,
		})
	if errors.Is(err, ErrAddress) {
		// The name resolved to a loopback, private or other non-public
		// address: nothing was sent, and trying again would not help.
		s.log.Warn("push: a push service's name resolved to an address that is not public; not sent", "type", j.Type, "push_service", host)
		return s.finish(ctx, j, stateFailed, 0, "address not public")
	}
	if err != nil {
		// Network trouble or a refused connection: try again later. The
		// error may name the endpoint; log only its kind.
		return s.retry(ctx, j, 0, "network", 0)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		if _, err := s.st.Update(ctx, collSubs, bson.M{"_id": sub.ID}, bson.M{"$set": bson.M{"last_sent": s.now().UTC()}}); err != nil {
			s.log.Warn("push: note last sent", "err", err)
		}
		return s.finish(ctx, j, stateDone, code, "")
	case code == http.StatusNotFound || code == http.StatusGone:
		// The browser unsubscribed or the subscription expired: forget it.
		if err := s.deleteSub(ctx, sub.ID); err != nil {
			return err
		}
		s.dropJobsOf(ctx, sub.ID)
		s.log.Info("push: subscription expired and was removed", "status", code, "push_service", host)
		return s.finish(ctx, j, stateFailed, code, "subscription gone")
	case code >= 300 && code < 400:
		// A push service does not redirect; where it points is not ours
		// to follow.
		s.log.Warn("push: push service answered with a redirect; not followed", "status", code, "type", j.Type, "push_service", host)
		return s.finish(ctx, j, stateFailed, code, "redirect")
	case code == http.StatusTooManyRequests || code >= 500:
		return s.retry(ctx, j, code, "push service busy", retryAfter(resp))
	default:
		// 400, 401, 403, 413…: retrying would not help.
		s.log.Warn("push: push service refused a notification", "status", code, "type", j.Type, "push_service", host)
		return s.finish(ctx, j, stateFailed, code, "refused")
	}
}

// retry schedules the job again with backoff, or gives up after a day.
func (s *Service) retry(ctx context.Context, j *jobDoc, status int, reason string, atLeast time.Duration) error {
	wait := max(s.cfg.Backoff(j.Attempts), atLeast)
	if s.now().Add(wait).Sub(j.CreatedAt) > GiveUpAfter {
		s.log.Warn("push: gave up on a notification", "type", j.Type, "attempts", j.Attempts, "last_status", status, "reason", reason)
		return s.finish(ctx, j, stateFailed, status, reason)
	}
	s.log.Info("push: delivery will be retried", "type", j.Type, "attempt", j.Attempts, "status", status, "reason", reason, "wait", wait.String())
	return s.retryLater(ctx, j, wait, status, reason)
}

// retryAfter reads a Retry-After in seconds (at most an hour).
func retryAfter(r *http.Response) time.Duration {
	v := r.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return min(time.Duration(n)*time.Second, time.Hour)
	}
	return 0
}

// topic lets a newer notification replace an older one still waiting at
// the push service: one topic per case, one for summaries. Topics are at
// most 32 characters of the base64url alphabet; a hash keeps the case id
// itself out of the push service's headers.
func topic(j *jobDoc) string {
	if j.Type == TypeSummary {
		return "summary"
	}
	h := sha256.Sum256([]byte("gehoord-topic:" + j.CaseID))
	return "c" + base64.RawURLEncoding.EncodeToString(h[:])[:22]
}

func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
