// Package fault is the one error type the domain returns for what a
// visitor, a worker's tablet or a staff member can be told.
//
// An Error carries a Code, which the web layer maps to an HTTP status in
// one table (web/problem), a catalog key and its arguments, translated at
// the last moment in the reader's language, and the fields it concerns.
// Domain packages declare their errors as sentinels with fault.New and
// compare them with errors.Is; they never import the web layer.
package fault

import (
	"errors"
	"strings"
	"time"
)

// Code says what kind of failure it is; web/problem maps it to a status.
type Code uint8

// The codes. Internal is the zero value: anything not classified is the
// server's failure and is never explained to the reader.
const (
	Internal     Code = iota // the server failed: 500
	Malformed                // the body cannot be read as this request: 400
	Invalid                  // fields fail validation: 422
	Unauthorized             // not signed in, or the device is not known: 401
	Forbidden                // signed in but not allowed: 403
	NotFound                 // no such thing: 404
	Conflict                 // the state does not allow it now: 409
	TooLarge                 // the body is larger than this route takes: 413
	MediaType                // the body is not of a type this route reads: 415
	TooMany                  // a rate limit: 429
	Unavailable              // busy or the database cannot write: 503
)

var codeNames = [...]string{"internal", "malformed", "invalid", "unauthorized", "forbidden",
	"not_found", "conflict", "too_large", "media_type", "too_many", "unavailable"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "unknown"
}

// Field is one problem with one input field: the field's name as the
// request names it, a catalog key and the key's arguments (name, value
// pairs for its placeholders).
type Field struct {
	Field string
	Key   string
	Args  []any
}

// Error is a failure the reader can be told about.
type Error struct {
	Code Code
	// Key is the catalog key of the message; Args its placeholders as
	// name, value pairs. An empty Key means the code's general message.
	Key  string
	Args []any
	// Fields lists every invalid field at once, so a form can show them
	// all next to the fields.
	Fields []Field
	// RetryAfter, when set, is sent as Retry-After (Unavailable, TooMany).
	RetryAfter time.Duration

	msg  string // English, for logs and tests; never personal data
	err  error  // the cause, if any
	base *Error // the sentinel this error was made from
}

// New declares a sentinel error: code, catalog key and an English message
// for logs ("package: what happened").
func New(code Code, key, msg string) *Error {
	return &Error{Code: code, Key: key, msg: msg}
}

// Validation reports every field that failed validation (code Invalid).
func Validation(fields ...Field) *Error {
	return &Error{Code: Invalid, Key: "error.invalid", Fields: fields}
}

// InvalidField is Validation for one field.
func InvalidField(field, key string, args ...any) *Error {
	return Validation(Field{Field: field, Key: key, Args: args})
}

// With returns a copy of a sentinel carrying arguments for its key; the
// copy still matches the sentinel with errors.Is.
func (e *Error) With(args ...any) *Error {
	c := *e
	c.Args = args
	c.base = e.root()
	return &c
}

// Wrap returns a copy of a sentinel with a cause (kept for logs and
// errors.Is/As); the copy still matches the sentinel with errors.Is.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.err = cause
	c.base = e.root()
	return &c
}

// OnField returns a copy of a sentinel tied to one field: the same code
// and key, shown next to that field.
func (e *Error) OnField(field string) *Error {
	c := *e
	c.Fields = []Field{{Field: field, Key: e.Key, Args: e.Args}}
	c.base = e.root()
	return &c
}

func (e *Error) root() *Error {
	if e.base != nil {
		return e.base
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.msg != "":
		b.WriteString(e.msg)
	case e.Key != "":
		b.WriteString(e.Code.String() + ": " + e.Key)
	default:
		b.WriteString(e.Code.String())
	}
	if len(e.Fields) > 0 {
		b.WriteString(":")
		for _, f := range e.Fields {
			b.WriteString(" " + f.Field)
			if f.Key != "" && f.Key != e.Key {
				b.WriteString(" (" + f.Key + ")")
			}
		}
	}
	if e.err != nil {
		b.WriteString(": " + e.err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.err }

// Is matches an error made from the sentinel target (With, Wrap, OnField).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e.base != nil && e.base == t
}

// Has says whether field is among the invalid fields.
func (e *Error) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// FieldKeys maps each field to the key of its first problem, for forms.
func (e *Error) FieldKeys() map[string]string {
	m := make(map[string]string, len(e.Fields))
	for _, f := range e.Fields {
		if _, ok := m[f.Field]; !ok {
			m[f.Field] = f.Key
		}
	}
	return m
}

// As finds the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf is the code of the first *Error in err's chain; Internal when
// there is none (nil included: ask only about an error).
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// FieldsOf lists the invalid fields of err, if it is an Invalid fault.
func FieldsOf(err error) []Field {
	if e, ok := As(err); ok {
		return e.Fields
	}
	return nil
}
