package staff

import (
	"context"
	"errors"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/gehoord/gehoord/server/audit"
)

// The password's life cycle: she changes it herself (with the current one
// and a code), an admin resets it (a temporary password that only leads to
// choosing a new one and a new second factor).

func validPassword(pw string) bool {
	l := utf8.RuneCountInString(pw)
	return l >= 12 && l <= 1024
}

// ChangePassword replaces u's password when current and code are right
// (counted against the sign-in limits like a sign-in). Every other session
// ends; the one of keepToken, where she changed it, stays. Her tablets and
// push devices stay: "sign out everywhere" withdraws those. Answers
// ErrPassword (too short or long), ErrCredentials, ErrRateLimited or
// ErrPasswordReused.
func (s *Service) ChangePassword(ctx context.Context, u *User, current, code, newPassword, keepToken, client string) error {
	// Checked first, so a code is not spent on a password that is refused.
	if !validPassword(newPassword) {
		return ErrPassword
	}
	fresh, err := s.CheckPassword(ctx, u.Email, current, client)
	if err != nil {
		return currentWrong(err)
	}
	if fresh.ID != u.ID {
		return errCurrentWrong
	}
	if newPassword == current {
		return ErrPasswordReused
	}
	if err := s.SecondFactor(ctx, fresh, code, client); err != nil {
		return currentWrong(err)
	}
	// Only over the hash that was checked: of two changes at once, one wins.
	err = s.writePassword(ctx, bson.M{"_id": u.ID, "password_hash": fresh.PasswordHash}, newPassword, bson.M{})
	if errors.Is(err, ErrNotFound) {
		return errCurrentWrong
	}
	if err != nil {
		return err
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.UserChange, Target: u.ID, Detail: "password"})
	return s.EndOtherSessions(ctx, u.ID, keepToken)
}

// Reset is an admin's reset of a user who lost access or whose account may
// be misused: temporary becomes her password, to be replaced at the next
// sign-in (MustChangePassword), her second factor and recovery codes are
// gone (set up anew after the new password), and every session ends with
// what signing out everywhere does (tablets, push devices).
func (s *Service) Reset(ctx context.Context, id, temporary string) error {
	err := s.writePassword(ctx, bson.M{"_id": id}, temporary, bson.M{
		"must_change_password": true,
		"totp_secret":          nil, "totp_pending": nil, "totp_step": int64(0), "recovery": []string{},
	})
	if errors.Is(err, ErrPassword) {
		return errTemporary
	}
	if err != nil {
		return err
	}
	return s.EndAllSessions(ctx, id)
}

// ChooseNewPassword replaces the temporary password of a reset user with
// her own, which must differ from it. The caller then lets her set up the
// second factor.
func (s *Service) ChooseNewPassword(ctx context.Context, u *User, newPassword string) error {
	if !u.MustChangePassword {
		return ErrCredentials
	}
	if !validPassword(newPassword) {
		return ErrPassword
	}
	same, err := checkPassword(ctx, u.PasswordHash, newPassword)
	if err != nil {
		return err
	}
	if same {
		return ErrPasswordReused
	}
	err = s.writePassword(ctx, bson.M{"_id": u.ID, "must_change_password": true, "password_hash": u.PasswordHash},
		newPassword, bson.M{"must_change_password": false})
	if errors.Is(err, ErrNotFound) {
		return ErrCredentials // changed meanwhile: sign in again
	}
	if err != nil {
		return err
	}
	s.record(ctx, audit.Entry{UserID: u.ID, Action: audit.UserChange, Target: u.ID, Detail: "password_after_reset"})
	fresh, err := s.Get(ctx, u.ID)
	if err == nil {
		*u = *fresh
	}
	return nil
}

// currentWrong says a wrong password or code in the words of the password
// page.
func currentWrong(err error) error {
	if errors.Is(err, ErrCredentials) {
		return errCurrentWrong
	}
	return err
}
