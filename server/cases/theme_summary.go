package cases

import (
	"context"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// The public summary of a theme is the desk's own text for the theme
// report: written to be sent out, never a complainant's words.

func (s *Service) openSummary(t *Theme) {
	if t.SummarySealed == nil {
		return
	}
	v, err := s.seal.Open(t.SummarySealed, themeFieldCtx(t.ID, "summary"))
	if err != nil {
		s.log.Error("cases: open theme summary", "theme", t.ID, "err", err)
	}
	t.Summary = v
}

// SetThemeSummary replaces a theme's public summary.
func (s *Service) SetThemeSummary(ctx context.Context, id, summary string) error {
	summary = strings.TrimSpace(strings.ReplaceAll(summary, "\r\n", "\n"))
	if len([]rune(summary)) > MaxMessage {
		return ErrTooLong
	}
	ok, err := s.st.Update(ctx, collectionThemes, bson.M{"_id": id},
		bson.M{"$set": bson.M{"summary_sealed": s.seal.Seal(summary, themeFieldCtx(id, "summary")), "updated_at": s.now().UTC()}})
	if err != nil {
		return fmt.Errorf("cases: theme summary: %w", err)
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}
