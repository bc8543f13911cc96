package cases

import (
	"testing"

	"github.com/google/uuid"

	"github.com/gehoord/gehoord/server/seal"
)

// Receipts a person would pick, or a broken generator would make, are weak;
// what the desk makes never is.
func TestStrongReceipt(t *testing.T) {
	for _, r := range []string{"0000000000000000", "1111111111111112", "0123456789012345", "9876543210987654",
		"1234123412341234", "1122334455667788", "0000000012345678", "1212121212121212", "2468024680246802",
		"1111222233334444", "123412341234123", "12341234123412345", "abcdabcdabcdabcd"} {
		if StrongReceipt(r) {
			t.Errorf("%s counts as strong", r)
		}
	}
	for _, r := range []string{"4071938562217480", "8305126947730158", "5928047316602981"} {
		if !StrongReceipt(r) {
			t.Errorf("%s counts as weak", r)
		}
	}
	for range 2000 {
		r, err := NewReceipt()
		if err != nil || !StrongReceipt(r) {
			t.Fatalf("NewReceipt made %q (%v)", r, err)
		}
	}
}

// The form's receipt follows from its id and the installation's key only:
// the same id gives the same receipt, another key or id another one.
func TestFormReceiptIsKeyed(t *testing.T) {
	svc := func(b byte) *Service {
		key := make([]byte, 32)
		key[0] = b
		s, err := seal.New(key)
		if err != nil {
			t.Fatal(err)
		}
		return NewService(Config{Sealer: s})
	}
	a, b := svc(1), svc(2)
	id := uuid.NewString()
	r := a.FormReceipt(id)
	if !StrongReceipt(r) || a.FormReceipt(id) != r {
		t.Fatalf("form receipt %q is not stable and strong", r)
	}
	if b.FormReceipt(id) == r || a.FormReceipt(uuid.NewString()) == r {
		t.Fatal("the form receipt does not depend on the key and the id")
	}
}
