package reports

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gehoord/gehoord/server/cases"
	"github.com/gehoord/gehoord/server/store"
	"github.com/gehoord/gehoord/server/workdays"
)

// Record is what the reports know of one case: coded fields and the times
// of a few steps, never a sealed field or anything she wrote.
type Record struct {
	ID       string
	Created  time.Time
	Kind     string
	Category string
	Group    string
	Region   string
	Setting  string
	Channel  string
	Language string
	Route    string
	Outcome  string
	Closed   time.Time
	Themes   []string
	// Heard is her answer after closing ("", "yes", "no"); HeardReason
	// says whether she gave a reason (its text is never read here).
	Heard       string
	HeardReason bool
	HeardAt     time.Time
	// The first acknowledgement, route chosen and reasoned answer.
	Ack, Routed, Answered time.Time
	Extended              bool
	// Replies are the times of her messages.
	Replies []time.Time
}

// Deadlines are the case's first deadlines (the answer one extended when
// it was), as the desk set them on receipt.
func (r *Record) Deadlines() cases.Deadlines {
	d := cases.ComputeDeadlines(r.Created)
	if r.Extended {
		if e, err := d.Extend(); err == nil {
			d = e
		}
	}
	return d
}

// Data is what a report or the dashboard reads, already projected.
type Data struct {
	Cases   []Record
	Themes  []cases.Theme
	Batches []Batch
	// Returns are the days (YYYY-MM-DD) of each return to the status page.
	Returns map[string]int
}

// Batch is a card batch with its daily counts.
type Batch struct {
	ID, Label, Region string
	Printed           int
	PrintedAt         time.Time
	Handed, Scanned   map[string]int // day -> count
}

// Source reads from the store.
type Source struct {
	St    *store.Store
	Cases *cases.Service
}

// caseDoc is the projection of a case the reports read.
type caseDoc struct {
	ID        string        `bson:"_id"`
	CreatedAt time.Time     `bson:"created_at"`
	Kind      string        `bson:"kind"`
	Category  string        `bson:"category"`
	Group     string        `bson:"group"`
	Region    string        `bson:"region"`
	Setting   string        `bson:"setting"`
	Channel   string        `bson:"channel"`
	Language  string        `bson:"language"`
	Route     cases.State   `bson:"route"`
	Outcome   cases.Outcome `bson:"outcome"`
	ClosedAt  time.Time     `bson:"closed_at"`
	Themes    []string      `bson:"themes"`
	Heard     string        `bson:"heard"`
}

var caseProjection = bson.M{"_id": 1, "created_at": 1, "kind": 1, "category": 1, "group": 1, "region": 1, "setting": 1,
	"channel": 1, "language": 1, "route": 1, "outcome": 1, "closed_at": 1, "themes": 1, "heard": 1}

// eventDoc is the projection of a timeline event: no body.
type eventDoc struct {
	CaseID string            `bson:"case_id"`
	At     time.Time         `bson:"at"`
	Type   string            `bson:"type"`
	To     cases.State       `bson:"to"`
	Data   map[string]string `bson:"data"`
}

// Load reads the cases received or closed in [from, to), their timeline
// steps, the themes, the card batches and the status page returns.
func (s Source) Load(ctx context.Context, from, to time.Time) (*Data, error) {
	span := bson.M{"$gte": from.UTC(), "$lt": to.UTC()}
	cur, err := s.St.C("cases").Find(ctx, bson.M{"$or": bson.A{bson.M{"created_at": span}, bson.M{"closed_at": span}}},
		options.Find().SetProjection(caseProjection))
	if err != nil {
		return nil, fmt.Errorf("reports: read cases: %w", err)
	}
	var docs []caseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("reports: read cases: %w", err)
	}
	d := &Data{Cases: make([]Record, 0, len(docs)), Returns: map[string]int{}}
	idx := make(map[string]int, len(docs))
	oldest := to
	for _, c := range docs {
		idx[c.ID] = len(d.Cases)
		d.Cases = append(d.Cases, Record{ID: c.ID, Created: c.CreatedAt, Kind: c.Kind, Category: c.Category, Group: c.Group,
			Region: c.Region, Setting: c.Setting, Channel: c.Channel, Language: c.Language, Route: string(c.Route),
			Outcome: string(c.Outcome), Closed: c.ClosedAt, Themes: c.Themes, Heard: c.Heard})
		if c.CreatedAt.Before(oldest) {
			oldest = c.CreatedAt
		}
	}
	// The steps of these cases: events since the oldest one came in.
	ecur, err := s.St.C("case_events").Find(ctx, bson.M{
		"at":   bson.M{"$gte": oldest.UTC()},
		"type": bson.M{"$in": bson.A{cases.EventMessage, cases.EventState, cases.EventExtended, cases.EventReply, cases.EventHeard}},
	}, options.Find().SetProjection(bson.M{"case_id": 1, "at": 1, "type": 1, "to": 1, "data": 1}))
	if err != nil {
		return nil, fmt.Errorf("reports: read timelines: %w", err)
	}
	for ecur.Next(ctx) {
		var e eventDoc
		if err := ecur.Decode(&e); err != nil {
			return nil, fmt.Errorf("reports: read timelines: %w", err)
		}
		i, ok := idx[e.CaseID]
		if !ok {
			continue
		}
		r := &d.Cases[i]
		first := func(t *time.Time) {
			if t.IsZero() || e.At.Before(*t) {
				*t = e.At
			}
		}
		switch e.Type {
		case cases.EventMessage:
			first(&r.Ack)
			if e.Data["answer"] == "1" {
				first(&r.Answered)
			}
		case cases.EventState:
			if e.To.IsRoute() {
				first(&r.Routed)
			}
			if e.To == cases.StateFeedback {
				first(&r.Answered)
			}
		case cases.EventExtended:
			r.Extended = true
		case cases.EventReply:
			r.Replies = append(r.Replies, e.At)
		case cases.EventHeard:
			r.HeardAt = e.At
		}
	}
	if err := ecur.Err(); err != nil {
		return nil, fmt.Errorf("reports: read timelines: %w", err)
	}
	// Whether she gave a reason: only the existence of a body is asked.
	rcur, err := s.St.C("case_events").Find(ctx, bson.M{"type": cases.EventHeard, "at": bson.M{"$gte": oldest.UTC()}, "body": bson.M{"$exists": true}},
		options.Find().SetProjection(bson.M{"case_id": 1}))
	if err != nil {
		return nil, fmt.Errorf("reports: read heard: %w", err)
	}
	var withReason []struct {
		CaseID string `bson:"case_id"`
	}
	if err := rcur.All(ctx, &withReason); err != nil {
		return nil, fmt.Errorf("reports: read heard: %w", err)
	}
	for _, w := range withReason {
		if i, ok := idx[w.CaseID]; ok {
			d.Cases[i].HeardReason = true
		}
	}
	if s.Cases != nil {
		if d.Themes, err = s.Cases.Themes(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.loadCards(ctx, d); err != nil {
		return nil, err
	}
	if err := s.loadReturns(ctx, d, from, to); err != nil {
		return nil, err
	}
	return d, nil
}

func (s Source) loadCards(ctx context.Context, d *Data) error {
	cur, err := s.St.C("card_batches").Find(ctx, bson.M{},
		options.Find().SetProjection(bson.M{"_id": 1, "label": 1, "region": 1, "printed": 1, "printed_at": 1}))
	if err != nil {
		return fmt.Errorf("reports: read card batches: %w", err)
	}
	var bs []struct {
		ID        string    `bson:"_id"`
		Label     string    `bson:"label"`
		Region    string    `bson:"region"`
		Printed   int       `bson:"printed"`
		PrintedAt time.Time `bson:"printed_at"`
	}
	if err := cur.All(ctx, &bs); err != nil {
		return fmt.Errorf("reports: read card batches: %w", err)
	}
	at := map[string]int{}
	for _, b := range bs {
		at[b.ID] = len(d.Batches)
		d.Batches = append(d.Batches, Batch{ID: b.ID, Label: b.Label, Region: b.Region, Printed: b.Printed, PrintedAt: b.PrintedAt,
			Handed: map[string]int{}, Scanned: map[string]int{}})
	}
	for coll, pick := range map[string]func(*Batch) map[string]int{
		"card_handouts": func(b *Batch) map[string]int { return b.Handed },
		"card_scans":    func(b *Batch) map[string]int { return b.Scanned },
	} {
		cur, err := s.St.C(coll).Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"batch": 1, "day": 1, "n": 1}))
		if err != nil {
			return fmt.Errorf("reports: read %s: %w", coll, err)
		}
		var rows []struct {
			Batch string `bson:"batch"`
			Day   string `bson:"day"`
			N     int64  `bson:"n"`
		}
		if err := cur.All(ctx, &rows); err != nil {
			return fmt.Errorf("reports: read %s: %w", coll, err)
		}
		for _, r := range rows {
			if i, ok := at[r.Batch]; ok {
				pick(&d.Batches[i])[r.Day] += int(r.N)
			}
		}
	}
	return nil
}

func (s Source) loadReturns(ctx context.Context, d *Data, from, to time.Time) error {
	f, t := from.In(workdays.Amsterdam).Format("2006-01-02"), to.In(workdays.Amsterdam).Format("2006-01-02")
	cur, err := s.St.C(cases.CollectionReturns).Find(ctx, bson.M{"day": bson.M{"$gte": f, "$lt": t}},
		options.Find().SetProjection(bson.M{"day": 1}))
	if err != nil {
		return fmt.Errorf("reports: read returns: %w", err)
	}
	var rows []struct {
		Day string `bson:"day"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return fmt.Errorf("reports: read returns: %w", err)
	}
	for _, r := range rows {
		d.Returns[r.Day]++
	}
	return nil
}
