package appui

// File returns a served file's body, for the size-budget and content tests.
func (h *Handler) File(url string) ([]byte, bool) {
	f, ok := h.files[url]
	if !ok {
		return nil, false
	}
	return f.body, true
}
