package cards

// SetNewCode replaces the code generator for a test; the result restores it.
func SetNewCode(f func() string) (restore func()) {
	old := newCode
	newCode = f
	return func() { newCode = old }
}

// Valid says whether s is a well-formed code as stored (already normalised).
func Valid(s string) bool { return len(s) == CodeLen && Normalize(s) == s }
