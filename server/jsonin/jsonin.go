// Package jsonin is the one JSON reader for outside input: the API, the
// tablets' sync batches and their items, push subscriptions.
//
// It is strict where leniency would hide a mistake: exactly one JSON
// value, nothing after it, and a value of the wrong type names its field.
// Unknown fields are ignored, as the contract allows (an older server must
// take a newer tablet's items).
package jsonin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/gehoord/gehoord/server/fault"
)

// Catalog keys of the reader's faults.
const (
	KeyUnreadable = "error.bad_request" // not JSON, or data after the value
	KeyType       = "app.error.type"    // a field's value has the wrong type
)

// Decode reads exactly one JSON value from b into v. Every failure is a
// *fault.Error with code Malformed; a wrong type names the field.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return Fault(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fault.New(fault.Malformed, KeyUnreadable, "json: data after the value")
	}
	return nil
}

// Fault turns an encoding/json error into a Malformed fault: a wrong type
// names its field, a syntax error says where.
func Fault(err error) *fault.Error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		f := fault.New(fault.Malformed, KeyUnreadable, "json: field "+te.Field+" has the wrong type").Wrap(err)
		f.Fields = []fault.Field{{Field: te.Field, Key: KeyType}}
		return f
	case errors.As(err, &se):
		return fault.New(fault.Malformed, KeyUnreadable, "json: syntax error at byte "+strconv.FormatInt(se.Offset, 10))
	}
	return fault.New(fault.Malformed, KeyUnreadable, "json: unreadable").Wrap(err)
}
