package push

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gehoord/gehoord/server/workdays"
)

// replyWindow groups her replies on one case: one notification per window
// is enough (a newer one replaces the older through its Topic anyway).
const replyWindow = 10 * time.Minute

// CaseCreated queues a notification of a new case for coordinators and
// everyone else who chose "all". Repeating it queues nothing new.
func (s *Service) CaseCreated(ctx context.Context, caseID string) error {
	return s.CasesCreated(ctx, []string{caseID})
}

// CasesCreated is CaseCreated for several new cases at once (a tablet's
// sync): the staff are read once and every job goes in one insert.
func (s *Service) CasesCreated(ctx context.Context, caseIDs []string) error {
	people, err := s.recipients(ctx, TypeCaseNew, "")
	if err != nil {
		return err
	}
	evs := make([]event, len(caseIDs))
	for i, id := range caseIDs {
		evs[i] = event{key: "case.new/" + id, caseID: id}
	}
	_, err = s.enqueueAll(ctx, TypeCaseNew, evs, people)
	return err
}

// ReplyReceived queues a notification of her reply for the assigned handler,
// or the coordinators when nobody is assigned.
func (s *Service) ReplyReceived(ctx context.Context, caseID, assignedTo string) error {
	w := s.now().UTC().Unix() / int64(replyWindow/time.Second)
	return s.notify(ctx, TypeCaseReply, caseID, assignedTo, "case.reply/"+caseID+"/"+strconv.FormatInt(w, 10))
}

// ReopenRequested queues a notification of a reopen request for the
// coordinators (once per case and day).
func (s *Service) ReopenRequested(ctx context.Context, caseID string) error {
	return s.notify(ctx, TypeCaseReopen, caseID, "", "case.reopen/"+caseID+"/"+s.localDate())
}

// CaseAssigned queues a notification for the staff user a case was just
// given to (once per case and assignee a day).
func (s *Service) CaseAssigned(ctx context.Context, caseID, userID string) error {
	return s.notify(ctx, TypeCaseAssigned, caseID, userID, "case.assigned/"+caseID+"/"+userID+"/"+s.localDate())
}

// ClosedReplyReceived queues a notification of her message on a closed
// case for the handler who had it and for the coordinators, who decide on
// reopening it.
func (s *Service) ClosedReplyReceived(ctx context.Context, caseID, assignedTo string) error {
	w := s.now().UTC().Unix() / int64(replyWindow/time.Second)
	return s.notify(ctx, TypeCaseClosedReply, caseID, assignedTo, "case.closed_reply/"+caseID+"/"+strconv.FormatInt(w, 10))
}

func (s *Service) localDate() string { return s.now().In(workdays.Amsterdam).Format("2006-01-02") }

func (s *Service) notify(ctx context.Context, typ, caseID, assignedTo, key string) error {
	people, err := s.recipients(ctx, typ, assignedTo)
	if err != nil {
		return err
	}
	_, err = s.enqueue(ctx, key, typ, caseID, people)
	return err
}

// recipients picks who hears of an event, by role and preference.
func (s *Service) recipients(ctx context.Context, typ, assignedTo string) ([]Person, error) {
	if s.cfg.Directory == nil {
		s.log.Warn("push: no staff directory; nobody is notified")
		return nil, nil
	}
	st, err := s.staff.Get(ctx)
	if err != nil {
		return nil, err
	}
	all, prefs := st.people, st.prefs
	pref := func(p Person) Preference {
		if v, ok := prefs[p.ID]; ok {
			return v
		}
		return DefaultPreference(p.Role)
	}
	var staff []Person
	for _, p := range all {
		if !p.Disabled && p.ID != "" && p.Role != RoleOutreach && p.Role != "" {
			staff = append(staff, p)
		}
	}
	coordinators := func() []Person {
		var out []Person
		for _, p := range staff {
			if p.Role == RoleCoordinator && pref(p) != PrefOff {
				out = append(out, p)
			}
		}
		return out
	}
	var out []Person
	switch typ {
	case TypeCaseNew:
		for _, p := range staff {
			if pref(p) == PrefAll {
				out = append(out, p)
			}
		}
	case TypeCaseReply:
		if assignedTo != "" {
			for _, p := range staff {
				if p.ID == assignedTo {
					if pref(p) == PrefOff {
						return nil, nil // her handler chose silence
					}
					return []Person{p}, nil
				}
			}
		}
		// Nobody (active) is assigned: the coordinators triage it.
		out = coordinators()
	case TypeCaseReopen:
		out = coordinators()
	case TypeCaseAssigned:
		for _, p := range staff {
			if p.ID == assignedTo && pref(p) != PrefOff {
				out = append(out, p)
			}
		}
	case TypeCaseClosedReply:
		out = coordinators()
		for _, p := range staff {
			if p.ID == assignedTo && p.Role != RoleCoordinator && pref(p) != PrefOff {
				out = append(out, p)
			}
		}
	case TypeSummary:
		for _, p := range staff {
			if (p.Role == RoleCoordinator || p.Role == RoleHandler) && pref(p) != PrefOff {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

// staffNow is the staff and their choices as stored, shared by the
// callers of one read: never changed once read.
type staffNow struct {
	people []Person
	prefs  map[string]Preference
}

func (s *Service) readStaff(ctx context.Context) (staffNow, error) {
	people, err := s.cfg.Directory.Active(ctx)
	if err != nil {
		return staffNow{}, fmt.Errorf("push: list staff: %w", err)
	}
	prefs, err := s.preferences(ctx)
	if err != nil {
		return staffNow{}, err
	}
	return staffNow{people: people, prefs: prefs}, nil
}

// enqueue writes one job per device of each person. The job id is the
// event key and the subscription id, so a repeated event adds nothing.
func (s *Service) enqueue(ctx context.Context, key, typ, caseID string, people []Person) (int, error) {
	return s.enqueueAll(ctx, typ, []event{{key: key, caseID: caseID}}, people)
}

// event is one occasion to notify: its key (a repeat queues nothing new)
// and its case, if any.
type event struct{ key, caseID string }

// enqueueAll queues a job per event and device of people, in one insert.
func (s *Service) enqueueAll(ctx context.Context, typ string, evs []event, people []Person) (int, error) {
	if len(people) == 0 || len(evs) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(people))
	langs := map[string]string{}
	for _, p := range people {
		ids = append(ids, p.ID)
		langs[p.ID] = p.Lang
	}
	subs, err := s.subsOf(ctx, ids)
	if err != nil {
		return 0, err
	}
	now := s.now().UTC()
	jobs := make([]any, 0, len(evs)*len(subs))
	for _, ev := range evs {
		for _, sub := range subs {
			lang := langs[sub.UserID]
			if lang == "" {
				lang = sub.Lang
			}
			jobs = append(jobs, jobDoc{
				ID: ev.key + "|" + sub.ID, Event: ev.key, SubID: sub.ID, Type: typ, CaseID: ev.caseID,
				Lang: NormLang(lang), State: statePending, NextAt: now, CreatedAt: now,
			})
		}
	}
	// One insert for every event and device; a repeated event finds its
	// jobs there.
	made, err := s.st.InsertMissing(ctx, collJobs, jobs)
	n := 0
	for _, m := range made {
		if m {
			n++
		}
	}
	if err != nil {
		return n, fmt.Errorf("push: queue job: %w", err)
	}
	if n > 0 {
		s.poke()
	}
	return n, nil
}
