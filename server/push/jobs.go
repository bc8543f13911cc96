package push

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/metrics"
	"github.com/gehoord/gehoord/server/store"
)

// Job states.
const (
	statePending = "pending"
	stateSending = "sending"
	stateDone    = "done"
	stateFailed  = "failed"
)

// keepJobs is how long finished jobs stay (they are what makes a repeated
// event enqueue nothing twice).
const keepJobs = 30 * 24 * time.Hour

// jobDoc is one delivery: one event to one subscription.
type jobDoc struct {
	ID         string    `bson:"_id"` // event key + "|" + subscription id
	Event      string    `bson:"event"`
	SubID      string    `bson:"sub_id"`
	Type       string    `bson:"type"`
	CaseID     string    `bson:"case_id"`
	Lang       string    `bson:"lang"`
	State      string    `bson:"state"`
	Attempts   int       `bson:"attempts"`
	NextAt     time.Time `bson:"next_at"`
	LeaseUntil time.Time `bson:"lease_until"`
	Owner      string    `bson:"owner"`
	CreatedAt  time.Time `bson:"created_at"`
	FinishedAt time.Time `bson:"finished_at"`
	LastStatus int       `bson:"last_status"`
	Reason     string    `bson:"reason"`
}

// Indexes the push collections need.
func Indexes() []store.Index {
	return []store.Index{
		{Collection: collSubs, Keys: bson.D{{Key: "endpoint_hash", Value: 1}}, Unique: true, Name: "endpoint_hash_unique"},
		{Collection: collSubs, Keys: bson.D{{Key: "user_id", Value: 1}}, Name: "user_id"},
		{Collection: collJobs, Keys: bson.D{{Key: "state", Value: 1}, {Key: "next_at", Value: 1}}, Name: "state_next_at"},
		{Collection: collJobs, Keys: bson.D{{Key: "sub_id", Value: 1}}, Name: "sub_id"},
	}
}

// claim takes the next due job for this instance: a pending job whose time
// has come, or a job whose sender's lease ran out (that sender crashed or
// hung). The claim itself is the insert of a claim token keyed by job and
// attempt number: a unique insert is atomic in MongoDB and in FerretDB v1
// alike, whereas FerretDB v1 runs findAndModify as a query followed by a
// separate write, so two instances could both "win" one FindOneAndUpdate
// (the two-sender test showed every job sent twice). Only the token's
// holder writes the job until its lease ends.
func (s *Service) claim(ctx context.Context) (*jobDoc, error) {
	now := s.now().UTC()
	filter := bson.M{"$or": bson.A{
		bson.M{"state": statePending, "next_at": bson.M{"$lte": now}},
		bson.M{"state": stateSending, "lease_until": bson.M{"$lte": now}},
	}}
	cur, err := s.st.C(collJobs).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "next_at", Value: 1}}).SetLimit(20))
	if err != nil {
		return nil, fmt.Errorf("push: find due jobs: %w", err)
	}
	var due []jobDoc
	if err := cur.All(ctx, &due); err != nil {
		return nil, fmt.Errorf("push: find due jobs: %w", err)
	}
	for i := range due {
		j := &due[i]
		token := j.ID + "#" + strconv.Itoa(j.Attempts+1)
		err := s.st.Insert(ctx, collClaims, bson.M{"_id": token, "owner": s.owner, "at": now})
		if store.IsDuplicate(err) {
			continue // another sender took this attempt
		}
		if err != nil {
			return nil, fmt.Errorf("push: claim job: %w", err)
		}
		j.Attempts++
		j.State, j.Owner, j.LeaseUntil = stateSending, s.owner, now.Add(s.cfg.Lease)
		ok, err := s.st.Update(ctx, collJobs, bson.M{"_id": j.ID, "attempts": j.Attempts - 1, "state": bson.M{"$in": bson.A{statePending, stateSending}}}, bson.M{"$set": bson.M{
			"state": j.State, "owner": j.Owner, "lease_until": j.LeaseUntil, "attempts": j.Attempts,
		}})
		if err != nil {
			return nil, fmt.Errorf("push: claim job: %w", err)
		}
		if !ok {
			continue // finished or taken meanwhile
		}
		return j, nil
	}
	return nil, nil
}

// mine is the filter of a job this instance still holds.
func (s *Service) mine(j *jobDoc) bson.M {
	return bson.M{"_id": j.ID, "owner": s.owner, "attempts": j.Attempts}
}

// deliveries counts delivery attempts by result (sent, retried, failed)
// and reason (a fixed set: "push service busy", "subscription gone"…;
// empty when sent).
var deliveries = metrics.NewCounter("gehoord_push_deliveries_total", "Push delivery attempts, by result (sent, retried, failed) and reason.", "result", "reason")

func (s *Service) finish(ctx context.Context, j *jobDoc, state string, status int, reason string) error {
	_, err := s.st.Update(ctx, collJobs, s.mine(j), bson.M{"$set": bson.M{
		"state": state, "finished_at": s.now().UTC(), "last_status": status, "reason": reason,
		"lease_until": time.Time{},
	}})
	if err != nil {
		return fmt.Errorf("push: finish job: %w", err)
	}
	result := "failed"
	if state == stateDone {
		result = "sent"
	}
	deliveries.With(result, reason).Inc()
	return nil
}

func (s *Service) retryLater(ctx context.Context, j *jobDoc, wait time.Duration, status int, reason string) error {
	_, err := s.st.Update(ctx, collJobs, s.mine(j), bson.M{"$set": bson.M{
		"state": statePending, "next_at": s.now().UTC().Add(wait), "last_status": status, "reason": reason,
		"owner": "", "lease_until": time.Time{},
	}})
	if err != nil {
		return fmt.Errorf("push: reschedule job: %w", err)
	}
	deliveries.With("retried", reason).Inc()
	return nil
}

// dropJobsOf ends the open jobs of a subscription that is gone.
func (s *Service) dropJobsOf(ctx context.Context, subID string) {
	_, err := s.st.UpdateAll(ctx, collJobs, bson.M{"sub_id": subID, "state": statePending},
		bson.M{"$set": bson.M{"state": stateFailed, "reason": "subscription gone", "finished_at": s.now().UTC()}})
	if err != nil {
		s.log.Warn("push: end jobs of a gone subscription", "err", err)
	}
}

// cleanup removes finished jobs older than keepJobs.
func (s *Service) cleanup(ctx context.Context) {
	old := s.now().UTC().Add(-keepJobs)
	// Finished jobs are never written again, and claims never are: purge.
	_, err := s.st.Purge(ctx, collJobs, bson.M{
		"state":       bson.M{"$in": bson.A{stateDone, stateFailed}},
		"finished_at": bson.M{"$lt": old},
	})
	if err == nil {
		_, err = s.st.Purge(ctx, collClaims, bson.M{"at": bson.M{"$lt": old}})
	}
	if err != nil {
		s.log.Warn("push: clean up old jobs", "err", err)
	}
}

// QueueStats counts jobs by state (for tests and the operator's health view).
func (s *Service) QueueStats(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, st := range []string{statePending, stateSending, stateDone, stateFailed} {
		n, err := s.st.C(collJobs).CountDocuments(ctx, bson.M{"state": st})
		if err != nil {
			return nil, fmt.Errorf("push: count jobs: %w", err)
		}
		out[st] = int(n)
	}
	return out, nil
}
