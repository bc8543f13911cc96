package push

import (
	"context"
	"net/http"
)

// PublicAddress is the address check of the dialer, for tests.
var PublicAddress = publicAddress

// Client is the HTTP client the sender uses.
func (s *Service) Client() *http.Client { return s.client.Load() }

// VAPIDPrivate is the private key as the sender signs with it.
func (s *Service) VAPIDPrivate(ctx context.Context) (string, error) {
	k, err := s.vapid(ctx)
	if err != nil {
		return "", err
	}
	return k.Private, nil
}
