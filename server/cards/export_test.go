package cards

// SetNewCode replaces the code generator for a test; the result restores it.
func SetNewCode(f func() string) (restore func()) {
	old := newCode
	newCode = f
	return func() { newCode = old }
}
