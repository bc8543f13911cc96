package cases

import (
	"context"
	"time"

	"github.com/google/uuid"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/workdays"
)

// CollectionReturns counts her returns to her case (the status page or the
// app's status call): one document per return holding the Amsterdam date
// only, nothing about her or her case, so the pilot's evaluation can count
// how often workers come back. A document per return, not a shared counter,
// so busy days never wait on one document.
const CollectionReturns = "status_returns"

// countReturn records one return; a failure is logged, never hers.
func (s *Service) countReturn(ctx context.Context) {
	day := s.now().In(workdays.Amsterdam).Format(time.DateOnly)
	// Returns at the same moment go in one insert (returnsQ).
	if err := s.returnsQ.Write(ctx, bson.D{{Key: "_id", Value: uuid.NewString()}, {Key: "day", Value: day}}); err != nil {
		s.log.Error("cases: count a return to the status page", "err", err)
	}
}
